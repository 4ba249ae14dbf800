/**
 * Jobs on this machine: one after the other in this thread (concurrency 1), or side by side in a
 * pool of worker threads, one job per thread (a training uses one core). In the pool, `started`
 * fires as a job is handed to the pool, so every job starts at once and queues for a thread.
 */
import Piscina from 'piscina';
import { runJob } from './run-job';
import type { Executor, JobEvents } from './executor';
import type { JobResult, TrainingJob } from './job';
import { runOnPool, type JobWorkerTask } from './job-worker';
import { compiledWorker } from '../worker-file';
import { MelbookError } from '../errors';

/** `where` of a job run in the calling thread. */
export const IN_PROCESS = 'in-process';
/** `where` of a job run in a pool thread. */
export const WORKER_THREAD = 'worker thread';

export interface LocalExecutorOptions {
  /** Jobs run at the same time, each in its own worker thread; 1 runs them in-process. Default 1. */
  concurrency?: number;
  /** Where in-process jobs' progress lines go. Default console.log. */
  log?: (line: string) => void;
  /** Prefix of a pool job's progress lines, which interleave (`[label] line`). Default the run name. */
  label?: (job: TrainingJob) => string;
}

export class LocalExecutor implements Executor {
  readonly concurrency: number;
  private readonly log: (line: string) => void;
  private readonly label: (job: TrainingJob) => string;
  private pool?: Piscina;

  constructor(options: LocalExecutorOptions = {}) {
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new MelbookError(`LocalExecutor: concurrency must be a whole number >= 1, got ${concurrency}`);
    this.concurrency = concurrency;
    this.log = options.log ?? ((l) => console.log(l));
    this.label = options.label ?? ((job) => job.run.runName);
  }

  async run(jobs: readonly TrainingJob[], events: JobEvents = {}): Promise<JobResult[]> {
    if (this.concurrency === 1) {
      const results: JobResult[] = [];
      for (const job of jobs) results.push(await observe(job, IN_PROCESS, events, () => runJob(job, this.log)));
      return results;
    }
    this.pool ??= new Piscina({ filename: compiledWorker('orchestration/job-worker'), minThreads: this.concurrency, maxThreads: this.concurrency, idleTimeout: 1000 });
    const pool = this.pool;
    return Promise.all(jobs.map((job) => {
      const task: JobWorkerTask = { job, label: this.label(job) };
      return observe(job, WORKER_THREAD, events, () => runOnPool(pool, task));
    }));
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.destroy();
  }
}

/** Run one job between its `started` and its `finished` or `failed` event. */
async function observe(job: TrainingJob, where: string, events: JobEvents, start: () => Promise<JobResult>): Promise<JobResult> {
  events.started?.(job, where);
  let result: JobResult;
  try {
    result = await start();
  } catch (err) {
    events.failed?.(job, err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
  events.finished?.(job, result);
  return result;
}
