/**
 * `MaxPoolGrad` for wasm as one pass over typed arrays (the stock kernel loops per dx pixel
 * over every window that could contain it).
 *
 * For each output pixel (b, oh, ow) and channel the argmax of the window is found in the forward
 * input, keeping the *first* maximum in row-major window order — the cpu backend's tie rule —
 * and dy is added to dx there. The forward output (the window max, computed by XNNPACK) guides
 * the search: the first pixel equal to it is the argmax, and the search stops there. Where that
 * max is unusable (NaN) or not found, the window is scanned for the first strictly greater value,
 * as on cpu; windows whose values are all NaN or -Infinity pass no gradient, as on cpu.
 */
import * as tf from '@tensorflow/tfjs';
import { simdModule } from './simd';
import { BackendWasm, f32, heapF32, TensorInfo, WasmKernelArgs } from './wasm-internals';

/** Output shape: the forward input's, [B, H, W, C]. */
export function maxPoolGradWasm({ inputs, backend, attrs }: WasmKernelArgs): TensorInfo {
  const { dy, input, output } = inputs as { dy: TensorInfo; input: TensorInfo; output?: TensorInfo };
  // Kernel attrs arrive as the untyped NamedAttrMap; tfjs fills them from MaxPoolGradAttrs.
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const dx = backend.makeOutput(input.shape, 'float32');
  if (output && output.dtype === 'float32' && trySimd2x2(backend, info, input, output, dy, dx)) return dx;
  const y = output && output.dtype === 'float32' ? f32(backend, output) : undefined;
  const out = f32(backend, dx);
  out.fill(0);
  scatterToArgmax(info, f32(backend, input), f32(backend, dy), y, out);
  return dx;
}

/**
 * The JS pass: for each output pixel and channel, adds dy to `out` at the window's argmax in `x`.
 * `y` is the forward output (the window maxima), when there is a float32 one to guide the search.
 */
function scatterToArgmax(info: tf.backend_util.Conv2DInfo, x: Float32Array, g: Float32Array, y: Float32Array | undefined, out: Float32Array): void {
  const { batchSize, inHeight, inWidth, outHeight, outWidth, inChannels: c, strideHeight, strideWidth } = info;
  const fh = info.effectiveFilterHeight;
  const fw = info.effectiveFilterWidth;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const rowStride = inWidth * c;
  let dyIndex = 0;
  for (let b = 0; b < batchSize; b++) {
    const imageBase = b * inHeight * rowStride;
    for (let oh = 0; oh < outHeight; oh++) {
      const r0 = oh * strideHeight - padTop;
      const rStart = Math.max(0, r0);
      const rEnd = Math.min(inHeight, r0 + fh);
      for (let ow = 0; ow < outWidth; ow++) {
        const c0 = ow * strideWidth - padLeft;
        const cStart = Math.max(0, c0);
        const cEnd = Math.min(inWidth, c0 + fw);
        const window: PoolWindow = { base: imageBase + rStart * rowStride + cStart * c, rows: rEnd - rStart, cols: cEnd - cStart, rowStride, step: c };
        for (let ch = 0; ch < c; ch++, dyIndex++) {
          const at = windowArgmax(x, window, ch, y === undefined ? NaN : y[dyIndex]);
          if (at >= 0) out[at] += g[dyIndex];
        }
      }
    }
  }
}

/** One pooling window in a row-major [H, W, C] image: first pixel, size, and strides in floats. */
interface PoolWindow {
  base: number;
  rows: number;
  cols: number;
  rowStride: number;
  /** Floats between two pixels of a row: the channel count. */
  step: number;
}

/**
 * Index in `x` of the first maximum of channel `ch` over the window, in row-major order, or -1
 * when no value can win (all NaN or -Infinity). `max` is the window max from the forward output,
 * or NaN when there is none.
 */
function windowArgmax(x: Float32Array, w: PoolWindow, ch: number, max: number): number {
  if (max === max && max !== -Infinity) {
    // Guided by the forward output: the first pixel equal to the window max.
    for (let r = 0, rowBase = w.base + ch; r < w.rows; r++, rowBase += w.rowStride) {
      for (let col = 0, i = rowBase; col < w.cols; col++, i += w.step) if (x[i] === max) return i;
    }
  }
  // No usable max (NaN, -Infinity or not found): scan for the first strictly greater value.
  let at = -1;
  let best = -Infinity;
  for (let r = 0, rowBase = w.base + ch; r < w.rows; r++, rowBase += w.rowStride) {
    for (let col = 0, i = rowBase; col < w.cols; col++, i += w.step) {
      const v = x[i];
      if (v > best) {
        best = v;
        at = i;
      }
    }
  }
  return at;
}

/**
 * The seed network's case — 2x2 windows, stride 2, no padding, channels a multiple of 4 — in
 * wasm SIMD (see simd.ts). False if it does not apply or some window needs the JS rules.
 */
function trySimd2x2(
  backend: BackendWasm,
  info: tf.backend_util.Conv2DInfo,
  input: TensorInfo,
  output: TensorInfo,
  dy: TensorInfo,
  dx: TensorInfo,
): boolean {
  const fits =
    info.effectiveFilterHeight === 2 && info.effectiveFilterWidth === 2 &&
    info.strideHeight === 2 && info.strideWidth === 2 &&
    info.padInfo.top === 0 && info.padInfo.left === 0 &&
    info.inChannels % 4 === 0 &&
    info.outHeight * 2 <= info.inHeight && info.outWidth * 2 <= info.inWidth &&
    info.batchSize * info.outHeight * info.outWidth > 0;
  const simd = fits ? simdModule(backend) : undefined;
  if (!simd) return false;
  const { offsetOf } = heapF32(backend);
  f32(backend, dx).fill(0); // pixels no window covers (odd edges)
  const rowBytes = info.inWidth * info.inChannels * 4;
  const problems = simd.maxPoolGrad2x2(
    offsetOf(input) * 4, offsetOf(output) * 4, offsetOf(dy) * 4, offsetOf(dx) * 4,
    info.batchSize, info.outHeight, info.outWidth, info.inChannels / 4, rowBytes, rowBytes * info.inHeight,
  );
  return problems === 0;
}
