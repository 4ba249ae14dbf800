/**
 * melbook's wasm Conv2D (src/model/kernels/conv2d.ts): parity with the cpu backend over strides,
 * paddings, kernel and channel sizes and output widths that are and are not a multiple of 4;
 * which path runs; the fused (relaxed SIMD) and plain builds of the SIMD convolution kernels
 * both match; and results are bit-identical from run to run. Bound as in kernels.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/model/backend';
import { convSimd, convSimdApplies } from '../../src/model/kernels/conv2d';
import { filterGradSimd } from '../../src/model/kernels/conv2d-backprop-filter-simd';
import { relaxedSimdEnabled } from '../../src/model/kernels/relaxed-simd';
import { instantiate, simdModule, simdUsesFma, type SimdKernels } from '../../src/model/kernels/simd';
import type { BackendWasm } from '../../src/model/kernels/wasm-internals';
import { compare, compareWithCpu, runOnActive, values, worst, type KernelCase } from '../helpers/kernel-parity';

type Pad = 'same' | 'valid' | number[][];

function convCase(x: number[], k: [number, number], co: number, strides: number | [number, number], pad: Pad, seed: number): KernelCase & { label: string } {
  const filter = [k[0], k[1], x[3], co];
  return {
    kernel: 'Conv2D',
    inputs: {
      x: { data: values(tf.util.sizeFromShape(x), seed), shape: x },
      filter: { data: values(tf.util.sizeFromShape(filter), seed + 1), shape: filter },
    },
    attrs: { strides, pad, dataFormat: 'NHWC', dilations: 1 },
    label: `x=[${x.join(',')}] k=${k.join('x')} co=${co} s=${JSON.stringify(strides)} pad=${JSON.stringify(pad)}`,
  };
}

function infoOf(c: KernelCase): tf.backend_util.Conv2DInfo {
  const { strides, pad } = c.attrs as { strides: number | [number, number]; pad: Pad };
  const f = c.inputs.filter.shape as [number, number, number, number];
  return tf.backend_util.computeConv2DInfo(c.inputs.x.shape as [number, number, number, number], f, strides, 1, pad as 'same', undefined, false, 'channelsLast');
}

/** A kernel of `simd` run directly on the case's tensors (not through the registry's choice). */
function direct(c: KernelCase, run: (backend: BackendWasm, a: tf.Tensor, b: tf.Tensor) => tf.TensorInfo): Float32Array {
  const backend = tf.backend() as BackendWasm;
  const [a, b] = Object.values(c.inputs).map((v) => tf.tensor(v.data, v.shape));
  const out = tf.engine().makeTensorFromTensorInfo(run(backend, a, b));
  const result = out.dataSync() as Float32Array;
  tf.dispose([out, a, b]);
  return result;
}

/** Seed-network shapes and awkward ones: Ci = 1, widths not a multiple of 4, 1x1 and 2x3 windows, explicit pads. */
const SIMD_CASES: [number[], [number, number], number, Pad][] = [
  [[2, 64, 63, 1], [3, 3], 32, 'same'],
  [[2, 32, 31, 32], [3, 3], 32, 'same'],
  [[3, 16, 15, 32], [3, 3], 32, 'same'],
  [[1, 9, 8, 3], [3, 3], 8, 'valid'],
  [[2, 9, 7, 5], [1, 1], 16, 'same'],
  [[1, 7, 10, 4], [2, 3], 24, [[0, 0], [1, 0], [2, 1], [0, 0]]],
  [[1, 5, 3, 2], [5, 5], 8, 'same'],
];

before(async () => {
  const selection = await selectBackend({ prefer: 'wasm' });
  assert.equal(selection.name, 'wasm', `wasm backend unavailable: ${JSON.stringify(selection.fallbacks)}`);
});

after(() => {
  console.log(`max relative error vs cpu per kernel: ${JSON.stringify(worst)}`);
});

