import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sweep, formatSweep, POINT_TAG, SELECT_ON_TAG, type SweepPoint } from '../../src/orchestration/sweep';
import { gridPoints, parseGrid } from '../../src/orchestration/grid';
import { pipelineConfig } from '../../src/config/pipeline';
import { Tracker } from '../../src/tracking/tracker';
import { toneCorpus } from '../helpers/corpus';

test('a local sweep trains one nested run per grid point and tables them in the parent; --resume trains nothing twice', { timeout: 300_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'melbook-sweep-'));
  const corpus = toneCorpus({ speakers: ['ann', 'bob'], takes: 8 });
  try {
    const config = pipelineConfig({
      data: { recordings: corpus, durationS: 0.4 },
      split: { validationFraction: 0.2 },
      preprocess: { dir: join(work, 'features'), workers: 1 },
      model: { type: 'cnn', blocks: [{ type: 'conv2d', filters: 4, kernelSize: 3, pool: { type: 'max', size: 4 } }], dense: [] },
      training: { epochs: 1, backend: 'cpu', batchSize: 16 },
      tracking: { root: join(work, 'runs'), experiment: 'sweep' },
    });
    const points = gridPoints(parseGrid(['training.batchSize=8,16'], config));
    const lines: string[] = [];
    const r = await sweep({ config, points, log: (l) => lines.push(l) });
    assert.equal(r.points.length, 2);
    const tracker = new Tracker({ root: config.tracking.root, gitCommit: null });
    const parent = await tracker.getRun(r.parentRunId);
    assert.equal(parent.info.status, 'FINISHED');
    assert.equal(parent.data.tags['melbook.mode'], 'sweep');
    for (const p of r.points) {
      const child = await tracker.getRun(p.runIds[0]!);
      assert.equal(child.data.tags['mlflow.parentRunId'], r.parentRunId);
      assert.equal(child.data.tags[POINT_TAG], String(p.index));
      assert.equal(child.data.params['training.batchSize'], String(points[p.index]!['training.batchSize']));
      assert.ok(Math.abs(parent.data.metrics[`point_${p.index}_accuracy`]!.value - p.accuracy) < 1e-12);
    }
    const table = readFileSync(join(await tracker.store.artifactDir(r.parentRunId), 'sweep.md'), 'utf8');
    assert.equal(table, formatSweep(r.points));
    assert.match(table, /\| point \| training\.batchSize \| test accuracy \|/);

    const again = await sweep({ config, points, resumeParentRunId: r.parentRunId, log: (l) => lines.push(l) });
    assert.deepEqual(again.points.map((p) => p.runIds[0]), r.points.map((p) => p.runIds[0]), 'the same runs answer');
    assert.ok(lines.some((l) => /2 of 2 jobs already have a FINISHED run/.test(l)));
    const children = (await tracker.listRuns('sweep')).filter((x) => x.data.tags['mlflow.parentRunId'] === r.parentRunId);
    assert.equal(children.length, 2, 'nothing trained twice');
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(corpus, { recursive: true, force: true });
  }
});

/** Tones named one digit on (digit d's tone labelled (d + 1) % 3): a model that learnt the tones scores badly here. */
function rotatedLabelSet(dir: string): string {
  const tones = toneCorpus({ speakers: ['cy', 'dee'], takes: 2 });
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(tones)) {
    const [d, rest] = [Number(f.split('_')[0]), f.slice(f.indexOf('_'))];
    renameSync(join(tones, f), join(dir, `${(d + 1) % 3}${rest}`));
  }
  rmSync(tones, { recursive: true, force: true });
  return dir;
}

