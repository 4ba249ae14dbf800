/** `melbook train`, `melbook predict`, `melbook runs`: the training side of the command line. */
import { loadPipelineConfig } from '../config/pipeline';
import { trainStage } from '../stages/train';
import { leaveOneSpeakerOut, formatLoso } from '../stages/loso';
import { Predictor } from '../train/predict';
import { useBackend } from '../train/train';
import { Tracker } from '../tracking/tracker';
import { formatRunsTable, formatRunsComparison } from '../tracking/format';

export async function trainCommand(opts: { config: string; set: string[]; runName?: string }): Promise<number> {
  const overrides = [...opts.set];
  if (opts.runName) overrides.push(`tracking.runName=${JSON.stringify(opts.runName)}`);
  const config = loadPipelineConfig(opts.config, { overrides });
  const result = await trainStage({ config, configFile: opts.config });
  console.log(`run ${result.runId} finished: test accuracy ${(100 * result.evaluation.accuracy).toFixed(1)} %; model in ${result.runDir}/artifacts/model`);
  return 0;
}

export async function predictCommand(modelDir: string, files: string[], opts: { top: string; json?: boolean; backend?: string }): Promise<number> {
  const config = loadPipelineConfig('/dev/null', { overrides: opts.backend ? [`training.backend=${opts.backend}`] : [] });
  await useBackend(config, undefined, () => undefined);
  const predictor = await Predictor.load(modelDir);
  try {
    const predictions = await predictor.predict(files, Number(opts.top));
    if (opts.json) console.log(JSON.stringify(predictions, null, 2));
    else for (const p of predictions) console.log(`${p.file}: ${p.top.map((t) => `${t.class} ${(100 * t.probability).toFixed(1)} %`).join(', ')}`);
  } finally {
    predictor.dispose();
  }
  return 0;
}

export async function runsCommand(opts: { root: string; experiment?: string; metrics?: string }): Promise<number> {
  const tracker = new Tracker({ root: opts.root, gitCommit: null });
  const runs = await tracker.listRuns(opts.experiment);
  const metrics = opts.metrics ? opts.metrics.split(',').map((m) => m.trim()) : ['test_accuracy', 'val_accuracy', 'loss'];
  console.log(runs.length === 0 ? `no runs under ${opts.root}` : formatRunsTable(runs, metrics));
  return 0;
}

export async function compareCommand(ids: string[], opts: { root: string }): Promise<number> {
  const tracker = new Tracker({ root: opts.root, gitCommit: null });
  const runs = await Promise.all(ids.map((id) => tracker.getRun(id)));
  console.log(formatRunsComparison(runs));
  return 0;
}

export async function evaluateCommand(opts: { config: string; set: string[]; loso?: boolean; speakers?: string; jobs?: string }): Promise<number> {
  const config = loadPipelineConfig(opts.config, { overrides: opts.set });
  if (!opts.loso) {
    console.error('melbook evaluate: only --loso is available here; the test split of a trained run is evaluated by `melbook train` and notebooks/04-evaluate.ipynb');
    return 2;
  }
  const jobs = Number(opts.jobs ?? 1);
  if (!Number.isInteger(jobs) || jobs < 1) {
    console.error(`melbook evaluate: --jobs must be a whole number of folds >= 1, got ${JSON.stringify(opts.jobs)}`);
    return 2;
  }
  const result = await leaveOneSpeakerOut({ config, configFile: opts.config, jobs, speakers: opts.speakers?.split(',').map((s) => s.trim()) });
  console.log(formatLoso(result));
  return 0;
}
