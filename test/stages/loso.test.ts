import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leaveOneSpeakerOut, summarizeFolds } from '../../src/orchestration/loso';
import { pipelineConfig } from '../../src/config/pipeline';
import { Tracker } from '../../src/tracking/tracker';
import { toneCorpus } from '../helpers/corpus';
import { listLosoRuns, losoTableRows, showLosoRuns } from '../../src/stages/loso-report';
import { setDisplaySink } from '../../src/viz/display';

test('mean, spread and minimum of fold accuracies', () => {
  const s = summarizeFolds([0.5, 1, 0.75]);
  assert.equal(s.mean, 0.75);
  assert.ok(Math.abs(s.std - Math.sqrt(0.125 / 3)) < 1e-12);
  assert.equal(s.min, 0.5);
});

for (const jobs of [1, 2]) test(`leave-one-speaker-out trains one nested run per speaker, each tested only on its held-out speaker (jobs ${jobs})`, { timeout: 300_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'melbook-loso-'));
  const config = pipelineConfig({
    data: { recordings: toneCorpus({ speakers: ['ann', 'bob', 'cy'], takes: 6 }), durationS: 0.4 },
    split: { validationFraction: 0.2 },
    preprocess: { dir: join(work, 'features'), workers: 1 },
    model: { type: 'cnn', blocks: [{ type: 'conv2d', filters: 4, kernelSize: 3, pool: { type: 'max', size: 4 } }], dense: [] },
    training: { epochs: 1, backend: 'cpu', batchSize: 16 },
    tracking: { root: join(work, 'runs'), experiment: 'loso' },
  });
  const lines: string[] = [];
  const r = await leaveOneSpeakerOut({ config, jobs, log: (l) => lines.push(l) });
  assert.equal(lines.filter((l) => /^fold \d\/3 done/.test(l)).length, 3);
  assert.deepEqual(r.folds.map((f) => f.speaker), ['ann', 'bob', 'cy'], 'speakers come from the data');
  const tracker = new Tracker({ root: config.tracking.root, gitCommit: null });
  const parent = await tracker.getRun(r.parentRunId);
  assert.equal(parent.info.status, 'FINISHED');
  assert.ok(Math.abs(parent.data.metrics.loso_mean_accuracy.value - r.mean) < 1e-9);
  for (const fold of r.folds) {
    const run = await tracker.getRun(fold.runId);
    assert.equal(run.data.tags['mlflow.parentRunId'], r.parentRunId, 'the parent run holds every fold');
    assert.equal(run.data.params['split.testSpeaker'], fold.speaker);
    // Folds share one feature folder; each must train on its own split even when they run side by side.
    assert.equal(run.data.params['dataset.speakers.test'], fold.speaker);
    for (const split of ['train', 'validation']) {
      const speakers = run.data.params[`dataset.speakers.${split}`].split(' ');
      assert.deepEqual(speakers, ['ann', 'bob', 'cy'].filter((s) => s !== fold.speaker), `${split} of fold ${fold.speaker}`);
    }
    const perSpeaker = JSON.parse(readFileSync(join(config.tracking.root, run.info.experimentId, run.info.runId, 'artifacts', 'evaluation', 'test_per_speaker.json'), 'utf8'));
    assert.deepEqual(Object.keys(perSpeaker), [fold.speaker], 'the test split holds only the held-out speaker');
    assert.equal(fold.count, 18, '3 digits x 6 takes of that speaker');
  }
  // The evaluate notebook reads it back from the store.
  const [summary] = await listLosoRuns(tracker, 'loso');
  assert.equal(summary.runId, r.parentRunId);
  assert.deepEqual(Object.keys(summary.folds), ['ann', 'bob', 'cy']);
  assert.ok(Math.abs(summary.mean - r.mean) < 1e-9 && Math.abs(summary.min - r.min) < 1e-9);
  const [row] = losoTableRows([summary]);
  assert.deepEqual(Object.keys(row), ['run', 'ann', 'bob', 'cy', 'mean', 'std', 'min']);
  const shown: unknown[] = [];
  const previous = setDisplaySink((m) => shown.push(m));
  try {
    assert.equal((await showLosoRuns(tracker, 'loso')).length, 1);
    assert.equal(shown.length, 2, 'a per-speaker figure and the table');
    assert.deepEqual(await showLosoRuns(tracker, 'no-such-experiment'), []);
  } finally {
    setDisplaySink(previous);
  }
});
