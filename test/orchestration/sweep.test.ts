import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sweep, formatSweep, POINT_TAG } from '../../src/orchestration/sweep';
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
