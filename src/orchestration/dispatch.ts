/**
 * Handing jobs to an executor so that dispatching the same parent again (`--resume`) only runs
 * what is missing: a job that already has a FINISHED run is answered from that run, the others
 * go to the executor, and the results come back in the order of the jobs.
 */
import { resolveJobConfig, type JobResult, type TrainingJob } from './job';
import { finishedRunOf, resultOfRun } from './run-job';
import type { Executor, JobEvents } from './executor';
import { Tracker } from '../tracking/tracker';

export async function dispatchJobs(executor: Executor, jobs: readonly TrainingJob[], events: JobEvents = {}, log: (line: string) => void = () => undefined): Promise<JobResult[]> {
  const results: (JobResult | undefined)[] = new Array(jobs.length);
  const pending: number[] = [];
  for (const [i, job] of jobs.entries()) {
    const { tracking } = resolveJobConfig(job);
    const tracker = new Tracker({ root: tracking.root, gitCommit: null });
    const done = await finishedRunOf(tracker, tracking.experiment, job);
    if (done) {
      results[i] = await resultOfRun(tracker, job, done);
      events.finished?.(job, results[i]!);
    } else {
      pending.push(i);
    }
  }
  if (pending.length < jobs.length) log(`${jobs.length - pending.length} of ${jobs.length} jobs already have a FINISHED run; running the other ${pending.length}`);
  const ran = pending.length > 0 ? await executor.run(pending.map((i) => jobs[i]!), events) : [];
  pending.forEach((i, k) => { results[i] = ran[k]; });
  return results as JobResult[];
}
