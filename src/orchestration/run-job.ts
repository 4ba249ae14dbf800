/**
 * The one place a job becomes a training run. Queues deliver a job at least once, so:
 * - a job that already has a FINISHED run (tag `melbook.job`) under its parent returns that
 *   run's result instead of training a second model;
 * - a job whose earlier attempt died (a worker killed mid-training) ends that attempt KILLED and
 *   resumes from its last checkpoint in a new run, tagged `melbook.resumedFrom`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveJobConfig, type ExternalScore, type JobResult, type TrainingJob } from './job';
import { JOB_TAG, runsOfJob } from './job-runs';
import { trainStage } from '../stages/train';
import { latestCheckpoint } from '../train/checkpoint';
import { Tracker } from '../tracking/tracker';
import { externalSetName } from '../data/external';
import type { Run } from '../tracking/store';
import type { PipelineConfig } from '../config/pipeline';

export { JOB_TAG };

/** Tags of a run that continues a dead attempt: the attempt's run id and the epochs it had completed. */
export const RESUMED_FROM_TAG = 'melbook.resumedFrom';
export const RESUMED_AT_TAG = 'melbook.resumedAtEpoch';

/** Train the job's model in its own run (nested under `job.run.parentRunId`), or return the run a previous delivery finished. */
export async function runJob(job: TrainingJob, log: (line: string) => void = (l) => console.log(l)): Promise<JobResult> {
  const resolved = resolveJobConfig(job);
  const config: PipelineConfig = { ...resolved, tracking: { ...resolved.tracking, runName: job.run.runName } };
  const tracker = new Tracker({ root: config.tracking.root });
  const runs = await runsOfJob(tracker, config.tracking.experiment, job);
  const previous = runs.find((r) => r.info.status === 'FINISHED');
  if (previous) {
    log(`job ${job.id}: run ${previous.info.runId} already finished it; not training again`);
    return resultOfRun(tracker, job, previous);
  }
  const attempt = await deadAttempt(tracker, runs);
  const tags: Record<string, string> = { ...job.run.tags, [JOB_TAG]: job.id };
  if (attempt) {
    Object.assign(tags, { [RESUMED_FROM_TAG]: attempt.runId, [RESUMED_AT_TAG]: String(attempt.epochsDone) });
    log(`job ${job.id}: run ${attempt.runId} died after epoch ${attempt.epochsDone}; resuming from its checkpoint`);
  }
  const r = await trainStage({ config, log, parentRunId: job.run.parentRunId, tags, resumeFrom: attempt?.checkpoints });
  return {
    jobId: job.id, runId: r.runId, accuracy: r.evaluation.accuracy, count: r.evaluation.count,
    ...epochStats(r.training.history.map((h) => h.epoch_seconds)),
    external: r.external.map((e) => ({ name: e.name, accuracy: e.accuracy, minGroupAccuracy: e.minGroupAccuracy })),
  };
}

/**
 * The newest earlier attempt of the job that left a checkpoint. Attempts still marked RUNNING
 * are dead (the queue handed their job on), so they end KILLED here.
 */
async function deadAttempt(tracker: Tracker, runs: readonly Run[]): Promise<{ runId: string; checkpoints: string; epochsDone: number } | undefined> {
  for (const r of runs) if (r.info.status === 'RUNNING') await tracker.store.updateRunInfo(r.info.runId, 'KILLED', Date.now());
  for (const r of runs) {
    const checkpoints = join(await tracker.store.artifactDir(r.info.runId), 'checkpoints');
    const found = existsSync(checkpoints) ? latestCheckpoint(checkpoints) : undefined;
    if (found) return { runId: r.info.runId, checkpoints, epochsDone: found.state.epochsDone };
  }
  return undefined;
}

/** The FINISHED run of `job` under its parent, if there is one. */
export async function finishedRunOf(tracker: Tracker, experiment: string, job: TrainingJob): Promise<Run | undefined> {
  return (await runsOfJob(tracker, experiment, job)).find((r) => r.info.status === 'FINISHED');
}

/** A finished run's result, read back from its metrics and its test evaluation. */
export async function resultOfRun(tracker: Tracker, job: TrainingJob, run: Run): Promise<JobResult> {
  const evaluationFile = join(await tracker.store.artifactDir(run.info.runId), 'evaluation', 'test.json');
  const evaluation = JSON.parse(readFileSync(evaluationFile, 'utf8')) as { accuracy: number; count: number };
  const epochSeconds = (run.data.metricHistory.epoch_seconds ?? []).map((m) => m.value);
  return { jobId: job.id, runId: run.info.runId, accuracy: evaluation.accuracy, count: evaluation.count, ...epochStats(epochSeconds), external: externalScoresOf(job, run) };
}

/**
 * The run's scores on the job's `evaluation.external` folders, from the metrics `melbook train`
 * logged (`external/<name>/accuracy`, `external/<name>/min_group_accuracy`). A folder the run
 * was not scored on (listed only after it finished) is left out, not guessed.
 */
function externalScoresOf(job: TrainingJob, run: Run): ExternalScore[] {
  const scores: ExternalScore[] = [];
  for (const dir of resolveJobConfig(job).evaluation.external) {
    const name = externalSetName(dir);
    const accuracy = run.data.metrics[`external/${name}/accuracy`];
    const minGroup = run.data.metrics[`external/${name}/min_group_accuracy`];
    if (accuracy && minGroup) scores.push({ name, accuracy: accuracy.value, minGroupAccuracy: minGroup.value });
  }
  return scores;
}

/** Epochs trained and the median seconds per epoch (0 when none). */
function epochStats(epochSeconds: readonly number[]): { epochs: number; epochSecondsMedian: number } {
  const sorted = [...epochSeconds].sort((a, b) => a - b);
  return { epochs: sorted.length, epochSecondsMedian: sorted[Math.floor(sorted.length / 2)] ?? 0 };
}
