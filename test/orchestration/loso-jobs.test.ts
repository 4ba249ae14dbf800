import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leaveOneSpeakerOut } from '../../src/orchestration/loso';
import { runJob, JOB_TAG } from '../../src/orchestration/run-job';
import type { Executor } from '../../src/orchestration/executor';
import type { JobResult, TrainingJob } from '../../src/orchestration/job';
import { pipelineConfig } from '../../src/config/pipeline';
import { Tracker } from '../../src/tracking/tracker';
import { toneCorpus } from '../helpers/corpus';

/** An executor that, like a queue, only ever sees each job as JSON text; it reports no events, so LOSO logs each fold from the results. */
class JsonExecutor implements Executor {
  readonly sent: string[] = [];
  async run(jobs: readonly TrainingJob[]): Promise<JobResult[]> {
    const results: JobResult[] = [];
    for (const job of jobs) {
      const text = JSON.stringify(job);
      this.sent.push(text);
      results.push(await runJob(JSON.parse(text) as TrainingJob, () => undefined));
    }
    return results;
  }
  async close(): Promise<void> {}
}

test('leave-one-speaker-out hands one JSON job per speaker to the executor it is given', { timeout: 300_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'melbook-loso-jobs-'));
  const config = pipelineConfig({
    data: { recordings: toneCorpus({ speakers: ['ann', 'bob', 'cy'], takes: 6 }), durationS: 0.4 },
    split: { validationFraction: 0.2 },
    preprocess: { dir: join(work, 'features'), workers: 1 },
    model: { type: 'cnn', blocks: [{ type: 'conv2d', filters: 4, kernelSize: 3, pool: { type: 'max', size: 4 } }], dense: [] },
    training: { epochs: 1, backend: 'cpu', batchSize: 16 },
    tracking: { root: join(work, 'runs'), experiment: 'loso-jobs' },
  });
  const executor = new JsonExecutor();
  const lines: string[] = [];
  const r = await leaveOneSpeakerOut({ config, executor, log: (l) => lines.push(l) });
  const jobs = executor.sent.map((text) => JSON.parse(text) as TrainingJob);
  assert.deepEqual(jobs.map((j) => j.run.tags['melbook.loso.speaker']), ['ann', 'bob', 'cy']);
  assert.ok(jobs.every((j) => j.run.parentRunId === r.parentRunId && j.id.startsWith(`${r.parentRunId}-`)));
  assert.equal(new Set(jobs.map((j) => j.id)).size, 3, 'one id per fold');
  assert.deepEqual(jobs[0].overrides, { 'split.mode': 'speaker', 'split.testSpeaker': 'ann', 'tracking.runName': 'loso-ann' });
  assert.equal(lines.filter((l) => /^fold \d\/3 done/.test(l)).length, 3, 'each fold is logged as it finishes');
  const tracker = new Tracker({ root: config.tracking.root, gitCommit: null });
  for (const [i, fold] of r.folds.entries()) {
    const run = await tracker.getRun(fold.runId);
    assert.equal(run.data.tags[JOB_TAG], jobs[i].id);
    assert.equal(run.data.params['dataset.speakers.test'], fold.speaker);
  }
  const parent = await tracker.getRun(r.parentRunId);
  assert.equal(parent.info.status, 'FINISHED');
  assert.deepEqual(Object.keys(parent.data.metrics).filter((k) => k.startsWith('loso_accuracy/')).sort(), ['loso_accuracy/ann', 'loso_accuracy/bob', 'loso_accuracy/cy']);
});
