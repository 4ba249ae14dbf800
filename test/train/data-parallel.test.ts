/**
 * Data-parallel training (src/train/data-parallel.ts) against single-thread trainOnBatch: with
 * no BatchNorm and no dropout the mean loss is a mean over clips, so averaging the shards'
 * gradients by size is the whole batch's gradient and both paths must end at the same weights.
 * With BatchNorm and dropout (the seed network) it must train, keep moving statistics and leak
 * nothing, in real worker threads on the wasm backend.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/model/backend';
import { buildModel } from '../../src/model/model';
import { compileModel } from '../../src/model/cnn';
import { ReplicaPool, shardSizes, weightedSum } from '../../src/train/data-parallel';
import { seededRandom } from '../../src/data/random';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainStage } from '../../src/stages/train';
import { pipelineConfig } from '../../src/config/pipeline';
import { toneCorpus } from '../helpers/corpus';
import { ModelSpecSchema } from '../../src/model/spec';

test('a batch is cut into shards as equal as can be, larger first, none empty', () => {
  assert.deepEqual(shardSizes(32, 2), [16, 16]);
  assert.deepEqual(shardSizes(30, 4), [8, 8, 7, 7]);
  assert.deepEqual(shardSizes(3, 2), [2, 1]);
  assert.deepEqual(shardSizes(1, 2), [1]);
  for (let b = 1; b < 40; b++) for (let r = 1; r < 6; r++) assert.equal(shardSizes(b, r).reduce((a, n) => a + n, 0), b);
});

test('weightedSum adds the parts in order with their weights', () => {
  const out = weightedSum([Float32Array.of(1, 2), Float32Array.of(3, -4)], [0.75, 0.25]);
  assert.deepEqual([...out], [1.5, 0.5]);
});

const INPUT = [16, 12, 1];
const CLASSES = 3;
const PLAIN = { type: 'cnn' as const, blocks: [{ type: 'conv2d' as const, filters: 4, kernelSize: 3, pool: { type: 'max' as const, size: 2 } }], dense: [{ units: 8 }] };
const SEED_LIKE = {
  type: 'cnn' as const,
  blocks: [{ type: 'conv2d' as const, filters: 8, kernelSize: 3, pool: { type: 'max' as const, size: 2 }, batchNorm: true, batchNormMomentum: 0.9 }],
  dense: [{ units: 16, dropout: 0.3 }],
};

function batch(n: number, seed: number): { xs: tf.Tensor; ys: tf.Tensor } {
  const rand = seededRandom(seed);
  const xs = Float32Array.from({ length: n * 16 * 12 }, () => rand() * 2 - 1);
  const ys = Float32Array.from({ length: n }, (_, i) => i % CLASSES);
  return { xs: tf.tensor(xs, [n, ...INPUT]), ys: tf.tensor(ys, [n]) };
}

function twin(spec: typeof PLAIN | typeof SEED_LIKE, optimizer: { type: 'sgd'; learningRate: number } | { type: 'adam'; learningRate: number }): tf.LayersModel {
  const model = buildModel(spec, INPUT, CLASSES, { seed: 7 });
  compileModel(model, { optimizer, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

/** Pool options for `spec`, as the pipeline passes them: the spec parsed, defaults filled in. */
const init = (spec: typeof PLAIN | typeof SEED_LIKE) => ({ model: ModelSpecSchema.parse(spec), inputShape: INPUT, numClasses: CLASSES, seed: 7, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'], backend: 'wasm' as const });

test('two replicas end at the weights, loss and accuracy of one thread on the whole batch (no BatchNorm, no dropout)', { timeout: 120_000 }, async () => {
  assert.equal((await selectBackend({ configured: 'wasm' })).name, 'wasm');
  const single = twin(PLAIN, { type: 'sgd', learningRate: 0.1 });
  const parallel = twin(PLAIN, { type: 'sgd', learningRate: 0.1 });
  parallel.setWeights(single.getWeights());
  const pool = await ReplicaPool.start(parallel, { ...init(PLAIN), replicas: 2 });
  try {
    for (const [step, n] of [12, 12, 7].entries()) {
      const { xs, ys } = batch(n, step);
      const [loss1, acc1] = (await single.trainOnBatch(xs, ys)) as number[];
      const [loss2, acc2] = await pool.trainOnBatch(parallel, xs, ys);
      tf.dispose([xs, ys]);
      assert.ok(Math.abs(loss1 - loss2) < 1e-5, `step ${step}: loss ${loss1} vs ${loss2}`);
      assert.ok(Math.abs(acc1 - acc2) < 1e-6, `step ${step}: accuracy ${acc1} vs ${acc2}`);
    }
    const a = single.getWeights();
    const b = parallel.getWeights();
    for (const [i, w] of a.entries()) {
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(w, b[i]))).dataSync()[0]);
      assert.ok(diff < 1e-5, `${single.weights[i].name}: max difference ${diff}`);
    }
    const moved = tf.tidy(() => tf.max(tf.abs(tf.sub(a[0], buildModel(PLAIN, INPUT, CLASSES, { seed: 7 }).getWeights()[0]))).dataSync()[0]);
    assert.ok(moved > 1e-3, `training moved the kernel (${moved})`);
  } finally {
    await pool.close();
  }
});

