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
import { f32, TensorInfo, WasmKernelArgs } from './wasm-internals';

/** Output shape: the forward input's, [B, H, W, C]. */
export function maxPoolGradWasm({ inputs, backend, attrs }: WasmKernelArgs): TensorInfo {
  const { dy, input, output } = inputs as { dy: TensorInfo; input: TensorInfo; output?: TensorInfo };
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
  const x = f32(backend, input);
  const g = f32(backend, dy);
  const out = f32(backend, dx);
  const y = output && output.dtype === 'float32' ? f32(backend, output) : undefined;
  out.fill(0);
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
        const windowBase = imageBase + rStart * rowStride + cStart * c;
        const rows = rEnd - rStart;
        const cols = cEnd - cStart;
        for (let ch = 0; ch < c; ch++, dyIndex++) {
          let at = -1;
          const m = y === undefined ? NaN : y[dyIndex];
          if (m === m && m !== -Infinity) {
            // Guided by the forward output: the first pixel equal to the window max.
            search: for (let r = 0, rowBase = windowBase + ch; r < rows; r++, rowBase += rowStride) {
              for (let col = 0, i = rowBase; col < cols; col++, i += c) {
                if (x[i] === m) {
                  at = i;
                  break search;
                }
              }
            }
          }
          if (at < 0) {
            // No usable max (NaN, -Infinity or not found): scan for the first strictly greater value.
            let best = -Infinity;
            for (let r = 0, rowBase = windowBase + ch; r < rows; r++, rowBase += rowStride) {
              for (let col = 0, i = rowBase; col < cols; col++, i += c) {
                const v = x[i];
                if (v > best) {
                  best = v;
                  at = i;
                }
              }
            }
          }
          if (at >= 0) out[at] += g[dyIndex];
        }
      }
    }
  }
  return dx;
}
