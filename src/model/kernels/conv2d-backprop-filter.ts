/**
 * `Conv2DBackpropFilter` for wasm (tfjs-backend-wasm 4.22 has none). When the output channels
 * are a multiple of 8 and the engine has wasm SIMD, a register-blocked SIMD loop computes it
 * (conv2d-backprop-filter-simd.ts, 2-6x faster on the seed network's layers); every other case
 * runs as XNNPACK Conv2Ds, as follows.
 *
 * The filter gradient of a stride-s convolution with padding (pT, pL),
 *
 *   dW[kh, kw, ci, co] = sum_{b, oh, ow} x[b, oh*sH + kh - pT, ow*sW + kw - pL, ci] * dy[b, oh, ow, co],
 *
 * is itself a convolution with the roles of the axes swapped: input x' = x transposed to
 * [Ci, H, W, B] (ci is the batch, b the channels), filter dy' = dy transposed to
 * [OH, OW, B, Co], stride 1 and *dilation* (sH, sW), padding (pT, pL) at the top/left and
 * whatever makes the output exactly [Ci, KH, KW, Co]; one last reordering gives [KH, KW, Ci, Co].
 * Rows/columns of x that no window reaches (a negative bottom/right padding) are cropped first.
 *
 * XNNPACK packs (copies and re-lays out) the filter operand, here dy, on every call, at a cost
 * that grows faster than linearly with its size (4.1M values for the seed network's first layer
 * cost ~65 ms in one piece). So the batch is split into chunks whose dy' has about 2^18 values,
 * one Conv2D per chunk, and the partial gradients are summed: 27 ms instead of 75 ms for that
 * layer. The transposes are plain JS (block copies within the heap for dy).
 */
import * as tf from '@tensorflow/tfjs';
import { MelbookError } from '../../errors';
import { filterGradSimd, filterGradSimdApplies } from './conv2d-backprop-filter-simd';
import { simdModule } from './simd';
import { BackendWasm, f32, heapF32, release, runWasmKernel, TensorInfo, WasmKernelArgs } from './wasm-internals';

/** Output shape: the `filterShape` attribute, [KH, KW, Ci, Co]. */
export function conv2DBackpropFilterWasm({ inputs, backend, attrs }: WasmKernelArgs): TensorInfo {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  // Kernel attrs arrive as the untyped NamedAttrMap; tfjs registered them from Conv2DBackpropFilterAttrs.
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(dataFormat),
  );
  if (info.dataFormat !== 'channelsLast') {
    throw new MelbookError(
      `wasm Conv2DBackpropFilter: dataFormat '${dataFormat}' is not supported; use channelsLast (NHWC) layers or MELBOOK_BACKEND=cpu`,
    );
  }
  const simd = filterGradSimdApplies(info) ? simdModule(backend) : undefined;
  return simd ? filterGradSimd(backend, simd, info, x, dy) : filterGradXnnpack(backend, info, x, dy);
}

/**
 * The XNNPACK path (see the header): any channel counts, and where wasm SIMD is missing.
 * Output shape [KH, KW, Ci, Co].
 */
