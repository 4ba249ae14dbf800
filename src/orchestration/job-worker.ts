/**
 * The worker-thread entry point of the job pools (LocalExecutor's, a queue worker's): one job
 * per call. Progress lines carry the job's label, since jobs running side by side interleave
 * on one terminal. An error crosses the thread boundary as a plain Error (its class and name
 * are lost), so the thread replies with what the caller needs to rebuild it: whether it was an
 * error melbook raised on purpose, which another attempt would only repeat.
 */
import type Piscina from 'piscina';
import { runJob } from './run-job';
import type { JobResult, TrainingJob } from './job';
import { MelbookError } from '../errors';

export interface JobWorkerTask {
  job: TrainingJob;
  /** Prefix of every progress line, e.g. the held-out speaker. */
  label: string;
}

export type JobWorkerReply = { ok: true; result: JobResult } | { ok: false; name: string; message: string; stack?: string; melbook: boolean };

/** A job that failed in a pool thread with an error melbook raised on purpose (a bad value, a missing clip). */
export class JobFailedError extends MelbookError {
  constructor(readonly jobId: string, readonly causeName: string, message: string) {
    super(message);
  }
}

export default async function jobWorker(task: JobWorkerTask): Promise<JobWorkerReply> {
  try {
    return { ok: true, result: await runJob(task.job, (line) => console.log(`[${task.label}] ${line}`)) };
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    return { ok: false, name: error.name, message: error.message, stack: error.stack, melbook: error instanceof MelbookError };
  }
}

/** Run a task on a pool of `jobWorker` threads; a failure rethrows as JobFailedError (melbook's own errors) or Error. */
export async function runOnPool(pool: Piscina, task: JobWorkerTask, signal?: AbortSignal): Promise<JobResult> {
  const reply = (await pool.run(task, signal ? { signal } : {})) as JobWorkerReply;
  if (reply.ok) return reply.result;
  const error = reply.melbook ? new JobFailedError(task.job.id, reply.name, reply.message) : Object.assign(new Error(reply.message), { name: reply.name });
  if (reply.stack) error.stack = reply.stack;
  throw error;
}
