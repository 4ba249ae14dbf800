/**
 * Parity of melbook's wasm training kernels with the tfjs cpu backend (the reference), over a
 * grid of shapes, plus leak checks and an end-to-end gradient check of a small conv net.
 *
 * Error measure: normwise relative error max|wasm - cpu| / max|cpu| (an elementwise ratio is
 * meaningless where the reference is ~0). Bound: 1e-5 per kernel.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/model/backend';
import { WASM_TRAINING_KERNEL_NAMES } from '../../src/model/kernels';
import { MelbookError } from '../../src/errors';
import { simdModule } from '../../src/model/kernels/simd';
import { filterGradXnnpack } from '../../src/model/kernels/conv2d-backprop-filter';
import { filterGradSimd, filterGradSimdApplies } from '../../src/model/kernels/conv2d-backprop-filter-simd';
import type { BackendWasm } from '../../src/model/kernels/wasm-internals';
import { compare, compareWithCpu, MAX_REL_ERR, runOnActive, values, worst, type KernelCase } from '../helpers/kernel-parity';

function convOutSize(inSize: number, k: number, stride: number, pad: 'same' | 'valid'): number {
  return pad === 'same' ? Math.ceil(inSize / stride) : Math.ceil((inSize - k + 1) / stride);
}

const STRIDES = [1, 2];
const PADS = ['same', 'valid'] as const;
const KERNEL_SIZES = [1, 3, 5];
const CHANNELS = [1, 3, 32];
const BATCHES = [1, 4];
const [H, W] = [9, 7]; // non-square

function* convGrid(): Generator<{ s: number; pad: 'same' | 'valid'; k: number; ci: number; co: number; b: number; seed: number }> {
  let seed = 1;
  for (const s of STRIDES)
    for (const pad of PADS)
      for (const k of KERNEL_SIZES)
        for (const ci of CHANNELS)
          for (const co of CHANNELS)
            for (const b of BATCHES) yield { s, pad, k, ci, co, b, seed: seed++ };
}

type FilterCase = KernelCase & { label: string };

/** A Conv2DBackpropFilter case with random x [B, H, W, Ci] and dy of the matching output shape. */
function filterCase(
  xShape: readonly number[], k: readonly number[], co: number, strides: number | readonly number[], pad: 'same' | 'valid' | readonly (readonly number[])[], seed: number,
): FilterCase {
  const attrs = { strides, pad, dataFormat: 'NHWC', filterShape: [k[0], k[1], xShape[3], co] };
  const info = filterInfo({ kernel: 'Conv2DBackpropFilter', inputs: { x: { data: new Float32Array(0), shape: [...xShape] } }, attrs });
  const dyShape = [xShape[0], info.outHeight, info.outWidth, co];
  return {
    kernel: 'Conv2DBackpropFilter',
    inputs: {
      x: { data: values(tf.util.sizeFromShape([...xShape]), seed), shape: [...xShape] },
      dy: { data: values(tf.util.sizeFromShape(dyShape), seed + 1), shape: dyShape },
    },
    attrs,
    label: `x=[${xShape.join(',')}] k=${k.join('x')} co=${co} s=${JSON.stringify(strides)} pad=${JSON.stringify(pad)}`,
  };
}

function filterInfo(c: KernelCase): tf.backend_util.Conv2DInfo {
  const { strides, pad, filterShape } = c.attrs as { strides: number | [number, number]; pad: 'same' | 'valid' | tf.backend_util.ExplicitPadding; filterShape: [number, number, number, number] };
  return tf.backend_util.computeConv2DInfo(c.inputs.x.shape as [number, number, number, number], filterShape, strides, 1, pad, undefined, false, 'channelsLast');
}

/** Conv2DBackpropFilter on wasm through one given path (not the kernel's own choice). */
function filterGradOn(path: 'simd' | 'xnnpack', c: KernelCase): Float32Array {
  const backend = tf.backend() as BackendWasm;
  const x = tf.tensor(c.inputs.x.data, c.inputs.x.shape);
  const dy = tf.tensor(c.inputs.dy.data, c.inputs.dy.shape);
  const simd = simdModule(backend);
  assert.ok(simd, 'wasm SIMD is available');
  const info = filterInfo(c);
  const out = tf.engine().makeTensorFromTensorInfo(path === 'simd' ? filterGradSimd(backend, simd, info, x, dy) : filterGradXnnpack(backend, info, x, dy));
  const result = out.dataSync() as Float32Array;
  tf.dispose([out, x, dy]);
  return result;
}

