/**
 * `melbook sweep`: one tracked run per grid point (or, with `loso`, one leave-one-speaker-out
 * set of folds per point), all nested under one parent run that holds the table of points and
 * their metric. The points are jobs like any other, so they run on the local pool or the queue.
 * The best point is chosen on the test split, or with `selectOn` on one `evaluation.external`
 * folder (sweep-summary.ts).
 */
import { trainingJob, type ConfigOverrides, type JobResult, type TrainingJob } from './job';
import { dispatchJobs } from './dispatch';
import { LocalExecutor } from './local-executor';
import { foldOverrides, SPEAKER_TAG } from './loso';
import type { Executor } from './executor';
import { bestPoint, formatSweep, parseSelectOn, selectionLabel, type SweepPoint } from './sweep-summary';
import { preprocess } from '../stages/preprocess';
import { summarizeFolds } from '../stages/loso-report';
import { Tracker, withRun } from '../tracking/tracker';
import type { PipelineConfig } from '../config/pipeline';

export { bestPoint, formatSweep, parseSelectOn, type SweepPoint, type SweepSelection } from './sweep-summary';

/** The tag naming a child run's grid point (its index in the sweep). */
export const POINT_TAG = 'melbook.sweep.point';
/** The parent's tag naming what chose its best point: `test` or `external:<name>` (`--select-on`). */
export const SELECT_ON_TAG = 'melbook.sweep.selectOn';

export interface SweepOptions {
  config: PipelineConfig;
  configFile?: string;
  /** The grid's points (`gridPoints(parseGrid(...))`), each a set of overrides. */
  points: ConfigOverrides[];
  /** Score each point by leave-one-speaker-out (mean over the folds) instead of the test split. */
  loso?: boolean;
  /** With `loso`: only these speakers. Default every speaker in the data. */
  speakers?: string[];
  /** Where the jobs run. Default a LocalExecutor of `jobs` threads. */
  executor?: Executor;
  jobs?: number;
  /**
   * What chooses the best point: `test` (default: test accuracy, or the LOSO mean with `loso`)
   * or `external:<name>`, the accuracy on the `evaluation.external` folder of that name (ties:
   * its weakest group). Refused with `loso`: each fold's model has its own external score.
   */
  selectOn?: string;
  /** Continue this earlier sweep parent run: points that finished are not trained again. */
  resumeParentRunId?: string;
  log?: (line: string) => void;
}

export interface SweepResult {
  parentRunId: string;
  points: SweepPoint[];
  best: SweepPoint;
}

/** The jobs of one point: one training, or one per held-out speaker. */
function pointJobs(config: PipelineConfig, index: number, overrides: ConfigOverrides, parentRunId: string, speakers?: string[]): TrainingJob[] {
  const tags = { [POINT_TAG]: String(index) };
  if (!speakers) return [trainingJob({ role: 'sweep-point', config, overrides: { ...overrides, 'tracking.runName': `sweep-${index}` }, parentRunId, tags })];
  return speakers.map((speaker) => trainingJob({
    role: 'sweep-fold', config, parentRunId, tags: { ...tags, [SPEAKER_TAG]: speaker },
    overrides: { ...overrides, ...foldOverrides(speaker), 'tracking.runName': `sweep-${index}-loso-${speaker}` },
  }));
}

export async function sweep(options: SweepOptions): Promise<SweepResult> {
  const log = options.log ?? ((l: string) => console.log(l));
  const base = options.config;
  const selection = parseSelectOn(options.selectOn, base, options.loso);
  const speakers = options.loso ? options.speakers ?? (await preprocess({ ...base })).metadata.speakers : undefined;
  const executor: Executor = options.executor ?? new LocalExecutor({ concurrency: Math.max(1, options.jobs ?? 1), log, label: (job) => job.run.runName });
  const tracker = new Tracker({ root: base.tracking.root });
  const runOptions = { experimentName: base.tracking.experiment, runName: base.tracking.runName ?? `sweep-${new Date().toISOString().slice(0, 19)}`, tags: { 'melbook.mode': options.loso ? 'sweep-loso' : 'sweep' }, continueRunId: options.resumeParentRunId, reopenFinished: true, endChildren: !executor.remote };
  try {
    return await withRun(tracker, runOptions, async (parent) => {
      await parent.logParams({ 'sweep.points': options.points.length, 'sweep.keys': [...new Set(options.points.flatMap(Object.keys))].join(' '), 'sweep.loso': Boolean(options.loso), ...(speakers ? { 'sweep.speakers': speakers.join(' ') } : {}) });
      // A tag, not a param: resuming a finished sweep may re-summarise it on another metric.
      await parent.setTags({ [SELECT_ON_TAG]: selectionLabel(selection) });
      if (options.configFile) await parent.logArtifact(options.configFile, 'config');
      const groups = options.points.map((p, i) => pointJobs(base, i, p, parent.runId, speakers));
      log(`sweep: ${options.points.length} point(s), ${groups.flat().length} job(s), parent run ${parent.runId}`);
      const results = await dispatchJobs(executor, groups.flat(), { finished: (job, r) => log(`${job.run.runName} done: ${doneText(r)}`) }, log);
      const points = summarizePoints(options.points, groups, results);
      for (const p of points) await parent.logMetrics(pointMetrics(p));
      const best = bestPoint(points, selection);
      await parent.logMetrics({ best_point: best.index, best_accuracy: best.accuracy });
      await parent.logJson({ points, best: best.index, selectedOn: selectionLabel(selection) }, 'sweep.json');
      await parent.logText(formatSweep(points, selection), 'sweep.md');
      return { parentRunId: parent.runId, points, best };
    });
  } finally {
    if (!options.executor) await executor.close();
  }
}

function summarizePoints(overrides: ConfigOverrides[], groups: TrainingJob[][], results: JobResult[]): SweepPoint[] {
  let k = 0;
  return groups.map((jobs, index) => {
    const mine = results.slice(k, k + jobs.length);
    k += jobs.length;
    const runIds = mine.map((r) => r.runId);
    if (jobs.length === 1 && !jobs[0]!.run.tags[SPEAKER_TAG]) return { index, overrides: overrides[index]!, accuracy: mine[0]!.accuracy, external: mine[0]!.external ?? [], runIds };
    const { mean, min } = summarizeFolds(mine.map((r) => r.accuracy));
    return { index, overrides: overrides[index]!, accuracy: mean, min, runIds };
  });
}

/** A finished job for the log: test accuracy, each external folder's accuracy, the run. */
function doneText(r: JobResult): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  return [pct(r.accuracy), ...(r.external ?? []).map((e) => `${e.name} ${pct(e.accuracy)}`)].join(', ') + ` (run ${r.runId})`;
}

/** A point's metrics on the parent run: `point_<i>_accuracy`, and per external folder `point_<i>_external/<name>/accuracy` and `.../min_group_accuracy`. */
function pointMetrics(p: SweepPoint): Record<string, number> {
  const metrics: Record<string, number> = { [`point_${p.index}_accuracy`]: p.accuracy };
  if (p.min !== undefined) metrics[`point_${p.index}_min_accuracy`] = p.min;
  for (const e of p.external ?? []) Object.assign(metrics, { [`point_${p.index}_external/${e.name}/accuracy`]: e.accuracy, [`point_${p.index}_external/${e.name}/min_group_accuracy`]: e.minGroupAccuracy });
  return metrics;
}
