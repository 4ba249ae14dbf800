/**
 * Two fused gradient kernels for wasm, each one pass over memory where tfjs's gradients take
 * several (every tfjs op is its own pass over the tensor):
 *
 * - `MelbookReluGrad` {dy, x} -> dx = x > 0 ? dy : 0 (tfjs: step, cast, multiply: three passes
 *   over the largest activations of the network). Where x is NaN, dx is NaN, as tfjs gives.
 *   Where x <= 0, dx is +0 even when dy is infinite or NaN (tfjs multiplies, giving NaN there);
 *   a network with such gradients has diverged already, which training reports.
 * - `MelbookBatchNormGradSums` {dy, x, mean} -> [2, C]: per channel (the last axis), the sum of
 *   dy and the sum of dy * (x - mean); batch-norm-gradients.ts derives every batch-norm
 *   gradient but dx's from them (tfjs: about ten passes, a Tile and three reductions).
 *
 * Both take the wasm SIMD path (simd.ts) when the engine has SIMD, and plain JS otherwise. Sums
 * are float32 within blocks of 32 rows and float64 across blocks, as the Sum kernel's.
 */
import { simdModule } from './simd';
import { f32, heapF32, release, TensorInfo, WasmKernelArgs } from './wasm-internals';

export const RELU_GRAD = 'MelbookReluGrad';
export const BATCH_NORM_GRAD_SUMS = 'MelbookBatchNormGradSums';

/** Rows per float32 partial sum on the SIMD path. */
const BLOCK_ROWS = 32;

/** `MelbookReluGrad`: float32 dy and x of one shape. */
export function reluGradWasm({ inputs, backend }: WasmKernelArgs): TensorInfo {
  const { dy, x } = inputs as { dy: TensorInfo; x: TensorInfo };
  const out = backend.makeOutput(x.shape, 'float32');
  const n = x.shape.reduce((a, b) => a * b, 1);
  const simd = simdModule(backend);
  const n4 = simd ? Math.floor(n / 4) : 0;
  if (simd && n4 > 0) {
    const { offsetOf } = heapF32(backend);
    simd.reluGrad(offsetOf(x) * 4, offsetOf(dy) * 4, offsetOf(out) * 4, n4);
  }
  const xs = f32(backend, x);
  const gs = f32(backend, dy);
  const dx = f32(backend, out);
  for (let i = 4 * n4; i < n; i++) {
    const v = xs[i];
    dx[i] = v > 0 ? gs[i] : Number.isNaN(v) ? v : 0;
  }
  return out;
}

/** `MelbookBatchNormGradSums`: float32 dy and x of one shape [..., C], mean [C]; output [2, C]. */
export function batchNormGradSumsWasm({ inputs, backend }: WasmKernelArgs): TensorInfo {
  const { dy, x, mean } = inputs as { dy: TensorInfo; x: TensorInfo; mean: TensorInfo };
  const inner = mean.shape[0];
  const rows = x.shape.reduce((a, b) => a * b, 1) / inner;
  const out = backend.makeOutput([2, inner], 'float32');
  const simd = inner % 4 === 0 && rows >= 2 * BLOCK_ROWS ? simdModule(backend) : undefined;
  const blocks = simd ? Math.floor(rows / BLOCK_ROWS) : 0;
  const scratch = simd ? backend.makeOutput([blocks, 2, inner], 'float32') : undefined;
  if (simd && scratch) {
    const { offsetOf } = heapF32(backend);
    simd.batchNormGradBlocks(offsetOf(dy) * 4, offsetOf(x) * 4, offsetOf(mean) * 4, offsetOf(scratch) * 4, blocks, BLOCK_ROWS, inner / 4);
  }
  const sums = new Float64Array(2 * inner);
  if (scratch) {
    const partial = f32(backend, scratch);
    for (let i = 0; i < partial.length; i += 2 * inner) {
      for (let c = 0; c < 2 * inner; c++) sums[c] += partial[i + c];
    }
    release(backend, scratch);
  }
  addRows(f32(backend, dy), f32(backend, x), f32(backend, mean), sums, blocks * BLOCK_ROWS, rows);
  f32(backend, out).set(sums);
  return out;
}

/** Adds rows `from`..`rows - 1` into `sums`: [sum dy, sum dy * (x - mean)] per channel. */
function addRows(dy: Float32Array, x: Float32Array, mean: Float32Array, sums: Float64Array, from: number, rows: number): void {
  const inner = mean.length;
  for (let r = from, base = from * inner; r < rows; r++, base += inner) {
    for (let c = 0; c < inner; c++) {
      const g = dy[base + c];
      sums[c] += g;
      sums[inner + c] += g * (x[base + c] - mean[c]);
    }
  }
}