before(async () => {
  const selection = await selectBackend({ prefer: 'wasm' });
  assert.equal(selection.name, 'wasm', `wasm backend unavailable: ${JSON.stringify(selection.fallbacks)}`);
});

after(() => {
  console.log(`max relative error vs cpu per kernel: ${JSON.stringify(worst)}`);
});

describe('wasm training kernels match the cpu backend', () => {
  test('the registered kernels are the ones this file, conv2d-kernel.test.ts and fused-gradients.test.ts check', () => {
    const fused = ['BatchMatMul', 'FusedBatchNorm', 'MelbookBatchNormGradSums', 'MelbookReluGrad']; // fused-gradients.test.ts
    assert.deepEqual([...WASM_TRAINING_KERNEL_NAMES].sort(), ['Conv2D', 'FusedConv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'Identity', 'MaxPoolGrad', 'Mean', 'Sum', 'Tile', ...fused].sort());
    for (const name of WASM_TRAINING_KERNEL_NAMES) assert.ok(tf.getKernel(name, 'wasm'), `${name} registered`);
  });

  test('Conv2DBackpropFilter matches over strides, paddings, kernel sizes, channels and batch sizes', async () => {
    for (const { s, pad, k, ci, co, b, seed } of convGrid()) {
      const oh = convOutSize(H, k, s, pad);
      const ow = convOutSize(W, k, s, pad);
      await compare(
        {
          kernel: 'Conv2DBackpropFilter',
          inputs: {
            x: { data: values(b * H * W * ci, seed), shape: [b, H, W, ci] },
            dy: { data: values(b * oh * ow * co, seed + 1000), shape: [b, oh, ow, co] },
          },
          attrs: { strides: s, pad, dataFormat: 'NHWC', filterShape: [k, k, ci, co] },
        },
        `dW s=${s} ${pad} k=${k} ci=${ci} co=${co} b=${b}`,
      );
    }
  });

  test('Conv2DBackpropFilter matches when a large batch is split into chunks (uneven last chunk)', async () => {
    // On the XNNPACK path dy of [5, 64, 63, 32] is chunked two images at a time: chunks of 2,
    // 2 and 1. The kernel itself takes the SIMD path here (Co = 32), so that path is checked too.
    for (const [s, pad] of [[1, 'same'], [2, 'valid']] as const) {
      const oh = convOutSize(64, 3, s, pad);
      const ow = convOutSize(63, 3, s, pad);
      const c: KernelCase = {
        kernel: 'Conv2DBackpropFilter',
        inputs: {
          x: { data: values(5 * 64 * 63, 77), shape: [5, 64, 63, 1] },
          dy: { data: values(5 * oh * ow * 32, 78), shape: [5, oh, ow, 32] },
        },
        attrs: { strides: s, pad, dataFormat: 'NHWC', filterShape: [3, 3, 1, 32] },
      };
      await compare(c, `dW chunked s=${s} ${pad}`);
      await compareWithCpu(c, filterGradOn('xnnpack', c), `dW chunked xnnpack s=${s} ${pad}`, 'Conv2DBackpropFilter xnnpack');
    }
  });

  test('Conv2DBackpropFilter takes the SIMD path when Co is a multiple of 8, and its SIMD and XNNPACK paths both match on seed-network shapes', async () => {
    // Rows per chunk do not divide the output height for [2, 32, 31, 32] (chunks of 3 rows).
    const cases = [
      { x: [2, 64, 63, 1], k: [3, 3], co: 32, s: 1, pad: 'same' },
      { x: [2, 32, 31, 32], k: [3, 3], co: 32, s: 1, pad: 'same' },
      { x: [3, 16, 15, 32], k: [3, 3], co: 16, s: 1, pad: 'same' },
      { x: [2, 32, 31, 8], k: [3, 3], co: 8, s: 2, pad: 'valid' },
      // Explicit asymmetric padding: the windows never reach x's last row (it is cropped).
      { x: [2, 10, 10, 4], k: [2, 3], co: 8, s: [2, 1], pad: [[0, 0], [1, 0], [2, 1], [0, 0]] },
    ] as const;
    let seed = 500;
    for (const { x, k, co, s, pad } of cases) {
      const c = filterCase(x, k, co, s, pad, seed++);
      assert.ok(filterGradSimdApplies(filterInfo(c)), `SIMD path applies to ${c.label}`);
      await compare(c, `dW ${c.label}`);
      await compareWithCpu(c, filterGradOn('simd', c), `dW simd ${c.label}`, 'Conv2DBackpropFilter simd');
      await compareWithCpu(c, filterGradOn('xnnpack', c), `dW xnnpack ${c.label}`, 'Conv2DBackpropFilter xnnpack');
    }
    assert.equal(filterGradSimdApplies(filterInfo(filterCase([1, 9, 7, 8], [3, 3], 12, 1, 'same', 1))), false, 'Co = 12 keeps the XNNPACK path');
  });

  test('Conv2DBackpropFilter on the SIMD path is bit-identical from run to run', () => {
    const c = filterCase([4, 32, 31, 32], [3, 3], 32, 1, 'same', 900);
    assert.ok(filterGradSimdApplies(filterInfo(c)) && simdModule(tf.backend() as BackendWasm), 'the SIMD path runs');
    const first = runOnActive(c);
    for (let run = 0; run < 3; run++) assert.deepEqual(runOnActive(c), first);
  });

  test('Conv2DBackpropFilter rejects channels-first data with an error that names the fix', () => {
    const x = tf.zeros([1, 2, 5, 5]);
    const dy = tf.zeros([1, 3, 5, 5]);
    assert.throws(
      () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 2, 3] }),
      (err: unknown) => err instanceof MelbookError && /NCHW.*channelsLast.*MELBOOK_BACKEND=cpu/.test(err.message),
    );
    tf.dispose([x, dy]);
  });

  test('Conv2DBackpropInput matches over strides, paddings, kernel sizes, channels and batch sizes', async () => {
    for (const { s, pad, k, ci, co, b, seed } of convGrid()) {
      const oh = convOutSize(H, k, s, pad);
      const ow = convOutSize(W, k, s, pad);
      await compare(
        {
          kernel: 'Conv2DBackpropInput',
          inputs: {
            dy: { data: values(b * oh * ow * co, seed), shape: [b, oh, ow, co] },
            filter: { data: values(k * k * ci * co, seed + 1000), shape: [k, k, ci, co] },
          },
          attrs: { strides: s, pad, dataFormat: 'NHWC', inputShape: [b, H, W, ci] },
        },
        `dX s=${s} ${pad} k=${k} ci=${ci} co=${co} b=${b}`,
      );
    }
  });

  test('MaxPoolGrad matches over pool sizes, strides and paddings, with ties in the input', async () => {
    let seed = 1;
    for (const size of [1, 2, 3])
      for (const s of [1, 2, 3])
        for (const pad of PADS)
          for (const c of CHANNELS)
            for (const b of BATCHES)
              for (const ties of [true, false]) {
                const x = tf.tidy(() => tf.tensor(values(b * H * W * c, seed, ties), [b, H, W, c]));
                const y = tf.maxPool(x as tf.Tensor4D, size, s, pad);
                const yShape = y.shape;
                const output = y.dataSync() as Float32Array;
                tf.dispose([x, y]);
                await compare(
                  {
                    kernel: 'MaxPoolGrad',
                    inputs: {
                      dy: { data: values(output.length, seed + 1000), shape: yShape },
                      input: { data: values(b * H * W * c, seed, ties), shape: [b, H, W, c] },
                      output: { data: output, shape: yShape },
                    },
                    attrs: { filterSize: size, strides: s, pad },
                  },
                  `MaxPoolGrad size=${size} s=${s} ${pad} c=${c} b=${b} ties=${ties}`,
                );
                seed++;
              }
  });

  test('MaxPoolGrad passes no gradient from windows that are all -Infinity or NaN, and ignores NaN', async () => {
    // Windows (2x2): [-Inf, -Inf, NaN, 1] -> the 1; [-Inf, -Inf, NaN, NaN] -> nothing.
    const x = new Float32Array([-Infinity, -Infinity, -Infinity, -Infinity, NaN, 1, NaN, NaN]);
    // The forward output as XNNPACK may give it (NaN-propagating) and as the true max.
    for (const output of [[NaN, NaN], [1, -Infinity]]) {
      await compare(
        {
          kernel: 'MaxPoolGrad',
          inputs: {
            dy: { data: new Float32Array([2, 3]), shape: [1, 1, 2, 1] },
            input: { data: x, shape: [1, 2, 4, 1] },
            output: { data: new Float32Array(output), shape: [1, 1, 2, 1] },
          },
          attrs: { filterSize: 2, strides: 2, pad: 'valid' },
        },
        `MaxPoolGrad -Infinity/NaN windows, output ${output}`,
      );
    }
  });

  test('MaxPoolGrad takes the wasm SIMD path for 2x2 stride-2 pooling and falls back to the cpu rules on NaN and -Infinity', async () => {
    assert.ok(simdModule(tf.backend() as never), 'the SIMD module builds on this engine');
    // [1, 2, 4, 4]: two 2x2 windows x 4 channels; lanes hold ordinary values, ties, NaN, -Infinity.
    const x = new Float32Array(32);
    const special = [NaN, -Infinity, 0, 2];
    for (let i = 0; i < 32; i++) x[i] = i % 7 === 0 ? special[(i / 7) % 4] : ((i * 5) % 3) - 1;
    const xt = tf.tensor(x, [1, 2, 4, 4]);
    const y = tf.maxPool(xt as tf.Tensor4D, 2, 2, 'valid');
    const output = y.dataSync() as Float32Array;
    tf.dispose([xt, y]);
    for (const out of [output, new Float32Array(8).fill(NaN)]) {
      await compare(
        {
          kernel: 'MaxPoolGrad',
          inputs: {
            dy: { data: values(8, 91), shape: [1, 1, 2, 4] },
            input: { data: x, shape: [1, 2, 4, 4] },
            output: { data: out, shape: [1, 1, 2, 4] },
          },
          attrs: { filterSize: 2, strides: 2, pad: 'valid' },
        },
        'MaxPoolGrad SIMD path with NaN/-Infinity lanes',
      );
    }
  });

  test('Sum and Mean match over leading, inner, mixed and all axes, with and without keepDims', async () => {
    const shape = [4, 5, 3, 6];
    const axesList: (number | number[])[] = [[0, 1, 2], [0], [0, 1], [0, 1, 2, 3], [3], [1, 2], [0, 2], -1];
    let seed = 7;
    for (const kernel of ['Sum', 'Mean'])
      for (const axis of axesList)
        for (const keepDims of [false, true])
          await compare(
            { kernel, inputs: { x: { data: values(360, seed++), shape } }, attrs: { axis, keepDims } },
            `${kernel} axis=${JSON.stringify(axis)} keepDims=${keepDims}`,
          );
  });

  test('Sum and Mean over leading axes match on the wasm SIMD path (blocks of rows, leftover rows)', async () => {
    // 70 x 3 = 210 rows of 8 columns: six 32-row SIMD blocks and 18 leftover rows.
    let seed = 300;
    for (const kernel of ['Sum', 'Mean'])
      for (const axis of [[0, 1], [0]])
        await compare(
          { kernel, inputs: { x: { data: values(70 * 3 * 8, seed++), shape: [70, 3, 8] } }, attrs: { axis, keepDims: false } },
          `${kernel} SIMD axis=${JSON.stringify(axis)}`,
        );
  });

  test('Tile matches for the batch-norm pattern and for general repetitions', async () => {
    const cases: [number[], number[]][] = [
      [[1, 1, 1, 32], [4, 9, 7, 1]],
      [[2, 3], [3, 2]],
      [[3], [4]],
      [[2, 1, 3], [1, 5, 2]],
      [[2, 2, 2, 2], [2, 1, 3, 1]],
    ];
    let seed = 11;
    for (const [shape, reps] of cases) {
      const n = shape.reduce((a, d) => a * d, 1);
      await compare({ kernel: 'Tile', inputs: { x: { data: values(n, seed++), shape } }, attrs: { reps } }, `Tile ${shape} x ${reps}`);
    }
  });

  test('Identity returns equal values and leaves the input usable after the copy is disposed', () => {
    const x = tf.tensor([1, 2, 3, 4], [2, 2]);
    const y = tf.engine().runKernel('Identity', { x }, {}) as tf.Tensor;
    y.dispose();
    assert.deepEqual(Array.from(x.dataSync()), [1, 2, 3, 4]);
    x.dispose();
  });
});

