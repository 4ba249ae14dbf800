/**
 * melbook's fused gradients on wasm (ReLU, batch norm: src/model/kernels/fused-gradients.ts),
 * its batch-norm forward pass (batch-norm.ts) and its BatchMatMul for transposed operands
 * (mat-mul.ts) against the tfjs cpu backend, over shapes
 * that take the SIMD path, the JS path (channels not a multiple of 4, few rows, an element count
 * not a multiple of 4) and the stock fallbacks; plus leak checks and that the overrides are
 * really used on wasm and really gone after unregistering.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/model/backend';
import { registerWasmTrainingKernels, unregisterWasmTrainingKernels, WASM_TRAINING_KERNEL_NAMES } from '../../src/model/kernels';
import { BATCH_NORM_GRAD_SUMS, RELU_GRAD } from '../../src/model/kernels/fused-grads';
import { compare, MAX_REL_ERR, relativeError, values, worst } from '../helpers/kernel-parity';

type Arrays = { data: Float32Array; shape: number[] }[];

/** Runs `f` (gradients of a function of the inputs) on cpu; the active backend stays wasm. */
async function onCpu<T>(f: () => T): Promise<T> {
  await tf.setBackend('cpu');
  try {
    return f();
  } finally {
    await tf.setBackend('wasm');
  }
}

/** The gradients of sum(w * f(inputs)) w.r.t. every input, as arrays; checks nothing leaks. */
function gradsOf(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: Arrays, seed: number): Float32Array[] {
  const xs = inputs.map((a) => tf.tensor(a.data, a.shape));
  const before = tf.memory().numTensors;
  const dataIds = tf.engine().backend.numDataIds();
  const grads = tf.grads((...args: tf.Tensor[]) => {
    const y = f(...args);
    return tf.sum(tf.mul(y, tf.tensor(values(y.size, seed), y.shape)));
  })(xs);
  const out = grads.map((g) => g.dataSync() as Float32Array);
  tf.dispose(grads);
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  assert.equal(tf.engine().backend.numDataIds(), dataIds, 'backend data leaked');
  tf.dispose(xs);
  return out;
}

async function compareGrads(label: string, f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: Arrays, seed: number): Promise<void> {
  const got = gradsOf(f, inputs, seed);
  const want = await onCpu(() => gradsOf(f, inputs, seed));
  got.forEach((g, i) => {
    assert.ok(want[i].some((v) => v !== 0), `${label}: gradient ${i} is all zero, the check would be vacuous`);
    const rel = relativeError(g, want[i]);
    worst[label.split(' ')[0]] = Math.max(worst[label.split(' ')[0]] ?? 0, rel);
    assert.ok(rel <= MAX_REL_ERR, `${label}: gradient ${i}: relative error ${rel} > ${MAX_REL_ERR}`);
  });
}

const arrays = (shapes: number[][], seed: number, map: (v: number) => number = (v) => v): Arrays =>
  shapes.map((shape, i) => ({ data: values(tf.util.sizeFromShape(shape), seed + i).map(map), shape }));

/** Kernels run while computing `f`'s gradients on the active backend, as names and as `name [output shape]`. */
async function kernelsIn(f: () => tf.Tensor[]): Promise<Set<string>> {
  const info = await tf.profile(() => {
    tf.dispose(f());
  });
  return new Set([...info.kernelNames, ...info.kernels.map((k) => `${k.name} [${k.outputShapes[0]}]`)]);
}

const BN_SHAPES = [
  [16, 32, 31, 32], // the seed network's first batch norm: SIMD blocks, no leftover rows
  [5, 9, 7, 8], // 315 rows: 9 SIMD blocks of 32 and 27 leftover rows
  [6, 5, 7, 3], // 3 channels: the JS path
  [3, 2, 2, 4], // 12 rows: too few for a SIMD block
];

/** Training-mode batch norm as tf.layers computes it: moments of x, then batchNorm. */
const trainingBatchNorm = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.batchNorm(x, mean, variance, beta, gamma, 1e-3);
};

