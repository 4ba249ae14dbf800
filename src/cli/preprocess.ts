/** `melbook preprocess`: features for every clip, with progress and a report of skipped files. */
import type { Command } from 'commander';
import { loadPipelineConfig } from '../config/pipeline';
import { preprocess, type PreprocessResult } from '../stages/preprocess';
import { createProgress } from '../progress';
import { listWavFiles } from '../data/labels';
import { configOption, setOption, type RunTask } from './options';

export interface PreprocessCommandOptions {
  config: string;
  set: string[];
  strict?: boolean;
  recordings?: string;
  workers?: string;
}

export function registerPreprocessCommand(program: Command, run: RunTask): void {
  program
    .command('preprocess')
    .description('decode every .wav, extract features, write one .npy per clip plus manifest.json and metadata.json')
    .addOption(configOption())
    .addOption(setOption())
    .option('--recordings <dir>', 'recordings folder (overrides data.recordings)')
    .option('--workers <n>', 'worker threads (0 = one per core)')
    .option('--strict', 'exit non-zero when any clip is skipped')
    .action((opts) => run(() => preprocessCommand(opts)));
}

export async function preprocessCommand(opts: PreprocessCommandOptions): Promise<number> {
  const overrides = [...opts.set];
  if (opts.recordings) overrides.push(`data.recordings=${JSON.stringify(opts.recordings)}`);
  if (opts.workers) overrides.push(`preprocess.workers=${opts.workers}`);
  if (opts.strict) overrides.push('preprocess.strict=true');
  const config = loadPipelineConfig(opts.config, { overrides });
  const total = listWavFiles(config.data.recordings, config.data.layout).length;
  const progress = createProgress('preprocess', total, { unit: 'files' });
  let result: PreprocessResult;
  try {
    result = await preprocess({ ...config, onProgress: (p) => progress.update(p.done, p.skipped ? `(${p.skipped} skipped)` : '') });
  } finally {
    progress.stop();
  }
  printSummary(result);
  if (result.skipped.length > 0 && config.preprocess.strict) {
    console.error(`preprocess: strict mode: ${result.skipped.length} clip(s) skipped, exiting with status 1`);
    return 1;
  }
  return 0;
}

function printSummary(r: PreprocessResult): void {
  const m = r.metadata;
  console.log(
    `preprocess: ${r.written} written, ${r.reused} reused, ${r.skipped.length} skipped of ${r.total} files in ${r.seconds.toFixed(2)} s ` +
      `(${r.filesPerSecond.toFixed(0)} files/s, ${r.workers} workers)`,
  );
  console.log(`  features  ${r.featureDir}  shape [${m.featureShape.join(', ')}]  key ${r.featureKey}`);
  console.log(`  classes   ${m.classNames.join(' ')}`);
  console.log(`  splits    train ${m.counts.bySplit.train}, validation ${m.counts.bySplit.validation}, test ${m.counts.bySplit.test}`);
  console.log(`  manifest  ${r.manifestPath}\n  metadata  ${r.metadataPath}\n  report    ${r.reportPath}`);
  if (r.skipped.length > 0) {
    console.log(`  skipped:`);
    for (const s of r.skipped.slice(0, 20)) console.log(`    ${s.file}: ${s.reason}`);
    if (r.skipped.length > 20) console.log(`    ... ${r.skipped.length - 20} more in ${r.reportPath}`);
  }
}