/**
 * Trains a fresh Adam twin of `spec`, starting from `start`, for `steps` batches of `size` clips on
 * a 2-replica pool (with dropout seeds when `seed` is given); returns its weights.
 */
async function poolRun(spec: typeof PLAIN | typeof SEED_LIKE, start: tf.Tensor[], steps: number, size: number, seed?: number): Promise<number[][]> {
  const model = twin(spec, { type: 'adam', learningRate: 0.01 });
  model.setWeights(start);
  const pool = await ReplicaPool.start(model, { ...init(spec), replicas: 2 });
  try {
    for (let step = 0; step < steps; step++) {
      const { xs, ys } = batch(size, step);
      await pool.trainOnBatch(model, xs, ys, seed === undefined ? undefined : { seed, epoch: 0, step });
      tf.dispose([xs, ys]);
    }
  } finally {
    await pool.close();
  }
  return model.getWeights().map((w) => Array.from(w.dataSync()));
}

test('the same steps from the same weights give bit-identical weights on a second pool (the averaging order is fixed)', { timeout: 120_000 }, async () => {
  await selectBackend({ configured: 'wasm' });
  const start = twin(PLAIN, { type: 'adam', learningRate: 0.01 }).getWeights();
  assert.deepEqual(await poolRun(PLAIN, start, 5, 11), await poolRun(PLAIN, start, 5, 11));
});

test('with step positions, the seed-like network (dropout) trains to bit-identical weights on a second pool, and to others with another seed', { timeout: 120_000 }, async () => {
  await selectBackend({ configured: 'wasm' });
  const start = twin(SEED_LIKE, { type: 'adam', learningRate: 0.01 }).getWeights();
  const first = await poolRun(SEED_LIKE, start, 4, 12, 5);
  assert.deepEqual(await poolRun(SEED_LIKE, start, 4, 12, 5), first);
  assert.notDeepEqual(await poolRun(SEED_LIKE, start, 4, 12, 6), first);
});

