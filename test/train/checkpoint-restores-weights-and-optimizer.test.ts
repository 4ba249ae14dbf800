import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadModel } from '../../src/model/io';
import { saveCheckpoint, latestCheckpoint, restoreCheckpoint, CheckpointError, type TrainingState } from '../../src/train/checkpoint';

function tinyModel(): tf.LayersModel {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [4], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) })] });
  model.compile({ optimizer: tf.train.adam(0.05), loss: 'meanSquaredError' });
  return model;
}

const xs = () => tf.tensor2d([[1, 2, 3, 4], [0, -1, 2, 1]]);
const ys = () => tf.tensor2d([[1, 0, 0], [0, 1, 0]]);

function state(epochsDone: number): TrainingState {
  return { format: 1, epochsDone, history: [], earlyStopping: { best: null, bestEpoch: -1, wait: 0 }, lrSchedule: { sinceBest: 0, bestLoss: null }, learningRate: 0.05, rng: { seed: 0, nextEpoch: epochsDone }, configHash: 'abc' };
}

test('a restored checkpoint continues training exactly where it stopped, Adam moments included', async () => {
  await tf.setBackend('cpu');
  const dir = mkdtempSync(join(tmpdir(), 'melbook-ckpt-'));
  try {
    const a = tinyModel();
    for (let i = 0; i < 3; i++) await a.trainOnBatch(xs(), ys());
    await saveCheckpoint(dir, a, state(3));
    await a.trainOnBatch(xs(), ys());
    const expected = a.getWeights().map((w) => Array.from(w.dataSync()));

    const b = tinyModel();
    const found = latestCheckpoint(dir);
    assert.ok(found);
    assert.equal(found.state.epochsDone, 3);
    await restoreCheckpoint(found.dir, b);
    await b.trainOnBatch(xs(), ys());
    const actual = b.getWeights().map((w) => Array.from(w.dataSync()));
    for (const [i, w] of expected.entries()) for (const [j, v] of w.entries()) assert.ok(Math.abs(v - actual[i]![j]!) < 1e-6, `weight ${i}[${j}]: ${v} vs ${actual[i]![j]}`);

    // Without the optimizer state the next step differs: the test can tell the two apart.
    const c = tinyModel();
    const saved = await loadModel(found.dir);
    c.setWeights(saved.getWeights());
    await c.trainOnBatch(xs(), ys());
    const fresh = c.getWeights().map((w) => Array.from(w.dataSync()));
    assert.ok(fresh[0]!.some((v, j) => Math.abs(v - expected[0]![j]!) > 1e-4), 'a fresh optimizer should step differently');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('only the newest epoch folder is kept, and the pointer names it', async () => {
  await tf.setBackend('cpu');
  const dir = mkdtempSync(join(tmpdir(), 'melbook-ckpt-'));
  try {
    const m = tinyModel();
    await m.trainOnBatch(xs(), ys());
    await saveCheckpoint(dir, m, state(1));
    await saveCheckpoint(dir, m, state(2));
    assert.deepEqual(readdirSync(dir).sort(), ['epoch-0002', 'last.json']);
    assert.equal(latestCheckpoint(dir)?.state.epochsDone, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no checkpoint reads as undefined; a foreign pointer is a named error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'melbook-ckpt-'));
  try {
    assert.equal(latestCheckpoint(dir), undefined);
    writeFileSync(join(dir, 'last.json'), JSON.stringify({ format: 99, folder: '../../etc' }));
    assert.throws(() => latestCheckpoint(dir), (e: unknown) => e instanceof CheckpointError && /format 1/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
