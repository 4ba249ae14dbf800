/**
 * Conv2DBackpropFilter on wasm: the SIMD path against the XNNPACK path, per layer of the seed
 * network (3x3 'same', stride 1, 32 filters, batch 32), in one process.
 *
 *   node --import tsx bench/backprop-filter.ts [--repeats 15]
 *
 * The two paths run interleaved (A B A B ...) so that load from other processes hits both
 * alike; each row prints the median, min and max wall ms per call, the median process CPU ms
 * (both paths run on this thread only, so CPU time is robust to other processes), and the
 * largest difference between the two results relative to the largest |dW|.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/model/backend';
import { filterGradXnnpack } from '../src/model/kernels/conv2d-backprop-filter';
import { filterGradSimd, filterGradSimdApplies } from '../src/model/kernels/conv2d-backprop-filter-simd';
import { simdModule } from '../src/model/kernels/simd';
import type { BackendWasm, TensorInfo } from '../src/model/kernels/wasm-internals';

const i = process.argv.indexOf('--repeats');
const REPEATS = i >= 0 ? Number(process.argv[i + 1]) : 15;

/** Seed network layers: x shape [B, H, W, Ci] and the number of filters. */
const LAYERS: { x: [number, number, number, number]; co: number }[] = [
  { x: [32, 64, 63, 1], co: 32 },
  { x: [32, 32, 31, 32], co: 32 },
  { x: [32, 16, 15, 32], co: 32 },
];

function stats(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  return `${median(s).toFixed(2)} ms (min ${s[0].toFixed(2)}, max ${s[s.length - 1].toFixed(2)})`;
}

function median(ms: number[]): number {
  const s = [...ms].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  await selectBackend({ prefer: 'wasm' });
  const backend = tf.backend() as BackendWasm;
  const simd = simdModule(backend);
  if (!simd) throw new Error('wasm SIMD is unavailable in this engine');
  console.log(`Conv2DBackpropFilter, ${REPEATS} interleaved calls per path (after 2 warm-up calls each)`);
  for (const { x: xShape, co } of LAYERS) {
    const x = tf.randomUniform(xShape, -1, 1, 'float32', 1);
    const dy = tf.randomUniform([xShape[0], xShape[1], xShape[2], co], -1, 1, 'float32', 2);
    const info = tf.backend_util.computeConv2DInfo(xShape, [3, 3, xShape[3], co], 1, 1, 'same');
    if (!filterGradSimdApplies(info)) throw new Error('the SIMD path does not apply to this layer');
    const paths: Record<string, () => TensorInfo> = {
      xnnpack: () => filterGradXnnpack(backend, info, x, dy),
      simd: () => filterGradSimd(backend, simd, info, x, dy),
    };
    const times: Record<string, number[]> = { xnnpack: [], simd: [] };
    const cpu: Record<string, number[]> = { xnnpack: [], simd: [] };
    const results: Record<string, Float32Array> = {};
    for (let rep = -2; rep < REPEATS; rep++) {
      for (const [name, run] of Object.entries(paths)) {
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        const out = run();
        const ms = performance.now() - t0;
        const c = process.cpuUsage(c0);
        if (rep >= 0) {
          times[name].push(ms);
          cpu[name].push((c.user + c.system) / 1000);
        }
        results[name] = (backend.typedArrayFromHeap(out) as Float32Array).slice();
        backend.disposeData(out.dataId);
      }
    }
    let diff = 0;
    let scale = 0;
    for (let j = 0; j < results.simd.length; j++) {
      diff = Math.max(diff, Math.abs(results.simd[j] - results.xnnpack[j]));
      scale = Math.max(scale, Math.abs(results.xnnpack[j]));
    }
    console.log(`[${xShape.join(',')}] -> ${co}`);
    console.log(`  xnnpack wall ${stats(times.xnnpack)}, cpu ${median(cpu.xnnpack).toFixed(2)} ms`);
    console.log(`  simd    wall ${stats(times.simd)}, cpu ${median(cpu.simd).toFixed(2)} ms; max |simd - xnnpack| / max |dW| = ${(diff / scale).toExponential(2)}`);
    tf.dispose([x, dy]);
  }
}

void main();