export function filterGradXnnpack(backend: BackendWasm, info: tf.backend_util.Conv2DInfo, x: TensorInfo, dy: TensorInfo): TensorInfo {
  const { inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  // Rows of the (virtually padded) input that the dilated dy' still covers past the last window.
  const padBottom = filterHeight + (outHeight - 1) * strideHeight - inHeight - padTop;
  const padRight = filterWidth + (outWidth - 1) * strideWidth - inWidth - padLeft;

  const useRows = inHeight + Math.min(padBottom, 0);
  const useCols = inWidth + Math.min(padRight, 0);
  const [batch, , , inChannels] = x.shape;
  const outChannels = dy.shape[3];
  const pixels = outHeight * outWidth;
  // Batch chunk: keep each chunk's filter operand near FILTER_CHUNK_FLOATS (packing cost grows
  // faster than linearly with the filter size).
  const chunk = Math.max(1, Math.min(batch, Math.floor(FILTER_CHUNK_FLOATS / (pixels * outChannels))));
  const acc = new Float32Array(inChannels * filterHeight * filterWidth * outChannels);
  const explicitPad = [[0, 0], [padTop, Math.max(padBottom, 0)], [padLeft, Math.max(padRight, 0)], [0, 0]];
  for (let b0 = 0; b0 < batch; b0 += chunk) {
    const bc = Math.min(chunk, batch - b0);
    const xT = backend.makeOutput([inChannels, useRows, useCols, bc], 'float32');
    const dyT = backend.makeOutput([outHeight, outWidth, bc, outChannels], 'float32');
    let partial: TensorInfo | undefined;
    try {
      packInput(backend, x, xT, b0);
      packFilter(backend, dy, dyT, b0);
      partial = dilatedConv(backend, xT, dyT, explicitPad, [strideHeight, strideWidth]);
      const values = f32(backend, partial);
      for (let i = 0; i < acc.length; i++) acc[i] += values[i];
    } finally {
      release(backend, xT);
      release(backend, dyT);
      if (partial) release(backend, partial);
    }
  }
  return filterLayout(backend, acc, [inChannels, filterHeight, filterWidth, outChannels]);
}

/** One chunk's partial gradient: xT convolved with dyT at stride 1 and dilation `dilations`. */
function dilatedConv(backend: BackendWasm, xT: TensorInfo, dyT: TensorInfo, explicitPad: number[][], dilations: [number, number]): TensorInfo {
  return runWasmKernel('Conv2D', backend, { x: xT, filter: dyT }, {
    strides: [1, 1],
    // tfjs types attributes as NamedAttrMap, which has no member for explicit [[top, bottom], ...] padding.
    pad: explicitPad as unknown as tf.NamedAttrMap[string],
    dataFormat: 'NHWC',
    dilations,
    // The wasm Conv2D reads dimRoundingMode but NamedAttrMap does not allow undefined.
    dimRoundingMode: undefined as unknown as string,
  });
}

/** `acc` as [Ci, KH, KW, Co] reordered into a new [KH, KW, Ci, Co] tensor, the gradient's layout. */
function filterLayout(backend: BackendWasm, acc: Float32Array, [inChannels, filterHeight, filterWidth, outChannels]: number[]): TensorInfo {
  const out = backend.makeOutput([filterHeight, filterWidth, inChannels, outChannels], 'float32');
  const dst = f32(backend, out);
  const taps = filterHeight * filterWidth;
  for (let ci = 0; ci < inChannels; ci++) {
    for (let t = 0; t < taps; t++) {
      dst.set(acc.subarray((ci * taps + t) * outChannels, (ci * taps + t + 1) * outChannels), (t * inChannels + ci) * outChannels);
    }
  }
  return out;
}

/** Target size (floats) of one batch chunk's filter operand, dy as [OH, OW, bc, Co]. */
const FILTER_CHUNK_FLOATS = 1 << 18;

/** x[b0 + b, h, w, ci] -> xT[ci, h, w, b] for the rows/cols xT keeps. */
function packInput(backend: BackendWasm, x: TensorInfo, xT: TensorInfo, b0: number): void {
  const [, inHeight, inWidth, ci] = x.shape;
  const [, rows, cols, bc] = xT.shape;
  const src = f32(backend, x);
  const dst = f32(backend, xT);
  const planeStride = rows * cols * bc;
  for (let b = 0; b < bc; b++) {
    for (let h = 0; h < rows; h++) {
      let s = (((b0 + b) * inHeight + h) * inWidth) * ci;
      let d = h * cols * bc + b;
      for (let w = 0; w < cols; w++, s += ci, d += bc) {
        for (let c = 0; c < ci; c++) dst[d + c * planeStride] = src[s + c];
      }
    }
  }
}

/** dy[b0 + b, oh, ow, co] -> dyT[oh, ow, b, co]: whole Co rows, copied within the heap. */
function packFilter(backend: BackendWasm, dy: TensorInfo, dyT: TensorInfo, b0: number): void {
  const [, oh, ow, co] = dy.shape;
  const bc = dyT.shape[2];
  const { heap, offsetOf } = heapF32(backend);
  const src = offsetOf(dy);
  const dst = offsetOf(dyT);
  const pixels = oh * ow;
  for (let b = 0; b < bc; b++) {
    let s = src + (b0 + b) * pixels * co;
    let d = dst + b * co;
    for (let p = 0; p < pixels; p++, s += co, d += bc * co) heap.copyWithin(d, s, s + co);
  }
}