test('the seed-like network (BatchNorm, dropout, Adam) trains on two replicas, updates its moving statistics and leaks no tensors', { timeout: 120_000 }, async () => {
  await selectBackend({ configured: 'wasm' });
  const model = twin(SEED_LIKE, { type: 'adam', learningRate: 0.01 });
  const movingBefore = model.nonTrainableWeights.map((w) => w.read().dataSync().slice());
  const pool = await ReplicaPool.start(model, { ...init(SEED_LIKE), replicas: 2 });
  const losses: number[] = [];
  const mainTensors: number[] = [];
  const replicaTensors: number[][] = [];
  try {
    for (let step = 0; step < 30; step++) {
      const { xs, ys } = batch(12, 100 + (step % 3));
      losses.push((await pool.trainOnBatch(model, xs, ys))[0]);
      tf.dispose([xs, ys]);
      mainTensors.push(tf.memory().numTensors);
      replicaTensors.push(pool.replicaTensors);
    }
  } finally {
    await pool.close();
  }
  const first = losses.slice(0, 3).reduce((a, b) => a + b) / 3;
  const last = losses.slice(-3).reduce((a, b) => a + b) / 3;
  assert.ok(last < first * 0.5, `loss fell from ${first} to ${last}`);
  assert.equal(new Set(mainTensors.slice(1)).size, 1, `this thread's tensors per step: ${mainTensors}`);
  assert.equal(new Set(replicaTensors.slice(1).map((t) => t.join())).size, 1, `replica tensors per step: ${replicaTensors.map((t) => t.join('/'))}`);
  const movingAfter = model.nonTrainableWeights.map((w) => w.read().dataSync());
  assert.ok(movingAfter.every((m, i) => m.some((v, j) => v !== movingBefore[i][j])), 'every BatchNorm moving statistic changed');
  assert.equal(model.optimizer.iterations, 30, 'the model optimizer applied one update per step');
});

test('a replica that cannot build the model is a named error, and no worker is left running', { timeout: 60_000 }, async () => {
  await selectBackend({ configured: 'wasm' });
  const model = twin(PLAIN, { type: 'sgd', learningRate: 0.1 });
  await assert.rejects(ReplicaPool.start(model, { ...init(PLAIN), inputShape: [16, 16, 1], replicas: 2 }), /data-parallel replica 0 built trainable variables shaped/);
  await assert.rejects(ReplicaPool.start(model, { ...init(PLAIN), replicas: 1 }), /needs 2 or more replicas/);
});

test('a step a replica cannot run is an error naming the replica and its reason, and the pool still closes', { timeout: 60_000 }, async () => {
  await selectBackend({ configured: 'wasm' });
  const model = twin(PLAIN, { type: 'sgd', learningRate: 0.1 });
  const pool = await ReplicaPool.start(model, { ...init(PLAIN), replicas: 2 });
  const xs = tf.zeros([4, 16, 16, 1]); // the replicas' model takes [16, 12, 1]
  const ys = tf.zeros([4]);
  try {
    await assert.rejects(pool.trainOnBatch(model, xs, ys), /data-parallel replica [01]: Error: input expected .*shape \[16,12,1\]/);
  } finally {
    tf.dispose([xs, ys]);
    await pool.close();
  }
});

test('melbook training with training.replicas 2 runs every epoch through the replicas and ends with a complete run', { timeout: 300_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'melbook-dp-'));
  const config = pipelineConfig({
    data: { recordings: toneCorpus({ takes: 10 }), durationS: 0.5 },
    split: { officialMaxTestTake: 1, validationFraction: 0.2 },
    preprocess: { dir: join(work, 'features'), workers: 1 },
    tracking: { root: join(work, 'runs'), experiment: 'dp' },
    training: { epochs: 3, batchSize: 8, backend: 'wasm', earlyStopping: null, replicas: 2 },
  });
  const lines: string[] = [];
  const r = await trainStage({ config, log: (l) => lines.push(l) });
  assert.ok(lines.some((l) => /steps\/epoch, data-parallel over 2 worker threads$/.test(l)), lines.join('\n'));
  assert.equal(r.training.history.length, 3);
  assert.ok(r.training.history[2].loss < r.training.history[0].loss, `loss ${r.training.history.map((h) => h.loss)}`);
  assert.equal(new Set(r.training.tensorsAfterEpoch).size, 1, `tensors after each epoch: ${r.training.tensorsAfterEpoch}`);
  const runDir = join(config.tracking.root, r.experimentId, r.runId);
  assert.equal(readFileSync(join(runDir, 'params', 'training.replicas'), 'utf8'), '2');
  assert.match(readFileSync(join(runDir, 'meta.yaml'), 'utf8'), /^status: 3$/m);
  assert.ok(r.evaluation.accuracy > 0.5, `tone corpus accuracy ${r.evaluation.accuracy}`);
});
