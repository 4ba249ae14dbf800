/**
 * The one place a job becomes a training run. Queues deliver a job at least once, so a job that
 * already has a FINISHED run (tag `melbook.job`) under its parent returns that run's result
 * instead of training a second model.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveJobConfig, type JobResult, type TrainingJob } from './job';
import { trainStage } from '../stages/train';
import { Tracker } from '../tracking/tracker';
import type { Run } from '../tracking/store';
import type { PipelineConfig } from '../config/pipeline';

/** The run tag that ties a run to the job that made it. */
export const JOB_TAG = 'melbook.job';

/** Train the job's model in its own run (nested under `job.run.parentRunId`), or return the run a previous delivery finished. */
export async function runJob(job: TrainingJob, log: (line: string) => void = (l) => console.log(l)): Promise<JobResult> {
  const resolved = resolveJobConfig(job);
  const config: PipelineConfig = { ...resolved, tracking: { ...resolved.tracking, runName: job.run.runName } };
  const tracker = new Tracker({ root: config.tracking.root });
  const previous = await finishedRunOf(tracker, config.tracking.experiment, job);
  if (previous) {
    log(`job ${job.id}: run ${previous.info.runId} already finished it; not training again`);
    return resultOfRun(tracker, job, previous);
  }
  const r = await trainStage({ config, log, parentRunId: job.run.parentRunId, tags: { ...job.run.tags, [JOB_TAG]: job.id } });
  return {
    jobId: job.id, runId: r.runId, accuracy: r.evaluation.accuracy, count: r.evaluation.count,
    ...epochStats(r.training.history.map((h) => h.epoch_seconds)),
  };
}

/** The FINISHED run of `job` under its parent, if there is one. */
export async function finishedRunOf(tracker: Tracker, experiment: string, job: TrainingJob): Promise<Run | undefined> {
  const exp = await tracker.store.getExperimentByName(experiment);
  if (!exp) return undefined;
  const runs = await tracker.store.listRuns(exp.experimentId);
  return runs.find((r) => r.info.status === 'FINISHED' && r.data.tags[JOB_TAG] === job.id && r.data.tags['mlflow.parentRunId'] === job.run.parentRunId);
}

/** A finished run's result, read back from its metrics and its test evaluation. */
async function resultOfRun(tracker: Tracker, job: TrainingJob, run: Run): Promise<JobResult> {
  const evaluationFile = join(await tracker.store.artifactDir(run.info.runId), 'evaluation', 'test.json');
  const evaluation = JSON.parse(readFileSync(evaluationFile, 'utf8')) as { accuracy: number; count: number };
  const epochSeconds = (run.data.metricHistory.epoch_seconds ?? []).map((m) => m.value);
  return { jobId: job.id, runId: run.info.runId, accuracy: evaluation.accuracy, count: evaluation.count, ...epochStats(epochSeconds) };
}

/** Epochs trained and the median seconds per epoch (0 when none). */
function epochStats(epochSeconds: readonly number[]): { epochs: number; epochSecondsMedian: number } {
  const sorted = [...epochSeconds].sort((a, b) => a - b);
  return { epochs: sorted.length, epochSecondsMedian: sorted[Math.floor(sorted.length / 2)] ?? 0 };
}