test('sweep --select-on external:<name> chooses the point best on that folder, tables every folder, and --resume re-summarises without training', { timeout: 300_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'melbook-sweep-select-'));
  const corpus = toneCorpus({ speakers: ['ann', 'bob'], takes: 8 });
  try {
    const rotated = rotatedLabelSet(join(work, 'rotated'));
    const config = pipelineConfig({
      data: { recordings: corpus, durationS: 0.4 },
      split: { validationFraction: 0.2 },
      preprocess: { dir: join(work, 'features'), workers: 1 },
      model: { type: 'cnn', blocks: [{ type: 'conv2d', filters: 4, kernelSize: 3, pool: { type: 'max', size: 4 } }], dense: [] },
      training: { epochs: 3, backend: 'cpu', batchSize: 8 },
      evaluation: { external: [rotated] },
      tracking: { root: join(work, 'runs'), experiment: 'sweep' },
    });
    // Point 0 learns the tones (good on the test split, bad on the rotated labels); point 1 barely moves from its initial weights.
    const points = gridPoints(parseGrid(['training.optimizer.learningRate=0.01,0.000000001'], config));
    const lines: string[] = [];
    const r = await sweep({ config, points, selectOn: 'external:rotated', log: (l) => lines.push(l) });
    const ext = (i: number) => r.points[i]!.external![0]!;
    assert.deepEqual(r.points.map((p) => p.external!.map((e) => e.name)), [['rotated'], ['rotated']]);
    assert.ok(r.points[0]!.accuracy > r.points[1]!.accuracy, `test accuracy prefers point 0 (${r.points.map((p) => p.accuracy)})`);
    assert.ok(ext(1).accuracy > ext(0).accuracy, `the rotated folder prefers point 1 (${r.points.map((p) => p.external![0]!.accuracy)})`);
    assert.equal(r.best.index, 1, 'the external folder chose');

    const tracker = new Tracker({ root: config.tracking.root, gitCommit: null });
    const parent = await tracker.getRun(r.parentRunId);
    assert.equal(parent.data.tags[SELECT_ON_TAG], 'external:rotated');
    assert.equal(parent.data.metrics.best_point!.value, 1);
    for (const i of [0, 1]) {
      assert.equal(parent.data.metrics[`point_${i}_external/rotated/accuracy`]!.value, ext(i).accuracy);
      assert.equal(parent.data.metrics[`point_${i}_external/rotated/min_group_accuracy`]!.value, ext(i).minGroupAccuracy);
      const child = await tracker.getRun(r.points[i]!.runIds[0]!);
      assert.equal(child.data.metrics['external/rotated/accuracy']!.value, ext(i).accuracy, 'the point shows what its run logged');
    }
    const artifacts = await tracker.store.artifactDir(r.parentRunId);
    const table = readFileSync(join(artifacts, 'sweep.md'), 'utf8');
    assert.equal(table, formatSweep(r.points, { on: 'external', name: 'rotated' }));
    assert.match(table, /\| point \| training\.optimizer\.learningRate \| test accuracy \| rotated accuracy \| rotated weakest group \|/);
    assert.match(table, /best: point 1, chosen on accuracy on external folder rotated/);
    const json = JSON.parse(readFileSync(join(artifacts, 'sweep.json'), 'utf8')) as { best: number; selectedOn: string; points: SweepPoint[] };
    assert.deepEqual([json.best, json.selectedOn], [1, 'external:rotated']);
    assert.deepEqual(json.points, r.points);

    // Re-summarised from the finished runs' metrics, on the test split this time.
    const again = await sweep({ config, points, resumeParentRunId: r.parentRunId, log: (l) => lines.push(l) });
    assert.ok(lines.some((l) => /2 of 2 jobs already have a FINISHED run/.test(l)));
    assert.deepEqual(again.points, r.points, 'the same runs, test and external scores read back');
    assert.equal(again.best.index, 0, 'test accuracy chose');
    assert.equal((await tracker.getRun(r.parentRunId)).data.tags[SELECT_ON_TAG], 'test');
    assert.match(readFileSync(join(artifacts, 'sweep.md'), 'utf8'), /rotated weakest group[\s\S]*best: point 0, chosen on test accuracy/);
    const children = (await tracker.listRuns('sweep')).filter((x) => x.data.tags['mlflow.parentRunId'] === r.parentRunId);
    assert.equal(children.length, 2, 'nothing trained twice');
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(corpus, { recursive: true, force: true });
  }
});
