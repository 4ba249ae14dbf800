import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { buildCnn, compileModel, describeCnn } from '../../src/model/cnn';
import { buildModel, defaultModelRegistry, describeModel, disposeModel, getModelFactory } from '../../src/model/model';
import { ACTIVATIONS, BATCH_NORM_POSITIONS, CnnSpecSchema, OPTIMIZER_TYPES, validateCnnSpecForInput, type CnnSpecInput, type OptimizerSpecInput } from '../../src/model/spec';
import { ModelSpecError } from '../../src/errors';
import { requireOrSkip } from '../helpers/skip';

const seedBlock = { type: 'conv2d', filters: 32, kernelSize: 3, activation: 'relu', pool: { type: 'max', size: 2 }, batchNorm: true } as const;
const seedSpec: CnnSpecInput = {
  type: 'cnn',
  blocks: [seedBlock, seedBlock, seedBlock],
  dense: [{ units: 64, activation: 'relu', dropout: 0.3 }],
};
const SEED_INPUT = [64, 63, 1] as const;
/** A small input and network, for tests that train or loop. */
const tinySpec: CnnSpecInput = {
  type: 'cnn',
  blocks: [{ type: 'conv2d', filters: 4, kernelSize: 3, pool: { type: 'max', size: 2 }, batchNorm: true, dropout: 0.1 }],
  dense: [{ units: 8, dropout: 0.2 }],
};
const TINY_INPUT = [8, 7, 1] as const;

before(async () => {
  await tf.setBackend('cpu');
});

/** Runs `fn` and asserts that it leaves no tensor behind. */
async function assertNoLeak(fn: () => void | Promise<void>): Promise<void> {
  const before = tf.memory().numTensors;
  await fn();
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
}

test('the seed network builds for [64, 63, 1] with the expected layers and a [null, 10] output', async () => {
  await assertNoLeak(() => {
    const model = buildCnn(seedSpec, SEED_INPUT, 10);
    const blocks = [1, 2, 3].flatMap((i) => [`block${i}_conv`, `block${i}_pool`, `block${i}_bn`]);
    assert.deepEqual(model.layers.map((l) => l.name), ['input', ...blocks, 'flatten', 'dense1', 'dense1_dropout', 'output']);
    assert.deepEqual(model.outputShape, [null, 10]);
    assert.deepEqual(model.getLayer('flatten').outputShape, [null, 8 * 7 * 32]);
    model.dispose();
  });
});

function countTrainable(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
}

/** Trainable parameters of the seed network, by formula (PyTorch counts the same tensors as trainable). */
function seedTrainableParams(h: number, w: number, nClasses: number): number {
  const conv = (cin: number) => 3 * 3 * cin * 32 + 32;
  const bnTrainable = 2 * 32; // gamma, beta; moving mean/variance are buffers (PyTorch) / non-trainable (tfjs)
  const flat = 32 * Math.floor(h / 8) * Math.floor(w / 8); // three floor-halving 2x2 max pools
  return conv(1) + conv(32) + conv(32) + 3 * bnTrainable + (flat * 64 + 64) + (64 * nClasses + nClasses);
}

test('the seed network has the trainable parameter count of its PyTorch twin', () => {
  const model = buildCnn(seedSpec, SEED_INPUT, 10);
  const trainable = countTrainable(model);
  assert.equal(trainable, seedTrainableParams(64, 63, 10));
  assert.equal(model.countParams() - trainable, 3 * 2 * 32, 'moving mean and variance of three batch norms');
  model.dispose();
});

test('the trainable parameter count equals PyTorch counting the network of bench/torch_fsdd.py', (t) => {
  // The network of torch_fsdd.py, with its flatten size measured by a forward pass, not assumed.
  const script = `
import json, torch, torch.nn as nn
H, W = 64, 63
def block(ci): return [nn.Conv2d(ci, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.BatchNorm2d(32)]
f = nn.Sequential(*block(1), *block(32), *block(32), nn.Flatten())
flat = f(torch.zeros(1, 1, H, W)).shape[1]
m = nn.Sequential(f, nn.Linear(flat, 64), nn.ReLU(), nn.Dropout(0.3), nn.Linear(64, 10))
print(json.dumps({"flat": flat, "trainable": sum(p.numel() for p in m.parameters() if p.requires_grad)}))`;
  const run = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  const torchMissing = run.error !== undefined || /ImportError|ModuleNotFoundError/.test(run.stderr ?? '');
  if (!requireOrSkip(t, !torchMissing, 'PyTorch is not importable by /usr/bin/python3 (apt-get install python3-torch)')) return;
  assert.equal(run.status, 0, run.stderr);
  const torchCounts = JSON.parse(run.stdout) as { flat: number; trainable: number };
  const model = buildCnn(seedSpec, SEED_INPUT, 10);
  const trainable = countTrainable(model);
  assert.equal(model.getLayer('flatten').outputShape[1], torchCounts.flat);
  assert.equal(trainable, torchCounts.trainable);
  model.dispose();
});

