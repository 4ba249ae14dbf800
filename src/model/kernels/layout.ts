/**
 * Layout kernels over the wasm heap: Tile, Identity, and Sum/Mean over the leading axes. The
 * stock wasm versions are slow exactly where training needs them: Tile (used by the batch-norm
 * gradient) is a per-element loop (~30 ms a call for [32, 32, 31, 32]), Identity copies, and
 * Sum/Mean over axes [0, 1, 2] of NHWC data first transpose the input (~60 ms for 4.1M values).
 */
import * as tf from '@tensorflow/tfjs';
import { MelbookError } from '../../errors';
import { simdModule } from './simd';
import { BackendWasm, heapF32, TensorInfo, WasmKernelArgs, WasmKernelFunc } from './wasm-internals';

/** Rows per float32 partial sum in the SIMD column sum. */
const SUM_BLOCK_ROWS = 32;

type Typed = Float32Array | Int32Array | Uint8Array;

function view(backend: BackendWasm, info: TensorInfo): Typed {
  return backend.typedArrayFromHeap(info) as Typed;
}

/** `Tile`: output shape x.shape[i] * reps[i]; built by block copies (copyWithin doubling). */
export function tileWasm({ inputs, backend, attrs }: WasmKernelArgs): TensorInfo {
  const { x } = inputs as { x: TensorInfo };
  // Kernel attrs arrive as the untyped NamedAttrMap; tfjs fills them from TileAttrs.
  const { reps } = attrs as unknown as tf.TileAttrs;
  const shape = x.shape;
  const rank = shape.length;
  const outShape = shape.map((d, i) => d * reps[i]);
  const out = backend.makeOutput(outShape, x.dtype);
  if (rank === 0 || tf.util.sizeFromShape(outShape) === 0) return out;
  const src = view(backend, x);
  const dst = view(backend, out);
  const srcStrides = tf.util.computeStrides(shape).concat([1]);
  // outBlock[d]: elements of the output below axis d (axes d..rank-1).
  const outBlock = new Array<number>(rank + 1).fill(1);
  for (let d = rank - 1; d >= 0; d--) outBlock[d] = outBlock[d + 1] * outShape[d];
  const fill = (d: number, s: number, o: number): void => {
    const n = shape[d];
    if (d === rank - 1) {
      if (n === 1) dst.fill(src[s], o, o + reps[d]);
      else for (let r = 0; r < reps[d]; r++) dst.set(src.subarray(s, s + n), o + r * n);
      return;
    }
    const inner = outBlock[d + 1];
    for (let i = 0; i < n; i++) fill(d + 1, s + i * srcStrides[d], o + i * inner);
    const block = n * inner;
    for (let copied = 1; copied < reps[d]; ) {
      const count = Math.min(copied, reps[d] - copied);
      dst.copyWithin(o + copied * block, o, o + count * block);
      copied += count;
    }
  };
  fill(0, 0, 0);
  return out;
}

/**
 * `Identity` sharing the input's memory (refcount + 1), as the cpu backend does, instead of
 * copying it: tfjs tensors are immutable, and tf.layers calls Identity ~130 times a step.
 */
export function identityWasm({ inputs, backend }: WasmKernelArgs): TensorInfo {
  const { x } = inputs as { x: TensorInfo };
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Number of leading axes reduced when `axis` is exactly [0, 1, ..., k-1]; else -1. */
function leadingAxes(axis: number | number[], rank: number): number {
  const axes = tf.util.parseAxisParam(axis, [...new Array(rank).keys()].map(() => 1));
  const sorted = [...new Set(axes)].sort((a, b) => a - b);
  return sorted.every((a, i) => a === i) ? sorted.length : -1;
}

/**
 * `Sum` / `Mean` over leading axes of float32 data as column sums in float64 (no transpose);
 * anything else goes to the stock kernel.
 */
export function makeLeadingReduce(kind: 'sum' | 'mean', stock: WasmKernelFunc | undefined): WasmKernelFunc {
  return function leadingReduceWasm(args: WasmKernelArgs): TensorInfo {
    const { inputs, backend, attrs } = args;
    const { x } = inputs as { x: TensorInfo };
    // Kernel attrs arrive as the untyped NamedAttrMap; tfjs fills them from SumAttrs.
    const { axis, keepDims } = attrs as unknown as tf.SumAttrs;
    const rank = x.shape.length;
    const k = leadingAxes(axis, rank);
    if (x.dtype !== 'float32' || k <= 0 || tf.util.sizeFromShape(x.shape) === 0) {
      if (!stock) {
        throw new MelbookError(`wasm ${kind}: axis ${JSON.stringify(axis)} of a ${x.dtype} tensor needs the stock kernel, which is missing; reinstall @tensorflow/tfjs-backend-wasm 4.22`);
      }
      return stock(args);
    }
    const outer = tf.util.sizeFromShape(x.shape.slice(0, k));
    const innerShape = x.shape.slice(k);
    const inner = tf.util.sizeFromShape(innerShape);
    const outShape = keepDims ? [...new Array(k).fill(1), ...innerShape] : innerShape;
    const out = backend.makeOutput(outShape, 'float32');
    // Full blocks of SUM_BLOCK_ROWS rows are summed in wasm SIMD (float32 within a block),
    // the block sums and any leftover rows here in float64.
    const simd = inner % 4 === 0 && outer >= 2 * SUM_BLOCK_ROWS ? simdModule(backend) : undefined;
    const blocks = simd ? Math.floor(outer / SUM_BLOCK_ROWS) : 0;
    const scratch = simd ? backend.makeOutput([blocks, inner], 'float32') : undefined;
    if (simd && scratch) {
      const { offsetOf } = heapF32(backend);
      simd.columnSumBlocks(offsetOf(x) * 4, offsetOf(scratch) * 4, blocks, SUM_BLOCK_ROWS, inner / 4);
    }
    const src = view(backend, x) as Float32Array;
    const dst = view(backend, out) as Float32Array;
    if (inner === 1) {
      let acc = 0;
      for (let i = 0; i < outer; i++) acc += src[i];
      dst[0] = kind === 'mean' ? acc / outer : acc;
      return out;
    }
    const acc = new Float64Array(inner);
    let r = 0;
    if (scratch) {
      const partial = view(backend, scratch) as Float32Array;
      for (let i = 0; i < partial.length; i += inner) {
        for (let c = 0; c < inner; c++) acc[c] += partial[i + c];
      }
      backend.disposeData(scratch.dataId);
      r = blocks * SUM_BLOCK_ROWS;
    }
    addRows(src, acc, r, outer);
    if (kind === 'mean') for (let c = 0; c < inner; c++) dst[c] = acc[c] / outer;
    else dst.set(acc);
    return out;
  };
}

/** Adds rows `from`..`rows - 1` of the row-major `src` (rows of `acc.length` values) into `acc`. */
function addRows(src: Float32Array, acc: Float64Array, from: number, rows: number): void {
  const inner = acc.length;
  let r = from;
  // Four rows per pass: a quarter of the accumulator loads and stores.
  for (let base = r * inner; r + 4 <= rows; r += 4, base += 4 * inner) {
    const b1 = base + inner;
    const b2 = b1 + inner;
    const b3 = b2 + inner;
    for (let c = 0; c < inner; c++) acc[c] += src[base + c] + src[b1 + c] + (src[b2 + c] + src[b3 + c]);
  }
  for (let base = r * inner; r < rows; r++, base += inner) {
    for (let c = 0; c < inner; c++) acc[c] += src[base + c];
  }
}
