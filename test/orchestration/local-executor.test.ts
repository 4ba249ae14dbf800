import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalExecutor, IN_PROCESS, WORKER_THREAD } from '../../src/orchestration/local-executor';
import { trainingJob, type TrainingJob } from '../../src/orchestration/job';
import type { JobEvents } from '../../src/orchestration/executor';
import { pipelineConfig, type PipelineConfig } from '../../src/config/pipeline';
import { Tracker } from '../../src/tracking/tracker';
import { ConfigError } from '../../src/errors';
import { toneCorpus } from '../helpers/corpus';

function tinyConfig(): PipelineConfig {
  const work = mkdtempSync(join(tmpdir(), 'melbook-executor-'));
  return pipelineConfig({
    data: { recordings: toneCorpus({ speakers: ['ann', 'bob'], takes: 4 }), durationS: 0.4 },
    split: { mode: 'random', testFraction: 0.25, validationFraction: 0.25 },
    preprocess: { dir: join(work, 'features'), workers: 1 },
    model: { type: 'cnn', blocks: [{ type: 'conv2d', filters: 4, kernelSize: 3, pool: { type: 'max', size: 4 } }], dense: [] },
    training: { epochs: 1, backend: 'cpu', batchSize: 16 },
    tracking: { root: join(work, 'runs'), experiment: 'executor' },
  });
}

/** Records every event as `<kind> <run name>[ <where>]`. */
function recorder(): { events: string[]; handlers: JobEvents } {
  const events: string[] = [];
  return {
    events,
    handlers: {
      started: (job, where) => events.push(`started ${job.run.runName} ${where}`),
      finished: (job) => events.push(`finished ${job.run.runName}`),
      failed: (job, err) => events.push(`failed ${job.run.runName} ${err.name}`),
    },
  };
}

async function jobsUnderParent(config: PipelineConfig, epochs: number[]): Promise<TrainingJob[]> {
  const parent = await new Tracker({ root: config.tracking.root, gitCommit: null }).startRun({ experimentName: config.tracking.experiment, runName: 'parent' });
  return epochs.map((e, i) => trainingJob({ role: 'test', config, overrides: { 'training.epochs': e, 'tracking.runName': `job${i}` }, parentRunId: parent.runId }));
}

test('in-process, jobs run one after the other and each is started, then finished', { timeout: 300_000 }, async () => {
  const config = tinyConfig();
  const jobs = await jobsUnderParent(config, [2, 1]);
  const executor = new LocalExecutor({ concurrency: 1, log: () => undefined });
  const { events, handlers } = recorder();
  try {
    const results = await executor.run(jobs, handlers);
    assert.deepEqual(results.map((r) => r.jobId), jobs.map((j) => j.id), 'results in the order of the jobs');
    assert.deepEqual(results.map((r) => r.epochs), [2, 1]);
    assert.deepEqual(events, [`started job0 ${IN_PROCESS}`, 'finished job0', `started job1 ${IN_PROCESS}`, 'finished job1']);
  } finally {
    await executor.close();
  }
});

test('in worker threads, results come back in the order of the jobs, whatever order they finish in', { timeout: 300_000 }, async () => {
  const config = tinyConfig();
  const jobs = await jobsUnderParent(config, [4, 1]);
  const executor = new LocalExecutor({ concurrency: 2 });
  const { events, handlers } = recorder();
  try {
    const results = await executor.run(jobs, handlers);
    assert.deepEqual(results.map((r) => r.jobId), jobs.map((j) => j.id));
    assert.deepEqual(results.map((r) => r.epochs), [4, 1]);
    assert.deepEqual(events.slice(0, 2), [`started job0 ${WORKER_THREAD}`, `started job1 ${WORKER_THREAD}`], 'both start before either finishes');
    assert.deepEqual(events.slice(2).sort(), ['finished job0', 'finished job1']);
  } finally {
    await executor.close();
  }
});

test('a job that fails reports failed and rejects the run with its error', { timeout: 60_000 }, async () => {
  const config = tinyConfig();
  const [good] = await jobsUnderParent(config, [1]);
  const bad = { ...good, id: `${good.id}-bad`, overrides: { ...good.overrides, 'training.batchSize': 0 }, run: { ...good.run, runName: 'bad' } };
  const executor = new LocalExecutor({ log: () => undefined });
  const { events, handlers } = recorder();
  await assert.rejects(executor.run([bad, good], handlers), (err: unknown) => err instanceof ConfigError && err.path === 'training.batchSize');
  assert.deepEqual(events, [`started bad ${IN_PROCESS}`, 'failed bad ConfigError'], 'the jobs after a failure do not start');
});

test('concurrency must be a whole number >= 1', () => {
  assert.throws(() => new LocalExecutor({ concurrency: 0 }), /concurrency must be a whole number >= 1, got 0/);
});
