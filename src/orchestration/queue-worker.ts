/**
 * `melbook worker`: takes training jobs from the BullMQ queue, checks each (job-guard), trains
 * it in a worker thread (runJob: a job that already has a FINISHED run is not trained again, a
 * job whose earlier attempt died resumes from that attempt's checkpoint) and acknowledges it.
 * On SIGINT/SIGTERM the current trainings stop, their runs end KILLED and their jobs go back to
 * the queue for another worker; a worker killed outright is found by BullMQ's stalled-job check.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import Piscina from 'piscina';
import { Worker, UnrecoverableError, WaitingError, type Job } from 'bullmq';
import { acceptJob, JobRejectedError } from './job-guard';
import { endRunsOfJob } from './job-runs';
import { connectionOptions, checkQueueReachable, TRAINING_QUEUE, redactError } from './queue';
import type { JobResult, TrainingJob } from './job';
import { runOnPool, JobFailedError } from './job-worker';
import { compiledWorker } from '../worker-file';
import { ConfigError } from '../errors';

/** The tag naming the worker that ran a job's run: `name (host pid N)`. */
export const WORKER_TAG = 'melbook.worker';

/** What a job's `progress` holds while it runs: which worker has it. */
export interface JobProgress {
  worker: string;
}

export interface QueueWorkerOptions {
  /** `redis://[user:password@]host[:port][/db]` or `rediss://…`. */
  url: string;
  /** Jobs trained at once, each in its own thread (one core each). Default 1. */
  concurrency?: number;
  /** Name shown on the dispatcher and tagged on runs. Default `host-pid`. */
  name?: string;
  /** Folders a job's paths must stay inside; relative job paths resolve against the first. Default [cwd]. */
  roots?: string[];
  /**
   * How long a job's lock lasts without renewal, in ms: a worker that died is noticed after
   * about this long. Default 30 000 (BullMQ's).
   */
  lockDurationMs?: number;
  /** How often this worker looks for stalled jobs of dead workers, in ms. Default 30 000. */
  stalledIntervalMs?: number;
  /** One line per job started, finished or failed. Default console.log. */
  log?: (line: string) => void;
}

export interface RunningWorker {
  readonly name: string;
  /** Stop taking jobs, stop the current ones (runs KILLED, jobs back to the queue), disconnect. */
  stop(): Promise<void>;
  /** Resolves when the worker has stopped. */
  readonly stopped: Promise<void>;
}

/** Errors inside a job that another attempt would only repeat: the ones melbook raises on purpose. */
function isPermanent(error: unknown): boolean {
  return error instanceof JobRejectedError || error instanceof ConfigError || error instanceof JobFailedError;
}

/** What the job processor of one worker process shares across its jobs. */
interface WorkerContext {
  roots: string[];
  /** The `melbook.worker` tag: name, host and pid. */
  tag: string;
  pool: Piscina;
  /** Jobs in progress, so a stop can abort them. */
  running: Map<string, AbortController>;
  log: (line: string) => void;
}

/**
 * BullMQ's processor for one job: refuse it (never retried) unless the guard accepts it, train
 * it on a pool thread, and when the worker stops mid-job, end its run KILLED and hand the job back.
 */
function jobProcessor(c: WorkerContext): (bull: Job, token?: string) => Promise<JobResult> {
  return async (bull, token) => {
    let accepted: ReturnType<typeof acceptJob>;
    try {
      accepted = acceptJob(bull.data, { roots: c.roots });
    } catch (e) {
      c.log(`job ${bull.id} refused: ${(e as Error).message}`);
      throw new UnrecoverableError((e as Error).message);
    }
    const { job, config } = accepted;
    const tagged: TrainingJob = { ...job, config, overrides: withoutPathOverrides(job.overrides), run: { ...job.run, tags: { ...job.run.tags, [WORKER_TAG]: c.tag } } };
    const abort = new AbortController();
    c.running.set(job.id, abort);
    await bull.updateProgress({ worker: c.tag } satisfies JobProgress);
    c.log(`job ${job.id} started: ${job.run.runName} (attempt ${bull.attemptsMade + 1})`);
    try {
      const result = await runOnPool(c.pool, { job: tagged, label: job.run.runName }, abort.signal);
      c.log(`job ${job.id} finished: run ${result.runId}, test accuracy ${(100 * result.accuracy).toFixed(1)} %`);
      return result;
    } catch (e) {
      if (abort.signal.aborted) {
        const ended = await endRunsOfJob(tagged, 'KILLED');
        await bull.moveToWait(token);
        c.log(`job ${job.id} handed back to the queue (run${ended.length === 1 ? '' : 's'} ${ended.join(', ') || 'none'} ended KILLED)`);
        throw new WaitingError();
      }
      c.log(`job ${job.id} failed: ${(e as Error).message}`);
      if (isPermanent(e)) throw new UnrecoverableError((e as Error).message);
      throw e;
    } finally {
      c.running.delete(job.id);
    }
  };
}

export async function startQueueWorker(options: QueueWorkerOptions): Promise<RunningWorker> {
  const target = await checkQueueReachable(options.url);
  const log = options.log ?? ((l: string) => console.log(l));
  const name = options.name ?? `${hostname()}-${process.pid}`;
  const roots = (options.roots ?? [process.cwd()]).map((r) => resolve(r));
  const concurrency = options.concurrency ?? 1;
  const pool = new Piscina({ filename: compiledWorker('orchestration/job-worker'), minThreads: 0, maxThreads: concurrency, idleTimeout: 1000 });
  const context: WorkerContext = { roots, tag: `${name} (${hostname()} pid ${process.pid})`, pool, running: new Map(), log };
  const worker = new Worker(TRAINING_QUEUE, jobProcessor(context), {
    connection: connectionOptions(target),
    concurrency,
    name,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    maxStalledCount: 1,
  });
  worker.on('error', (e) => log(`worker ${name}: ${redactError(e.message, target)}`));
  await worker.waitUntilReady();
  log(`worker ${name} waiting for jobs on ${target.display} (queue ${TRAINING_QUEUE}, ${concurrency} at a time, roots ${roots.join(', ')})`);
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      log(`worker ${name} stopping: ${context.running.size} job(s) handed back to the queue`);
      const closing = worker.close();
      for (const abort of context.running.values()) abort.abort();
      await closing;
      await pool.destroy();
    })();
    return stopping;
  };
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => { resolveStopped = r; });
  return { name, stopped, stop: () => stop().then(resolveStopped) };
}

/** The guard already put absolute, checked paths into the config; overrides must not undo them. */
function withoutPathOverrides(overrides: TrainingJob['overrides']): TrainingJob['overrides'] {
  return Object.fromEntries(Object.entries(overrides).filter(([k]) => !['data.recordings', 'preprocess.dir', 'tracking.root'].includes(k)));
}
