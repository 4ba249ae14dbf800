/**
 * `melbook sweep`: one tracked run per grid point (or, with `loso`, one leave-one-speaker-out
 * set of folds per point), all nested under one parent run that holds the table of points and
 * their metric. The points are jobs like any other, so they run on the local pool or the queue.
 */
import { trainingJob, type ConfigOverrides, type JobResult, type TrainingJob } from './job';
import { dispatchJobs } from './dispatch';
import { LocalExecutor } from './local-executor';
import { foldOverrides, SPEAKER_TAG } from './loso';
import type { Executor } from './executor';
import { preprocess } from '../stages/preprocess';
import { summarizeFolds } from '../stages/loso-report';
import { Tracker, withRun } from '../tracking/tracker';
import type { PipelineConfig } from '../config/pipeline';

/** The tag naming a child run's grid point (its index in the sweep). */
export const POINT_TAG = 'melbook.sweep.point';

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
  /** Continue this earlier sweep parent run: points that finished are not trained again. */
  resumeParentRunId?: string;
  log?: (line: string) => void;
}

export interface SweepPoint {
  index: number;
  overrides: ConfigOverrides;
  /** Test accuracy, or with `loso` the mean over the folds. */
  accuracy: number;
  /** With `loso`: the weakest fold. */
  min?: number;
  runIds: string[];
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
  const speakers = options.loso ? options.speakers ?? (await preprocess({ ...base })).metadata.speakers : undefined;
  const executor: Executor = options.executor ?? new LocalExecutor({ concurrency: Math.max(1, options.jobs ?? 1), log, label: (job) => job.run.runName });
  const tracker = new Tracker({ root: base.tracking.root });
  const runOptions = { experimentName: base.tracking.experiment, runName: base.tracking.runName ?? `sweep-${new Date().toISOString().slice(0, 19)}`, tags: { 'melbook.mode': options.loso ? 'sweep-loso' : 'sweep' }, continueRunId: options.resumeParentRunId, reopenFinished: true, endChildren: !executor.remote };
  try {
    return await withRun(tracker, runOptions, async (parent) => {
      await parent.logParams({ 'sweep.points': options.points.length, 'sweep.keys': [...new Set(options.points.flatMap(Object.keys))].join(' '), 'sweep.loso': Boolean(options.loso), ...(speakers ? { 'sweep.speakers': speakers.join(' ') } : {}) });
      if (options.configFile) await parent.logArtifact(options.configFile, 'config');
      const groups = options.points.map((p, i) => pointJobs(base, i, p, parent.runId, speakers));
      log(`sweep: ${options.points.length} point(s), ${groups.flat().length} job(s), parent run ${parent.runId}`);
      const results = await dispatchJobs(executor, groups.flat(), { finished: (job, r) => log(`${job.run.runName} done: ${(100 * r.accuracy).toFixed(1)} % (run ${r.runId})`) }, log);
      const points = summarizePoints(options.points, groups, results);
      for (const p of points) await parent.logMetrics({ [`point_${p.index}_accuracy`]: p.accuracy, ...(p.min !== undefined ? { [`point_${p.index}_min_accuracy`]: p.min } : {}) });
      const best = points.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
      await parent.logMetrics({ best_point: best.index, best_accuracy: best.accuracy });
      await parent.logJson({ points, best: best.index }, 'sweep.json');
      await parent.logText(formatSweep(points), 'sweep.md');
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
    if (jobs.length === 1 && !jobs[0]!.run.tags[SPEAKER_TAG]) return { index, overrides: overrides[index]!, accuracy: mine[0]!.accuracy, runIds };
    const { mean, min } = summarizeFolds(mine.map((r) => r.accuracy));
    return { index, overrides: overrides[index]!, accuracy: mean, min, runIds };
  });
}

/** The points as a markdown table: one column per swept key, then the metric. */
export function formatSweep(points: readonly SweepPoint[]): string {
  const keys = [...new Set(points.flatMap((p) => Object.keys(p.overrides)))];
  const loso = points.some((p) => p.min !== undefined);
  const head = ['point', ...keys, loso ? 'LOSO mean' : 'test accuracy', ...(loso ? ['weakest fold'] : [])];
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const rows = points.map((p) => [String(p.index), ...keys.map((k) => JSON.stringify(p.overrides[k] ?? null)), pct(p.accuracy), ...(loso ? [pct(p.min ?? Number.NaN)] : [])]);
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n') + '\n';
}
