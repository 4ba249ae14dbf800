/** `melbook predict`: classify .wav files with a saved model, or several averaged as one. */
import type { Command } from 'commander';
import { loadPipelineConfig } from '../config/pipeline';
import { Predictor } from '../train/predict';
import { Ensemble } from '../train/ensemble';
import { useBackend } from '../train/train';
import { numberList, type RunTask } from './options';

export function registerPredictCommand(program: Command, run: RunTask): void {
  program
    .command('predict')
    .description('classify .wav files with a saved model (a run\'s artifacts/model folder)')
    .argument('<model-dir>', 'folder holding model.json and melbook.json; several joined by commas are averaged as one ensemble')
    .argument('<files...>', '.wav files')
    .option('--top <k>', 'classes to show per file', '3')
    .option('--json', 'print JSON')
    .option('--backend <name>', 'tfjs backend: auto | tensorflow | wasm | cpu')
    .option('--tta <factors>', 'test-time speed factors to average, e.g. 0.9,1,1.1', '1')
    .action((modelDir, files, opts) => run(() => predictCommand(modelDir, files, opts)));
}

export async function predictCommand(modelDir: string, files: string[], opts: { top: string; json?: boolean; backend?: string; tta?: string }): Promise<number> {
  const speedFactors = numberList(opts.tta ?? '1');
  const config = loadPipelineConfig('/dev/null', { overrides: opts.backend ? [`training.backend=${opts.backend}`] : [] });
  await useBackend(config, undefined, () => undefined);
  // Several model folders joined by commas are one ensemble (the mean of their probabilities).
  const dirs = modelDir.split(',').map((d) => d.trim()).filter(Boolean);
  const predictor = dirs.length > 1 ? await Ensemble.load(dirs) : await Predictor.load(dirs[0] ?? modelDir);
  try {
    const predictions = await predictor.predict(files, Number(opts.top), speedFactors);
    if (opts.json) console.log(JSON.stringify(predictions, null, 2));
    else for (const p of predictions) console.log(`${p.file}: ${p.top.map((t) => `${t.class} ${(100 * t.probability).toFixed(1)} %`).join(', ')}`);
  } finally {
    predictor.dispose();
  }
  return 0;
}