test('each block ends at the shape the spec walk predicts', () => {
  const spec = {
    type: 'cnn' as const,
    blocks: [
      { type: 'conv2d' as const, filters: 6, kernelSize: [5, 3] as [number, number], strides: [2, 1] as [number, number], padding: 'valid' as const },
      { type: 'conv2d' as const, filters: 5, kernelSize: 3, pool: { type: 'avg' as const, size: 3, strides: 2, padding: 'same' as const } },
      { type: 'conv2d' as const, filters: 7, kernelSize: 1, pool: { type: 'max' as const, size: [2, 3] as [number, number] } },
    ],
  };
  const trace = validateCnnSpecForInput(CnnSpecSchema.parse(spec), SEED_INPUT, 10);
  const model = buildCnn(spec, SEED_INPUT, 10);
  const lastLayers = ['block1_conv', 'block2_pool', 'block3_pool'];
  assert.deepEqual(lastLayers.map((name) => model.getLayer(name).outputShape), trace.blockOutputShapes.map((s) => [null, ...s]));
  assert.deepEqual(model.getLayer('flatten').outputShape, [null, trace.featureSize]);
  model.dispose();
});

test('batch norm sits where batchNormPosition says', () => {
  const orders: Record<(typeof BATCH_NORM_POSITIONS)[number], string[]> = {
    afterPool: ['block1_conv', 'block1_pool', 'block1_bn'],
    afterActivation: ['block1_conv', 'block1_bn', 'block1_pool'],
    beforeActivation: ['block1_conv', 'block1_bn', 'block1_act', 'block1_pool'],
  };
  for (const position of BATCH_NORM_POSITIONS) {
    const model = buildCnn({ type: 'cnn', blocks: [{ ...seedBlock, batchNormPosition: position }] }, TINY_INPUT, 3);
    assert.deepEqual(model.layers.slice(1, -2).map((l) => l.name), orders[position], position);
    const conv = model.getLayer('block1_conv').getConfig();
    assert.equal(conv.activation, position === 'beforeActivation' ? 'linear' : 'relu');
    model.dispose();
  }
});

test('global pooling and an empty block list build', () => {
  for (const globalPool of ['avg', 'max'] as const) {
    const model = buildCnn({ ...tinySpec, globalPool }, TINY_INPUT, 3);
    assert.deepEqual(model.getLayer('global_pool').outputShape, [null, 4]);
    model.dispose();
  }
  const dense = buildCnn({ type: 'cnn', dense: [{ units: 5 }] }, TINY_INPUT, 3);
  assert.deepEqual(dense.layers.map((l) => l.name), ['input', 'flatten', 'dense1', 'output']);
  dense.dispose();
});

test('every listed activation builds and gives finite outputs', async () => {
  const x = tf.randomNormal([2, ...TINY_INPUT], 0, 1, 'float32', 7);
  for (const activation of ACTIVATIONS) {
    await assertNoLeak(() => {
      const model = buildCnn({ type: 'cnn', blocks: [{ type: 'conv2d', filters: 2, kernelSize: 3, activation }], dense: [{ units: 4, activation }] }, TINY_INPUT, 3, { seed: 1 });
      const y = model.predict(x) as tf.Tensor;
      const values = Array.from(y.dataSync());
      assert.ok(values.every(Number.isFinite), activation);
      assert.ok(Math.abs(values.slice(0, 3).reduce((a, b) => a + b, 0) - 1) < 1e-5, `${activation}: softmax rows sum to 1`);
      y.dispose();
      model.dispose();
    });
  }
  x.dispose();
});

test('the same seed gives the same weights, another seed other weights, and layers differ from each other', () => {
  const weights = (seed: number) => {
    const model = buildCnn(seedSpec, SEED_INPUT, 10, { seed });
    const values = model.getWeights().map((w) => Array.from(w.dataSync()));
    model.dispose();
    return values;
  };
  const a = weights(42);
  assert.deepEqual(weights(42), a);
  assert.notDeepEqual(weights(43)[0], a[0]);
  // block2_conv and block3_conv kernels have the same shape but must not share initial values.
  const model = buildCnn(seedSpec, SEED_INPUT, 10, { seed: 42 });
  const k2 = model.getLayer('block2_conv').getWeights()[0].dataSync();
  const k3 = model.getLayer('block3_conv').getWeights()[0].dataSync();
  assert.notDeepEqual(Array.from(k2), Array.from(k3));
  model.dispose();
});

test('an invalid spec throws ModelSpecError before creating any tensor', async () => {
  await assertNoLeak(() => {
    const tooDeep = { type: 'cnn' as const, blocks: [seedBlock, seedBlock, { ...seedBlock, kernelSize: 5 }] };
    assert.throws(() => buildCnn(tooDeep, [16, 16, 1], 10), (e: unknown) => e instanceof ModelSpecError && e.path === 'model.blocks[2].kernelSize');
    const negative = { type: 'cnn' as const, blocks: [{ ...seedBlock, filters: -1 }] };
    assert.throws(() => buildCnn(negative, SEED_INPUT, 10), (e: unknown) => e instanceof ModelSpecError && e.path === 'model.blocks[0].filters');
  });
});

