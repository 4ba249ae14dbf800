/**
 * The filter gradient of an NHWC convolution as a register-blocked wasm SIMD loop (the
 * `filterGradTile` kernel in simd.ts), for output channel counts that are a multiple of 8.
 *
 *   dW[kh, kw, ci, co] = sum_{b, oh, ow} x[b, oh*sH + kh - pT, ow*sW + kw - pL, ci] * dy[b, oh, ow, co]
 *
 * is a matrix product dW[K, Co] = P^T dy with K = KH*KW*Ci rows, where row k = (kh, kw, ci) of
 * P^T is x read at one fixed offset from each output pixel's window corner. So no im2col matrix
 * is built: x is zero-padded once (only when the windows reach outside it) so that every read
 * is in bounds and branch-free, and a table holds each k's byte offset from the window corner.
 * The kernel takes 4 k x 8 co at a time, keeps those 32 sums in 8 f32x4 registers, and per
 * pixel loads 8 dy values and 4 splatted x values for 32 multiply-adds, with no packing of
 * either operand: ~33 GFLOP/s on the seed network's second layer (292M multiply-adds in ~18 ms
 * of CPU time), a little above XNNPACK's forward Conv2D on the same machine (~26).
 *
 * Why not XNNPACK: the previous path ran this as an XNNPACK Conv2D over transposed copies of x
 * and dy with dy as the filter; XNNPACK repacks that filter on every call, which cost as much
 * as the arithmetic (~11 GFLOP/s overall against ~26 for the forward Conv2D).
 *
 * Pixels go in chunks of whole dy rows of one image, sized so that the chunk's dy and x rows
 * stay in L1 while all K/4 x Co/8 tiles sweep over it; each tile adds its chunk sum to dW.
 * K is padded to a multiple of 4 with rows that read offset 0 and land in a scratch tail that
 * is dropped. Single-threaded with a fixed order: the result is bit-identical run to run.
 */
import type * as tf from '@tensorflow/tfjs';
import type { SimdKernels } from './simd';
import { windowSource } from './padded-window';
import { BackendWasm, heapF32, release, TensorInfo } from './wasm-internals';

/** Bytes of dy and x one pixel chunk may span: about half of a 48 KiB L1 data cache. */
const CHUNK_BYTES = 24 * 1024;

/** True when `filterGradSimd` can compute this convolution's filter gradient. */
export function filterGradSimdApplies(info: tf.backend_util.Conv2DInfo): boolean {
  return (
    info.dataFormat === 'channelsLast' &&
    info.outChannels % 8 === 0 &&
    info.dilationHeight === 1 && info.dilationWidth === 1 &&
    info.batchSize * info.outHeight * info.outWidth * info.inChannels > 0
  );
}

/** dW as a new [KH, KW, Ci, Co] tensor; the caller checked `filterGradSimdApplies`. */
export function filterGradSimd(backend: BackendWasm, simd: SimdKernels, info: tf.backend_util.Conv2DInfo, x: TensorInfo, dy: TensorInfo): TensorInfo {
  const { batchSize, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth, inChannels, outChannels } = info;
  const k = filterHeight * filterWidth * inChannels;
  const kPadded = Math.ceil(k / 4) * 4;
  const out = backend.makeOutput([filterHeight, filterWidth, inChannels, outChannels], 'float32');
  const temps: TensorInfo[] = [];
  try {
    const target = kPadded === k ? out : backend.makeOutput([kPadded, outChannels], 'float32');
    if (target !== out) temps.push(target);
    const offsets = backend.makeOutput([kPadded], 'int32');
    temps.push(offsets);
    const src = windowSource(backend, info, x, temps);
    // No allocation after this point: heap views stay valid.
    const { heap, offsetOf } = heapF32(backend);
    heap.fill(0, offsetOf(target), offsetOf(target) + kPadded * outChannels);
    writeOffsets(backend, info, offsets, src.rowFloats, kPadded);
    const rowsPerChunk = chunkRows(info, src.rowFloats);
    const dyRowFloats = outWidth * outChannels;
    for (let b = 0; b < batchSize; b++) {
      for (let r0 = 0; r0 < outHeight; r0 += rowsPerChunk) {
        simd.filterGradTile(
          src.addr + (b * src.imageFloats + r0 * strideHeight * src.rowFloats) * 4,
          strideWidth * inChannels * 4,
          strideHeight * src.rowFloats * 4,
          (offsetOf(dy) + (b * outHeight + r0) * dyRowFloats) * 4,
          Math.min(rowsPerChunk, outHeight - r0),
          outWidth,
          outChannels / 8,
          offsetOf(offsets) * 4,
          kPadded / 4,
          offsetOf(target) * 4,
        );
      }
    }
    if (target !== out) heap.copyWithin(offsetOf(out), offsetOf(target), offsetOf(target) + k * outChannels);
  } finally {
    for (const t of temps) release(backend, t);
  }
  return out;
}

/** Output rows per chunk: as many as keep one chunk's dy and x rows within CHUNK_BYTES. */
function chunkRows(info: tf.backend_util.Conv2DInfo, xRowFloats: number): number {
  const bytesPerRow = (info.outWidth * info.outChannels + info.strideHeight * xRowFloats) * 4;
  return Math.max(1, Math.min(info.outHeight, Math.floor(CHUNK_BYTES / bytesPerRow)));
}

/** offsets[k] for k = (kh, kw, ci): bytes from a window's corner to its x value; padding rows read 0. */
function writeOffsets(backend: BackendWasm, info: tf.backend_util.Conv2DInfo, offsets: TensorInfo, rowFloats: number, kPadded: number): void {
  const table = backend.typedArrayFromHeap(offsets) as Int32Array;
  const { filterHeight, filterWidth, inChannels } = info;
  let i = 0;
  for (let kh = 0; kh < filterHeight; kh++) {
    for (let kw = 0; kw < filterWidth; kw++) {
      for (let ci = 0; ci < inChannels; ci++) table[i++] = (kh * rowFloats + kw * inChannels + ci) * 4;
    }
  }
  table.fill(0, i, kPadded);
}
