/**
 * Where a convolution kernel reads its input: x itself, or a zero-padded copy, so that every
 * window of every output pixel lies inside it and the kernel's loads need no bounds checks.
 */
import type * as tf from '@tensorflow/tfjs';
import { BackendWasm, heapF32, TensorInfo } from './wasm-internals';

/** A byte address and the float strides of the (possibly padded) NHWC image. */
export interface XSource {
  addr: number;
  rowFloats: number;
  imageFloats: number;
}

/**
 * x itself when every window lies inside it, else a zero-padded copy [B, HP, WP, Ci] covering
 * exactly the rows and columns the windows of `outWidth` output columns reach (pushed onto
 * `temps`). `outWidth` may exceed the convolution's own, for kernels that compute whole groups
 * of output columns; the extra columns read zeros.
 */
export function windowSource(backend: BackendWasm, info: tf.backend_util.Conv2DInfo, x: TensorInfo, temps: TensorInfo[], outWidth = info.outWidth): XSource {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const rows = (outHeight - 1) * strideHeight + filterHeight;
  const cols = (outWidth - 1) * strideWidth + filterWidth;
  if (padTop === 0 && padLeft === 0 && rows <= inHeight && cols <= inWidth) {
    const rowFloats = inWidth * inChannels;
    return { addr: heapF32(backend).offsetOf(x) * 4, rowFloats, imageFloats: inHeight * rowFloats };
  }
  const padded = backend.makeOutput([batchSize, rows, cols, inChannels], 'float32');
  temps.push(padded);
  const { heap, offsetOf } = heapF32(backend);
  const rowFloats = cols * inChannels;
  const imageFloats = rows * rowFloats;
  const base = offsetOf(padded);
  heap.fill(0, base, base + batchSize * imageFloats);
  // Padded column j holds x column j - padLeft; copy the columns that exist, per row.
  const c0 = Math.max(0, padLeft);
  const c1 = Math.min(cols, inWidth + padLeft);
  const srcBase = offsetOf(x);
  for (let b = 0; b < batchSize; b++) {
    for (let i = Math.max(0, padTop); i < Math.min(rows, inHeight + padTop); i++) {
      const s = srcBase + ((b * inHeight + i - padTop) * inWidth + c0 - padLeft) * inChannels;
      heap.copyWithin(base + b * imageFloats + i * rowFloats + c0 * inChannels, s, s + (c1 - c0) * inChannels);
    }
  }
  return { addr: base * 4, rowFloats, imageFloats };
}
