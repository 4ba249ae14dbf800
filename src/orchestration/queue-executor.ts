/**
 * The distributed executor: the same jobs as `LocalExecutor`, put on the BullMQ queue for
 * `melbook worker` processes on any machine that shares the tracking root and feature cache.
 * A job's BullMQ id is its own id, so dispatching the same jobs again adds nothing twice; a job
 * that vanished from Redis (a restart without persistence) is put back. Progress is read by
 * polling each job's state, which survives reconnects that would lose pushed events.
 */
import { Queue, type Job } from 'bullmq';
import { checkQueueReachable, connectionOptions, TRAINING_QUEUE, redactError } from './queue';
import type { Executor, JobEvents } from './executor';
import type { JobResult, TrainingJob } from './job';
import type { JobProgress } from './queue-worker';
import type { QueueTarget } from './queue-url';
import { MelbookError } from '../errors';

export interface QueueExecutorOptions {
  /** `redis://[user:password@]host[:port][/db]` or `rediss://…`. */
  url: string;
  /** Tries per job before it fails (a job that fails inside itself, e.g. a bad value, fails at once). Default 2. */
  attempts?: number;
  /** Between state polls, in ms. Default 1000. */
  pollMs?: number;
  /** Status lines (counts, which worker runs what). Default console.log. */
  log?: (line: string) => void;
}

/** A job that ended failed on the queue, with the reason the worker recorded. */
export class QueueJobFailedError extends MelbookError {
  constructor(readonly jobId: string, reason: string) {
    super(`job ${jobId} failed: ${reason}`);
  }
}

type Phase = 'waiting' | 'running' | 'done' | 'failed';

interface Tracked {
  job: TrainingJob;
  phase: Phase;
  worker?: string;
  result?: JobResult;
  error?: Error;
}

export class QueueExecutor implements Executor {
  readonly remote = true;
  private readonly attempts: number;
  private readonly pollMs: number;
  private readonly log: (line: string) => void;
  private target?: QueueTarget;
  private queue?: Queue;
  private tracked: Tracked[] = [];
  private cancelled = false;

  constructor(private readonly options: QueueExecutorOptions) {
    this.attempts = options.attempts ?? 2;
    if (!Number.isInteger(this.attempts) || this.attempts < 1) throw new MelbookError(`attempts must be a whole number >= 1, got ${this.attempts}`);
    this.pollMs = options.pollMs ?? 1000;
    this.log = options.log ?? ((l) => console.log(l));
  }

  /** Connect (QueueUnreachableError within 10 s when Redis does not answer). */
  private async open(): Promise<Queue> {
    if (this.queue) return this.queue;
    this.target = await checkQueueReachable(this.options.url);
    const target = this.target;
    this.queue = new Queue(TRAINING_QUEUE, { connection: connectionOptions(target) });
    this.queue.on('error', (e) => this.log(`queue ${target.display}: ${redactError(e.message, target)} (reconnecting)`));
    await this.queue.waitUntilReady();
    return this.queue;
  }

  async run(jobs: readonly TrainingJob[], events: JobEvents = {}): Promise<JobResult[]> {
    const queue = await this.open();
    this.tracked = jobs.map((job) => ({ job, phase: 'waiting' }));
    for (const t of this.tracked) await this.enqueue(queue, t.job);
    this.log(`${jobs.length} job(s) on ${this.target!.display} (queue ${TRAINING_QUEUE}); start workers with: npx melbook worker --queue ${this.target!.display}`);
    let last = '';
    while (this.tracked.some((t) => t.phase === 'waiting' || t.phase === 'running')) {
      if (this.cancelled) throw new MelbookError('dispatch cancelled');
      await new Promise((r) => setTimeout(r, this.pollMs));
      for (const t of this.tracked) if (t.phase === 'waiting' || t.phase === 'running') await this.poll(queue, t, events);
      const line = this.statusLine();
      if (line !== last) this.log(line);
      last = line;
    }
    const failed = this.tracked.find((t) => t.phase === 'failed');
    if (failed) throw failed.error;
    return this.tracked.map((t) => t.result!);
  }

  /** Add the job unless the queue has it; a job that failed on an earlier dispatch is retried. */
  private async enqueue(queue: Queue, job: TrainingJob): Promise<void> {
    const existing = await queue.getJob(job.id);
    if (existing && (await existing.getState()) === 'failed') {
      await existing.retry('failed', { resetAttemptsMade: true });
      return;
    }
    if (existing) return;
    await queue.add('train', job, { jobId: job.id, attempts: this.attempts, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: false, removeOnFail: false });
  }

  private async poll(queue: Queue, t: Tracked, events: JobEvents): Promise<void> {
    const bull: Job | undefined = await queue.getJob(t.job.id);
    if (!bull) {
      this.log(`job ${t.job.id} is gone from the queue (Redis restarted?): adding it again`);
      await this.enqueue(queue, t.job);
      t.phase = 'waiting';
      return;
    }
    const state = await bull.getState();
    const worker = (bull.progress as Partial<JobProgress> | undefined)?.worker;
    if (state === 'active' && (t.phase !== 'running' || worker !== t.worker)) {
      t.phase = 'running';
      t.worker = worker;
      this.log(`job ${t.job.id} (${t.job.run.runName}) running on ${worker ?? 'a worker'}`);
      events.started?.(t.job, worker ?? 'queue worker');
    } else if (state === 'completed') {
      t.phase = 'done';
      t.result = bull.returnvalue as JobResult;
      events.finished?.(t.job, t.result);
    } else if (state === 'failed') {
      t.phase = 'failed';
      t.error = new QueueJobFailedError(t.job.id, bull.failedReason || 'no reason recorded');
      events.failed?.(t.job, t.error);
    } else if (state !== 'active') {
      t.phase = 'waiting';
    }
  }

  /** `jobs: 1 waiting, 2 running, 3 done, 0 failed`. */
  statusLine(): string {
    const count = (p: Phase) => this.tracked.filter((t) => t.phase === p).length;
    return `jobs: ${count('waiting')} waiting, ${count('running')} running, ${count('done')} done, ${count('failed')} failed`;
  }

  /**
   * Ctrl-C on the dispatcher: remove this dispatch's jobs that no worker has started. Running
   * jobs are left to finish on their workers (their runs end FINISHED under the parent, and
   * `--resume` picks them up).
   */
  async cancel(): Promise<string[]> {
    this.cancelled = true;
    const queue = this.queue;
    if (!queue) return [];
    const removed: string[] = [];
    for (const t of this.tracked) {
      const bull = await queue.getJob(t.job.id);
      const state = bull ? await bull.getState() : 'unknown';
      if (bull && (state === 'waiting' || state === 'delayed' || state === 'prioritized')) {
        await bull.remove();
        removed.push(t.job.id);
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    const queue = this.queue;
    this.queue = undefined;
    await queue?.close();
  }
}