test('a compiled model trains one step on random data with a finite loss, for every optimizer', async () => {
  const x = tf.randomNormal([6, ...TINY_INPUT], 0, 1, 'float32', 3);
  const sparse = tf.tensor1d([0, 1, 2, 0, 1, 2]);
  const oneHot = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32'), 3);
  for (const type of OPTIMIZER_TYPES) {
    await assertNoLeak(async () => {
      const model = buildCnn(tinySpec, TINY_INPUT, 3, { seed: 5 });
      const compiled = compileModel(model, { optimizer: { type } as OptimizerSpecInput });
      assert.equal(compiled.optimizer.type, type);
      const [loss, acc] = (await model.trainOnBatch(x, sparse)) as number[];
      assert.ok(Number.isFinite(loss) && loss > 0, `${type}: loss ${loss}`);
      assert.ok(acc >= 0 && acc <= 1, `${type}: accuracy ${acc}`);
      disposeModel(model);
    });
  }
  await assertNoLeak(async () => {
    const model = buildCnn(tinySpec, TINY_INPUT, 3, { seed: 5 });
    compileModel(model, { optimizer: { type: 'sgd', momentum: 0.9, nesterov: true }, loss: 'categoricalCrossentropy' });
    const [loss] = (await model.trainOnBatch(x, oneHot)) as number[];
    assert.ok(Number.isFinite(loss) && loss > 0, `categorical: loss ${loss}`);
    disposeModel(model);
  });
  tf.dispose([x, sparse, oneHot]);
});

test('the seed network trains one step on cpu and predicts at its real input size', async () => {
  // One cpu training step at [64, 63, 1] takes ~25 s, so the step runs on a 16x16 input with the
  // same layers; the full-size model only predicts.
  const x = tf.randomNormal([4, 16, 16, 1], 0, 1, 'float32', 11);
  const y = tf.tensor1d([3, 1, 4, 1]);
  const full = tf.randomNormal([1, ...SEED_INPUT], 0, 1, 'float32', 12);
  await assertNoLeak(async () => {
    const model = buildCnn(seedSpec, [16, 16, 1], 10, { seed: 0 });
    compileModel(model, { optimizer: { type: 'rmsprop' } });
    const before = model.getLayer('dense1').getWeights()[0].dataSync().slice();
    const [loss] = (await model.trainOnBatch(x, y)) as number[];
    assert.ok(Number.isFinite(loss), `loss ${loss}`);
    const after = model.getLayer('dense1').getWeights()[0].dataSync();
    assert.notDeepEqual(Array.from(after), Array.from(before), 'weights moved');
    disposeModel(model);

    const seedModel = buildCnn(seedSpec, SEED_INPUT, 10, { seed: 0 });
    const probabilities = seedModel.predict(full) as tf.Tensor;
    assert.deepEqual(probabilities.shape, [1, 10]);
    assert.ok(Math.abs(Array.from(probabilities.dataSync()).reduce((a, b) => a + b, 0) - 1) < 1e-5);
    tf.dispose(probabilities);
    seedModel.dispose();
  });
  tf.dispose([x, y, full]);
});

test('the model registry builds by type and lists the known types for an unknown one', () => {
  const registry = defaultModelRegistry();
  assert.deepEqual([...registry.keys()], ['cnn']);
  assert.notEqual(defaultModelRegistry(), registry, 'each call returns a fresh map');
  const before = tf.memory().numTensors;
  const model = buildModel(seedSpec, SEED_INPUT, 10, { seed: 1 });
  assert.deepEqual(model.outputShape, [null, 10]);
  disposeModel(model); // uncompiled: no optimizer to free
  assert.equal(tf.memory().numTensors, before);
  assert.throws(() => getModelFactory(registry, 'resnet'), (e: unknown) =>
    e instanceof ModelSpecError && e.path === 'model.type' && /unknown model type "resnet"; known types: "cnn"/.test(e.message));
  assert.throws(() => buildModel({ ...seedSpec, type: 'resnet' } as unknown as CnnSpecInput, SEED_INPUT, 10), /known types: "cnn"/);
  assert.throws(() => buildModel({ blocks: [] } as unknown as CnnSpecInput, SEED_INPUT, 10), /model\.type: missing/);
});

test('a model is described as flat strings for tracking', () => {
  const described = describeModel(seedSpec);
  assert.deepEqual(described, describeCnn(seedSpec));
  assert.equal(described.type, 'cnn');
  assert.equal(described.blocks, '3');
  assert.equal(described.block1, 'conv2d 32 3x3/1x1 same relu > maxpool 2x2/2x2 valid > bn');
  assert.equal(described.reduce, 'flatten');
  assert.equal(described.dense1, '64 relu > dropout 0.3');
  assert.ok(Object.values(described).every((v) => typeof v === 'string'));
});