before(async () => {
  const selection = await selectBackend({ prefer: 'wasm' });
  assert.equal(selection.name, 'wasm', `wasm backend unavailable: ${JSON.stringify(selection.fallbacks)}`);
});

after(() => {
  console.log(`max relative error vs cpu: ${JSON.stringify(worst)}`);
});

describe('fused gradients on wasm match the cpu backend', () => {
  test('ReLU: over shapes on the SIMD path, with a JS tail, and with zeros in x', async () => {
    let seed = 1;
    for (const shape of [[16, 64, 63, 32], [2, 5, 7, 3], [7], [4, 4]]) {
      // Rounded to 1/8: many exact zeros, where ReLU's gradient is 0 on both backends.
      await compareGrads(`relu [${shape}]`, (x) => tf.relu(x), arrays([shape], seed++, (v) => Math.round(v * 8) / 8), seed++);
    }
  });

  test('ReLU: a NaN input gives a NaN gradient, as on cpu', async () => {
    const x = Float32Array.of(1, -1, Number.NaN, 0, 2, Number.NaN, -3, 4, 0.5);
    const grad = (): Float32Array => tf.tidy(() => tf.grad((t: tf.Tensor) => tf.relu(t))(tf.tensor(x)).dataSync() as Float32Array);
    const got = grad();
    const want = await onCpu(grad);
    assert.deepEqual([...got].map(String), [...want].map(String));
  });

  test('batch norm in training mode (moments, then batchNorm): gradients for x, scale and offset', async () => {
    let seed = 100;
    for (const shape of BN_SHAPES) {
      const c = shape[3];
      await compareGrads(`batchNorm-training [${shape}]`, trainingBatchNorm, arrays([shape, [c], [c]], seed, (v) => v * 2 + 0.5), seed + 10);
      seed += 20;
    }
  });

  test('batch norm with given statistics: gradients for x, mean, variance, scale and offset', async () => {
    let seed = 300;
    for (const shape of BN_SHAPES) {
      const c = shape[3];
      const inputs = arrays([shape, [c], [c], [c], [c]], seed);
      inputs[2].data = inputs[2].data.map((v) => v * v + 0.1); // a variance is positive
      const f = (x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor) => tf.batchNorm(x, mean as tf.Tensor1D, variance as tf.Tensor1D, offset as tf.Tensor1D, scale as tf.Tensor1D, 1e-3);
      await compareGrads(`batchNorm-statistics [${shape}]`, f as (...xs: tf.Tensor[]) => tf.Tensor, inputs, seed + 10);
      seed += 20;
    }
  });

  test('Mean: the same gradient bit for bit over leading, inner, mixed and all axes', async () => {
    const x = values(4 * 5 * 6 * 8, 900);
    for (const axis of [[0, 1, 2], [3], [1, 3], [0, 1, 2, 3], [2]]) {
      const grad = (): Float32Array => tf.tidy(() => {
        const kept = [4, 5, 6, 8].filter((_, i) => !axis.includes(i));
        const w = tf.tensor(values(tf.util.sizeFromShape(kept), 901), kept);
        return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.mean(t, axis), w)))(tf.tensor(x, [4, 5, 6, 8])).dataSync() as Float32Array;
      });
      const got = grad();
      assert.deepEqual([...got], [...(await onCpu(grad))], `axis ${JSON.stringify(axis)}`);
    }
  });

  test('the overrides run the fused kernels on wasm, and tfjs\'s own gradients after unregistering', async () => {
    const x = tf.tensor(values(2 * 6 * 6 * 4, 7), [2, 6, 6, 4]);
    const [gamma, beta] = [tf.ones([4]), tf.zeros([4])];
    const grads = () => tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(trainingBatchNorm(tf.relu(a), g, b)))([x, gamma, beta]);
    const fused = await kernelsIn(grads);
    assert.ok(fused.has(RELU_GRAD) && fused.has(BATCH_NORM_GRAD_SUMS), `fused kernels ran: ${[...fused].join(' ')}`);
    // tfjs's Mean gradient divides at the input's size; ours before broadcasting.
    assert.ok(!fused.has('Step') && !fused.has('RealDiv [2,6,6,4]'), `tfjs's ReLU and Mean gradients did not run: ${[...fused].join(' ')}`);
    const override = tf.getGradient('Relu');
    unregisterWasmTrainingKernels();
    try {
      assert.notEqual(tf.getGradient('Relu'), override, 'tfjs\'s ReLU gradient is back');
      const plain = await kernelsIn(grads);
      assert.ok(plain.has('Step') && plain.has('RealDiv [2,6,6,4]') && !plain.has(RELU_GRAD) && !plain.has(BATCH_NORM_GRAD_SUMS), `stock kernels ran: ${[...plain].join(' ')}`);
      // With only some of melbook's kernels (bench/kernels.ts's "stock" mode), no override
      // whose kernel is missing is installed: Mean's would run tfjs's per-element Tile.
      const stockMean = tf.getGradient('Mean');
      registerWasmTrainingKernels({ only: ['Conv2DBackpropFilter'] });
      assert.equal(tf.getGradient('Mean'), stockMean, 'tfjs\'s Mean gradient stays without melbook\'s Tile');
      assert.notEqual(tf.getGradient('Relu'), override, 'tfjs\'s ReLU gradient stays without melbook\'s kernel');
      unregisterWasmTrainingKernels();
    } finally {
      registerWasmTrainingKernels();
    }
    assert.equal(tf.getGradient('Relu'), override, 'the override is back after registering again');
    tf.dispose([x, gamma, beta]);
  });
});