describe('wasm training kernels inside gradients', () => {
  test('tf.grad through conv2d, maxPool and batch norm leaks no tensors', () => {
    const x = tf.tensor(values(2 * 9 * 7 * 3, 5), [2, 9, 7, 3]) as tf.Tensor4D;
    const f = tf.tensor(values(3 * 3 * 3 * 4, 6), [3, 3, 3, 4]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const dataIds = tf.engine().backend.numDataIds();
    const grads = tf.grads((xx: tf.Tensor, ff: tf.Tensor) => {
      const y = tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, 1, 'same');
      const p = tf.maxPool(tf.relu(y), 2, 2, 'same');
      const m = tf.moments(p, [0, 1, 2]);
      // tfjs cannot differentiate batchNorm without a scale (it clones the missing input).
      return tf.sum(tf.batchNorm(p, m.mean, m.variance, tf.zeros([4]), tf.ones([4])));
    })([x, f]);
    tf.dispose(grads);
    assert.equal(tf.memory().numTensors, before);
    assert.equal(tf.engine().backend.numDataIds(), dataIds);
    tf.dispose([x, f]);
  });
});

/** conv 3x3 relu -> maxPool 2 -> batchNorm -> conv 3x3 stride 2 -> flatten -> dense softmax. */
function smallNet(): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [12, 10, 1], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'valid' }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 5, activation: 'softmax' }));
  return model;
}

