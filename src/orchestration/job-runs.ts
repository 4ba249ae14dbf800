/**
 * The runs a job has made, found through their `melbook.job` tag under the job's parent run.
 * A queue may deliver a job more than once, so one job can have several runs: at most one
 * FINISHED, the others KILLED or FAILED attempts.
 */
import type { TrainingJob } from './job';
import { resolveJobConfig } from './job';
import { Tracker } from '../tracking/tracker';
import type { Run, RunStatus } from '../tracking/store';

/** The run tag that ties a run to the job that made it. */
export const JOB_TAG = 'melbook.job';

/** Every run of `job` under its parent, newest first. */
export async function runsOfJob(tracker: Tracker, experiment: string, job: TrainingJob): Promise<Run[]> {
  const exp = await tracker.store.getExperimentByName(experiment);
  if (!exp) return [];
  const runs = await tracker.store.listRuns(exp.experimentId);
  return runs.filter((r) => r.data.tags[JOB_TAG] === job.id && r.data.tags['mlflow.parentRunId'] === job.run.parentRunId);
}

/** End `job`'s RUNNING runs with `status`; returns their ids. */
export async function endRunsOfJob(job: TrainingJob, status: Exclude<RunStatus, 'RUNNING'>): Promise<string[]> {
  const config = resolveJobConfig(job);
  const tracker = new Tracker({ root: config.tracking.root, gitCommit: null });
  const running = (await runsOfJob(tracker, config.tracking.experiment, job)).filter((r) => r.info.status === 'RUNNING');
  for (const r of running) await tracker.store.updateRunInfo(r.info.runId, status, Date.now());
  return running.map((r) => r.info.runId);
}
