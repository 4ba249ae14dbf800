import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJob, JOB_TAG } from '../../src/orchestration/run-job';
import { foldJob } from '../../src/orchestration/loso';
import type { TrainingJob } from '../../src/orchestration/job';
import { pipelineConfig } from '../../src/config/pipeline';
import { Tracker } from '../../src/tracking/tracker';
import { toneCorpus } from '../helpers/corpus';

test('running a job twice trains once: the second run finds the FINISHED run of the first', { timeout: 300_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'melbook-job-'));
  const config = pipelineConfig({
    data: { recordings: toneCorpus({ speakers: ['ann', 'bob', 'cy'], takes: 4 }), durationS: 0.4 },
    split: { validationFraction: 0.2 },
    preprocess: { dir: join(work, 'features'), workers: 1 },
    model: { type: 'cnn', blocks: [{ type: 'conv2d', filters: 4, kernelSize: 3, pool: { type: 'max', size: 4 } }], dense: [] },
    training: { epochs: 1, backend: 'cpu', batchSize: 16 },
    tracking: { root: join(work, 'runs'), experiment: 'jobs' },
  });
  const tracker = new Tracker({ root: config.tracking.root, gitCommit: null });
  const parent = await tracker.startRun({ experimentName: 'jobs', runName: 'parent' });
  const job = foldJob(config, 'bob', parent.runId);
  // What a queue delivers is the job's JSON, not the object.
  const delivered = JSON.parse(JSON.stringify(job)) as TrainingJob;

  const firstLines: string[] = [];
  const first = await runJob(delivered, (l) => firstLines.push(l));
  assert.equal(first.jobId, job.id);
  assert.equal(first.count, 12, '3 digits x 4 takes of the held-out speaker');
  assert.equal(first.epochs, 1);
  assert.ok(firstLines.some((l) => /^training /.test(l)), 'the first delivery trains');
  const run = await tracker.getRun(first.runId);
  assert.equal(run.info.status, 'FINISHED');
  assert.equal(run.info.runName, 'loso-bob');
  assert.equal(run.data.tags[JOB_TAG], job.id);
  assert.equal(run.data.tags['melbook.loso.speaker'], 'bob');
  assert.equal(run.data.tags['mlflow.parentRunId'], parent.runId);
  assert.equal(run.data.params['split.testSpeaker'], 'bob');

  const secondLines: string[] = [];
  const second = await runJob(job, (l) => secondLines.push(l));
  assert.deepEqual(second, first, 'the same result, read back from the finished run');
  assert.ok(!secondLines.some((l) => /^training /.test(l)), 'the second delivery does not train');
  assert.match(secondLines.join('\n'), new RegExp(`run ${first.runId} already finished`));
  const runs = await tracker.listRuns('jobs');
  assert.equal(runs.filter((r) => r.data.tags[JOB_TAG] === job.id).length, 1, 'one run for the job');
  await parent.endRun('FINISHED');
});