/** Gradients of the cross-entropy of `smallNet` (training mode) w.r.t. every trainable weight. */
function netGradients(weights: { data: Float32Array; shape: number[] }[], x: Float32Array, labels: number[]): Float32Array[] {
  const model = smallNet();
  model.setWeights(weights.map((w) => tf.tensor(w.data, w.shape)));
  const xs = tf.tensor(x, [labels.length, 12, 10, 1]);
  const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), 5);
  const { grads } = tf.variableGrads(() =>
    tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar,
    model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val),
  );
  const out = model.trainableWeights.map((w) => grads[(w as unknown as { val: tf.Variable }).val.name].dataSync() as Float32Array);
  tf.dispose([xs, ys, ...Object.values(grads)]);
  model.dispose();
  return out;
}

describe('end to end', () => {
  test('gradients of a small conv net (conv, maxPool, batchNorm, dense) on wasm match cpu', async () => {
    const template = smallNet();
    let seed = 100;
    const weights = template.getWeights().map((w) => ({ data: values(w.size, seed++).map((v) => v * 0.5), shape: w.shape }));
    template.dispose();
    const x = values(6 * 12 * 10, 42);
    const labels = [0, 1, 2, 3, 4, 1];
    const onWasm = netGradients(weights, x, labels);
    await tf.setBackend('cpu');
    let onCpu: Float32Array[];
    try {
      onCpu = netGradients(weights, x, labels);
    } finally {
      await tf.setBackend('wasm');
    }
    assert.equal(onWasm.length, onCpu.length);
    for (let i = 0; i < onCpu.length; i++) {
      let diff = 0;
      let scale = 0;
      for (let j = 0; j < onCpu[i].length; j++) {
        diff = Math.max(diff, Math.abs(onWasm[i][j] - onCpu[i][j]));
        scale = Math.max(scale, Math.abs(onCpu[i][j]));
      }
      assert.ok(scale > 0, `gradient ${i} is all zero: the check would be vacuous`);
      const rel = diff / scale;
      worst['end-to-end'] = Math.max(worst['end-to-end'] ?? 0, rel);
      assert.ok(rel <= MAX_REL_ERR, `gradient ${i}: relative error ${rel}`);
    }
  });
});
