/**
 * The worker-thread entry point of `LocalExecutor`'s pool: one job per call. Progress lines
 * carry the job's label, since jobs running side by side interleave on one terminal.
 */
import { runJob } from './run-job';
import type { JobResult, TrainingJob } from './job';

export interface JobWorkerTask {
  job: TrainingJob;
  /** Prefix of every progress line, e.g. the held-out speaker. */
  label: string;
}

export default function jobWorker(task: JobWorkerTask): Promise<JobResult> {
  return runJob(task.job, (line) => console.log(`[${task.label}] ${line}`));
}
