/**
 * Leave-one-speaker-out evaluation: one model per held-out speaker, each trained on the other
 * speakers and tested on the held-out one. One job per speaker goes to an executor; the runs
 * are nested under one parent run that holds the per-speaker table, the mean and the spread.
 */
import { applyConfigOverrides, trainingJob, type ConfigOverrides, type JobResult, type TrainingJob } from './job';
import { LocalExecutor, IN_PROCESS } from './local-executor';
import type { Executor } from './executor';
import { dispatchJobs } from './dispatch';
import { preprocess } from '../stages/preprocess';
import { summarizeFolds } from '../stages/loso-report';
import { Tracker, withRun, type RunHandle } from '../tracking/tracker';
import type { PipelineConfig } from '../config/pipeline';

export { summarizeFolds };

export interface LosoOptions {
  config: PipelineConfig;
  configFile?: string;
  /** Only these speakers (default: every speaker in the metadata). */
  speakers?: string[];
  /**
   * Folds trained side by side, each in its own worker thread (a fold trains on one core).
   * Progress lines then carry the speaker. Default 1 (one after the other, in-process).
   * Used by the default executor only.
   */
  jobs?: number;
  /** Where the fold jobs run. Default a `LocalExecutor` of `jobs` threads, closed when done. */
  executor?: Executor;
  /**
   * Continue this earlier LOSO parent run (killed, failed or cut short): only the folds without
   * a FINISHED run train again, and the parent aggregates all of them.
   */
  resumeParentRunId?: string;
  log?: (line: string) => void;
}

export interface FoldResult {
  speaker: string;
  runId: string;
  accuracy: number;
  count: number;
  /** Epochs trained and the median seconds per epoch. */
  epochs: number;
  epochSecondsMedian: number;
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

/** The tag that names a fold run's held-out speaker. */
export const SPEAKER_TAG = 'melbook.loso.speaker';

/** What a fold changes in the config: the held-out speaker, and the run name. */
export function foldOverrides(speaker: string): ConfigOverrides {
  return { 'split.mode': 'speaker', 'split.testSpeaker': speaker, 'tracking.runName': `loso-${speaker}` };
}

/** The config of the fold that holds out `speaker`. */
export function foldConfig(base: PipelineConfig, speaker: string): PipelineConfig {
  return applyConfigOverrides(base, foldOverrides(speaker));
}

/** The job that trains the fold holding out `speaker`, as a nested run of `parentRunId`. */
export function foldJob(base: PipelineConfig, speaker: string, parentRunId: string): TrainingJob {
  return trainingJob({ role: 'loso-fold', config: base, overrides: foldOverrides(speaker), parentRunId, tags: { [SPEAKER_TAG]: speaker } });
}

export async function leaveOneSpeakerOut(options: LosoOptions): Promise<LosoResult> {
  const log = options.log ?? ((l: string) => console.log(l));
  const base = options.config;
  // The speakers come from the data, not from a constant.
  const prep = await preprocess({ ...base });
  log(`features: ${prep.featureDir} (${prep.written} written, ${prep.reused} reused, ${prep.skipped.length} skipped, ${prep.seconds.toFixed(1)} s)`);
  const speakers = options.speakers ?? prep.metadata.speakers;
  const tracker = new Tracker({ root: base.tracking.root });
  const runName = base.tracking.runName ?? `loso-${new Date().toISOString().slice(0, 19)}`;
  const runOptions = { experimentName: base.tracking.experiment, runName, tags: { 'melbook.mode': 'loso' }, continueRunId: options.resumeParentRunId, reopenFinished: true, endChildren: !options.executor?.remote };
  return withRun(tracker, runOptions, async (parent) => {
    await parent.logParams({ 'loso.speakers': speakers.join(' '), 'loso.folds': speakers.length, ...(options.configFile ? { 'loso.config': options.configFile } : {}) });
    if (options.configFile) await parent.logArtifact(options.configFile, 'config');
    const jobs = speakers.map((speaker) => foldJob(base, speaker, parent.runId));
    const folds = await runFolds(jobs, parent, options, log);
    const { mean, std, min } = summarizeFolds(folds.map((f) => f.accuracy));
    await parent.logMetrics({ loso_mean_accuracy: mean, loso_std_accuracy: std, loso_min_accuracy: min });
    await parent.logJson({ folds, mean, std, min }, 'loso.json');
    return { parentRunId: parent.runId, folds, mean, std, min };
  });
}

/**
 * Hand the fold jobs to the executor; log each fold and its accuracy on the parent as it
 * finishes (or, for an executor that reports no events, when the results come back).
 */
async function runFolds(jobs: TrainingJob[], parent: RunHandle, options: LosoOptions, log: (line: string) => void): Promise<FoldResult[]> {
  const speakerOf = (job: TrainingJob) => job.run.tags[SPEAKER_TAG];
  const concurrency = Math.max(1, Math.min(options.jobs ?? 1, jobs.length));
  const executor = options.executor ?? new LocalExecutor({ concurrency, log, label: speakerOf });
  if (!options.executor && concurrency > 1) log(`${jobs.length} folds, ${concurrency} at a time`);
  const index = new Map(jobs.map((job, i) => [job.id, i]));
  const metricWrites: Promise<void>[] = [];
  const recorded = new Set<string>();
  const record = (job: TrainingJob, result: JobResult) => {
    if (recorded.has(job.id)) return;
    recorded.add(job.id);
    log(`fold ${recorded.size}/${jobs.length} done: ${speakerOf(job)} ${(100 * result.accuracy).toFixed(1)} % (${result.count} clips, run ${result.runId})`);
    metricWrites.push(parent.logMetric(`loso_accuracy/${speakerOf(job)}`, result.accuracy, index.get(job.id)!));
  };
  try {
    const results = await dispatchJobs(executor, jobs, {
      // Threads and remote workers start folds together; only a sequential fold gets a start line.
      started: (job, where) => {
        if (where === IN_PROCESS) log(`fold ${index.get(job.id)! + 1}/${jobs.length}: held-out speaker ${speakerOf(job)}`);
      },
      finished: record,
    }, log);
    results.forEach((r, i) => record(jobs[i], r));
    await Promise.all(metricWrites);
    return results.map((r, i) => foldResult(speakerOf(jobs[i]), r));
  } finally {
    await Promise.allSettled(metricWrites);
    if (!options.executor) await executor.close();
  }
}

function foldResult(speaker: string, r: JobResult): FoldResult {
  return { speaker, runId: r.runId, accuracy: r.accuracy, count: r.count, epochs: r.epochs, epochSecondsMedian: r.epochSecondsMedian };
}

/** The per-speaker table as text. */
export function formatLoso(r: LosoResult): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const rows = r.folds.map((f) => `  ${f.speaker.padEnd(10)} ${pct(f.accuracy).padStart(8)}  (${f.count} clips, run ${f.runId})`);
  return [`leave-one-speaker-out (parent run ${r.parentRunId}):`, ...rows, `  ${'mean'.padEnd(10)} ${pct(r.mean).padStart(8)}  std ${pct(r.std)}, min ${pct(r.min)}`].join('\n');
}