describe('wasm Conv2D', () => {
  test('matches the cpu backend over strides, paddings, kernel sizes, channels and widths', async () => {
    let seed = 3000;
    for (const s of [1, 2] as const)
      for (const [x, k, co, pad] of SIMD_CASES) await compare(convCase(x, k, co, s, pad, seed++), `conv s=${s} ${JSON.stringify(x)} k=${k} co=${co}`);
    for (const co of [1, 3, 12]) await compare(convCase([2, 9, 7, 4], [3, 3], co, 1, 'same', seed++), `conv stock co=${co}`);
  });

  test('on Node 20 relaxed SIMD is enabled and the fused SIMD path is the one that runs', () => {
    assert.equal(relaxedSimdEnabled(), process.env.MELBOOK_FMA !== '0', 'relaxed SIMD compiles here (the flag is set on Node 20)');
    const backend = tf.backend() as BackendWasm;
    assert.equal(simdUsesFma(backend), relaxedSimdEnabled());
    const c = convCase([2, 32, 31, 32], [3, 3], 32, 1, 'same', 11);
    assert.ok(convSimdApplies(infoOf(c)));
    const viaSimd = direct(c, (b, x, f) => convSimd(b, simdModule(b)!, infoOf(c), x, f));
    if (simdUsesFma(backend)) assert.deepEqual(runOnActive(c), viaSimd, 'the registered kernel took the SIMD path');
    assert.equal(convSimdApplies(infoOf(convCase([1, 9, 7, 4], [3, 3], 8, 2, 'same', 1))), false, 'stride 2 keeps XNNPACK');
    assert.equal(convSimdApplies(infoOf(convCase([1, 9, 7, 4], [3, 3], 12, 1, 'same', 1))), false, 'Co = 12 keeps XNNPACK');
  });

  test('the fused and the plain builds of convTile and filterGradTile both match the cpu backend', async () => {
    const backend = tf.backend() as BackendWasm;
    const builds: [string, SimdKernels | undefined][] = [['plain', instantiate(backend, false)], ['fused', relaxedSimdEnabled() ? instantiate(backend, true) : undefined]];
    assert.ok(builds[0][1], 'the plain SIMD build compiles');
    if (process.env.MELBOOK_FMA !== '0') assert.ok(builds[1][1], 'the fused build compiles');
    let seed = 4000;
    for (const [name, simd] of builds) {
      if (!simd) continue;
      for (const [x, k, co, pad] of SIMD_CASES) {
        const c = convCase(x, k, co, 1, pad, seed++);
        const info = infoOf(c);
        await compareWithCpu(c, direct(c, (b, xs, f) => convSimd(b, simd, info, xs, f)), `convTile ${name} ${c.label}`, `Conv2D ${name}`);
        const dyShape = [info.batchSize, info.outHeight, info.outWidth, co];
        const g: KernelCase = {
          kernel: 'Conv2DBackpropFilter',
          inputs: { x: c.inputs.x, dy: { data: values(tf.util.sizeFromShape(dyShape), seed++), shape: dyShape } },
          attrs: { strides: 1, pad: c.attrs.pad, dataFormat: 'NHWC', filterShape: c.inputs.filter.shape },
        };
        await compareWithCpu(g, direct(g, (b, xs, dy) => filterGradSimd(b, simd, info, xs, dy)), `filterGradTile ${name} ${c.label}`, `Conv2DBackpropFilter ${name}`);
      }
    }
  });

  test('FusedConv2D (bias, linear or ReLU) matches the cpu backend, and falls back for other activations', async () => {
    let seed = 5000;
    for (const [x, k, co, pad] of SIMD_CASES.slice(0, 5)) {
      for (const [activation, withBias] of [['relu', true], ['linear', true], ['relu', false]] as const) {
        const c = convCase(x, k, co, 1, pad, seed++);
        c.kernel = 'FusedConv2D';
        if (withBias) c.inputs.bias = { data: values(co, seed++), shape: [co] };
        c.attrs = { ...c.attrs, activation, dimRoundingMode: undefined };
        await compare(c, `fused ${activation} bias=${withBias} ${c.label}`);
      }
    }
    const elu = convCase([1, 9, 7, 4], [3, 3], 8, 1, 'same', seed++);
    elu.kernel = 'FusedConv2D';
    elu.attrs = { ...elu.attrs, activation: 'elu' };
    await compare(elu, 'fused elu (stock XNNPACK)');
    const x = tf.tensor4d([Number.NaN, -1, 2, 3], [1, 2, 2, 1]);
    const y = tf.fused.conv2d({ x, filter: tf.ones([1, 1, 1, 8]), strides: 1, pad: 'same', bias: tf.zeros([8]), activation: 'relu' });
    const got = Array.from(y.dataSync());
    assert.ok(got.slice(0, 8).every(Number.isNaN), 'ReLU keeps NaN');
    assert.deepEqual(got.slice(8, 16), new Array(8).fill(0), 'and clips -1 to 0');
    tf.dispose([x, y]);
  });

  test('is bit-identical from run to run and propagates NaN', () => {
    const c = convCase([4, 32, 31, 32], [3, 3], 32, 1, 'same', 900);
    const first = runOnActive(c);
    for (let run = 0; run < 3; run++) assert.deepEqual(runOnActive(c), first);
    c.inputs.x.data[5 * 31 * 32 + 7 * 32] = Number.NaN; // image 0, row 5, column 7, channel 0
    const withNaN = runOnActive(c);
    const at = (r: number, col: number) => withNaN[(r * 31 + col) * 32];
    assert.ok(Number.isNaN(at(5, 7)) && Number.isNaN(at(4, 6)) && Number.isNaN(at(6, 8)), 'the 3x3 neighbourhood is NaN');
    assert.ok(Number.isFinite(at(5, 9)) && Number.isFinite(at(3, 7)), 'outside it values stay finite');
  });
});
