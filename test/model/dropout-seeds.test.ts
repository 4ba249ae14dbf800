/**
 * Seeded dropout (src/model/dropout-seeds.ts): a step's masks depend only on its position in
 * the run, change from step to step, and the seeds are gone after the step; a training run with
 * dropout is then reproducible bit for bit, and differs without the seeds.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/model/backend';
import { stepSeed, withDropoutSeed } from '../../src/model/dropout-seeds';
import { buildModel } from '../../src/model/model';
import { compileModel } from '../../src/model/cnn';
import { trainEpoch } from '../../src/train/train';
import { seededRandom } from '../../src/data/random';

const INPUT = [12, 10, 1];
const SPEC = {
  type: 'cnn' as const,
  blocks: [{ type: 'conv2d' as const, filters: 4, kernelSize: 3, pool: { type: 'max' as const, size: 2 }, dropout: 0.2 }],
  dense: [{ units: 8, dropout: 0.5 }],
};

before(async () => {
  assert.equal((await selectBackend({ configured: 'wasm' })).name, 'wasm');
});

/** The dropout layers' seed fields (tfjs keeps them private). */
const seeds = (model: tf.LayersModel) => model.layers.filter((l) => l.getClassName() === 'Dropout').map((l) => (l as unknown as { seed?: number }).seed);

test('stepSeed is a 32-bit function of seed, epoch, step and replica, different for neighbouring positions', () => {
  const base = { seed: 0, epoch: 0, step: 0 };
  const all = new Set<number>();
  for (let seed = 0; seed < 3; seed++)
    for (let epoch = 0; epoch < 4; epoch++)
      for (let step = 0; step < 20; step++)
        for (let replica = 0; replica < 3; replica++) {
          const s = stepSeed({ seed, epoch, step, replica });
          assert.ok(Number.isInteger(s) && s >= 0 && s < 2 ** 32);
          all.add(s);
        }
  assert.equal(all.size, 3 * 4 * 20 * 3, 'no two positions share a seed');
  assert.equal(stepSeed(base), stepSeed({ ...base, replica: 0 }), 'replica defaults to 0');
  assert.equal(stepSeed({ seed: 7, epoch: 2, step: 5 }), stepSeed({ seed: 7, epoch: 2, step: 5 }));
});

test('withDropoutSeed seeds every Dropout layer for the step only, also when the step fails', async () => {
  const model = buildModel(SPEC, INPUT, 3, { seed: 1 });
  assert.deepEqual(seeds(model), [undefined, undefined]);
  const during = await withDropoutSeed(model, 41, async () => seeds(model));
  assert.deepEqual(during, [41, 42], 'layer i gets seed + i');
  assert.deepEqual(seeds(model), [undefined, undefined], 'cleared after the step');
  await assert.rejects(withDropoutSeed(model, 5, async () => Promise.reject(new Error('step failed'))), /step failed/);
  assert.deepEqual(seeds(model), [undefined, undefined], 'cleared after a failed step');
  model.dispose();
});

/** Trains a fresh seed-1 model for two epochs of 4 batches; returns its weights. */
async function twoEpochs(seeded: boolean, seed = 3): Promise<number[][]> {
  const model = buildModel(SPEC, INPUT, 3, { seed: 1 });
  compileModel(model, { optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const rand = seededRandom(9);
  const xs = Float32Array.from({ length: 24 * 120 }, () => rand() * 2 - 1);
  const ys = Float32Array.from({ length: 24 }, (_, i) => i % 3);
  const ds = tf.data.zip({ xs: tf.data.array(Array.from({ length: 4 }, (_, b) => tf.tensor(xs.slice(b * 6 * 120, (b + 1) * 6 * 120), [6, ...INPUT]))), ys: tf.data.array(Array.from({ length: 4 }, (_, b) => tf.tensor(ys.slice(b * 6, (b + 1) * 6)))) }) as tf.data.Dataset<{ xs: tf.Tensor; ys: tf.Tensor }>;
  for (let epoch = 0; epoch < 2; epoch++) await trainEpoch(model, ds.map((b) => ({ xs: b.xs.clone(), ys: b.ys.clone() })), undefined, seeded ? { seed, epoch } : undefined);
  const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
  model.dispose();
  return weights;
}

test('training with dropout is reproducible bit for bit with seeded masks, and not without them', async () => {
  assert.deepEqual(await twoEpochs(true), await twoEpochs(true), 'the same seed gives the same weights');
  assert.notDeepEqual(await twoEpochs(true, 3), await twoEpochs(true, 4), 'another seed draws other masks');
  assert.notDeepEqual(await twoEpochs(false), await twoEpochs(false), 'tfjs\'s unseeded masks differ from run to run');
});