describe('FusedBatchNorm (forward) matches the cpu backend', () => {
  test('over shapes (SIMD path, 3 channels and rank 2 on the stock kernel), with and without scale and offset', async () => {
    let seed = 700;
    for (const shape of [[16, 32, 31, 32], [5, 9, 7, 8], [6, 5, 7, 3], [10, 12], [1, 1, 1, 4]]) {
      const c = shape[shape.length - 1];
      for (const withParams of [true, false]) {
        const [x, mean, variance, offset, scale] = arrays([shape, [c], [c], [c], [c]], seed);
        seed += 5;
        variance.data = variance.data.map((v) => v * v + 0.05);
        const inputs: Record<string, Arrays[number]> = withParams ? { x, mean, variance, offset, scale } : { x, mean, variance };
        await compare({ kernel: 'FusedBatchNorm', inputs, attrs: { varianceEpsilon: 1e-3 } }, `FusedBatchNorm [${shape}]${withParams ? '' : ' without scale and offset'}`);
      }
    }
  });
});

describe('BatchMatMul with transposed operands matches the cpu backend', () => {
  test('is registered on wasm, as is FusedBatchNorm', () => {
    assert.ok(WASM_TRAINING_KERNEL_NAMES.includes('BatchMatMul') && WASM_TRAINING_KERNEL_NAMES.includes('FusedBatchNorm'));
  });

  test('over transposes, ranks, operand sizes (either side larger) and batches (the stock kernel)', async () => {
    let seed = 500;
    // [m, k, n]: the dense layers' gradients of the seed network, and small odd ones.
    const dims = [[16, 64, 1792], [16, 1792, 64], [1792, 16, 64], [5, 7, 3], [3, 7, 5]];
    for (const [m, k, n] of dims) {
      for (const transposeA of [false, true]) {
        for (const transposeB of [false, true]) {
          for (const batch of [[], [1], [3]]) {
            const aShape = [...batch, ...(transposeA ? [k, m] : [m, k])];
            const bShape = [...batch, ...(transposeB ? [n, k] : [k, n])];
            const [a, b] = arrays([aShape, bShape], seed);
            seed += 2;
            await compare({ kernel: 'BatchMatMul', inputs: { a, b }, attrs: { transposeA, transposeB } }, `BatchMatMul a=[${aShape}] b=[${bShape}] tA=${transposeA} tB=${transposeB}`);
          }
        }
      }
    }
  });
});
