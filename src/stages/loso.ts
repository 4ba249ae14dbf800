/**
 * Leave-one-speaker-out evaluation: one model per held-out speaker, each trained on the other
 * speakers and tested on the held-out one, logged as nested runs under one parent run that
 * holds the per-speaker table, the mean and the spread.
 */
import Piscina from 'piscina';
import { preprocess } from './preprocess';
import { compiledWorker } from './worker-file';
import { runFold, type FoldResult, type FoldTask } from './loso-fold';
import { Tracker, withRun } from '../tracking/tracker';
import type { PipelineConfig } from '../config/pipeline';

export interface LosoOptions {
  config: PipelineConfig;
  configFile?: string;
  /** Only these speakers (default: every speaker in the metadata). */
  speakers?: string[];
  /**
   * Folds trained side by side, each in its own worker thread (a fold trains on one core).
   * Progress lines then carry the speaker. Default 1 (one after the other, in-process).
   */
  jobs?: number;
  log?: (line: string) => void;
}

export interface LosoResult {
  parentRunId: string;
  /** In the order of `speakers`, whatever order they finished in. */
  folds: FoldResult[];
  mean: number;
  /** Population standard deviation of the per-speaker accuracies. */
  std: number;
  min: number;
}

/** Mean, standard deviation and minimum of per-fold accuracies. */
export function summarizeFolds(accuracies: readonly number[]): { mean: number; std: number; min: number } {
  const mean = accuracies.reduce((a, b) => a + b, 0) / accuracies.length;
  const std = Math.sqrt(accuracies.reduce((a, b) => a + (b - mean) ** 2, 0) / accuracies.length);
  return { mean, std, min: Math.min(...accuracies) };
}

export async function leaveOneSpeakerOut(options: LosoOptions): Promise<LosoResult> {
  const log = options.log ?? ((l: string) => console.log(l));
  const base = options.config;
  // The speakers come from the data, not from a constant.
  const prep = await preprocess({ ...base });
  log(`features: ${prep.featureDir} (${prep.written} written, ${prep.reused} reused, ${prep.skipped.length} skipped, ${prep.seconds.toFixed(1)} s)`);
  const speakers = options.speakers ?? prep.metadata.speakers;
  const tracker = new Tracker({ root: base.tracking.root });
  return withRun(tracker, { experimentName: base.tracking.experiment, runName: base.tracking.runName ?? `loso-${new Date().toISOString().slice(0, 19)}`, tags: { 'melbook.mode': 'loso' } }, async (parent) => {
    await parent.logParams({ 'loso.speakers': speakers.join(' '), 'loso.folds': speakers.length, ...(options.configFile ? { 'loso.config': options.configFile } : {}) });
    if (options.configFile) await parent.logArtifact(options.configFile, 'config');
    const jobs = Math.max(1, Math.min(options.jobs ?? 1, speakers.length));
    const tasks: FoldTask[] = speakers.map((speaker) => ({ config: base, speaker, parentRunId: parent.runId, prefixLines: jobs > 1 }));
    const folds: FoldResult[] = new Array(speakers.length);
    let finished = 0;
    const record = async (i: number, fold: FoldResult) => {
      folds[i] = fold;
      finished += 1;
      log(`fold ${finished}/${speakers.length} done: ${fold.speaker} ${(100 * fold.accuracy).toFixed(1)} % (${fold.count} clips, run ${fold.runId})`);
      await parent.logMetric(`loso_accuracy/${fold.speaker}`, fold.accuracy, i);
    };
    if (jobs === 1) {
      for (const [i, task] of tasks.entries()) {
        log(`fold ${i + 1}/${speakers.length}: held-out speaker ${task.speaker}`);
        await record(i, await runFold(task, log));
      }
    } else {
      log(`${speakers.length} folds, ${jobs} at a time`);
      const pool = new Piscina({ filename: compiledWorker('loso-fold'), minThreads: jobs, maxThreads: jobs, idleTimeout: 1000 });
      try {
        await Promise.all(tasks.map(async (task, i) => record(i, (await pool.run(task)) as FoldResult)));
      } finally {
        await pool.destroy();
      }
    }
    const { mean, std, min } = summarizeFolds(folds.map((f) => f.accuracy));
    await parent.logMetrics({ loso_mean_accuracy: mean, loso_std_accuracy: std, loso_min_accuracy: min });
    await parent.logJson({ folds, mean, std, min }, 'loso.json');
    return { parentRunId: parent.runId, folds, mean, std, min };
  });
}

/** The per-speaker table as text. */
export function formatLoso(r: LosoResult): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const rows = r.folds.map((f) => `  ${f.speaker.padEnd(10)} ${pct(f.accuracy).padStart(8)}  (${f.count} clips, run ${f.runId})`);
  return [`leave-one-speaker-out (parent run ${r.parentRunId}):`, ...rows, `  ${'mean'.padEnd(10)} ${pct(r.mean).padStart(8)}  std ${pct(r.std)}, min ${pct(r.min)}`].join('\n');
}

