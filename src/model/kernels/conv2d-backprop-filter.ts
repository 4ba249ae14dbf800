/**
 * `Conv2DBackpropFilter` for wasm (tfjs-backend-wasm 4.22 has none), as one XNNPACK Conv2D.
 *
 * The filter gradient of a stride-s convolution with padding (pT, pL),
 *
 *   dW[kh, kw, ci, co] = sum_{b, oh, ow} x[b, oh*sH + kh - pT, ow*sW + kw - pL, ci] * dy[b, oh, ow, co],
 *
 * is itself a convolution with the roles of the axes swapped: input x' = x transposed to
 * [Ci, H, W, B] (ci is the batch, b the channels), filter dy' = dy transposed to
 * [OH, OW, B, Co], stride 1 and *dilation* (sH, sW), padding (pT, pL) at the top/left and
 * whatever makes the output exactly [Ci, KH, KW, Co]; one last transpose gives [KH, KW, Ci, Co].
 * Rows/columns of x that no window reaches (a negative bottom/right padding) are cropped first.
 *
 * XNNPACK packs (copies and re-lays out) the filter operand on every call, at a cost roughly
 * proportional to its size, so when x is the smaller operand and the stride is 1 the mirrored
 * formulation is used instead: input dy' = dy as [Co, OH, OW, B], filter x' = x as
 * [H, W, B, Ci], padding (KH-1-pT, KH-1-pB) x (KW-1-pL, KW-1-pR); its output [Co, KH, KW, Ci]
 * holds dW rotated by 180 degrees. For the seed network's first layer (Ci = 1) this packs
 * 129k values instead of 4.1M.
 */
import * as tf from '@tensorflow/tfjs';
import { transpose4d } from './layout';
import { BackendWasm, f32, release, runWasmKernel, TensorInfo, WasmKernelArgs } from './wasm-internals';

/** Output shape: the `filterShape` attribute, [KH, KW, Ci, Co]. */
export function conv2DBackpropFilterWasm({ inputs, backend, attrs }: WasmKernelArgs): TensorInfo {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
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
    throw new Error(`melbook wasm Conv2DBackpropFilter supports dataFormat 'NHWC' only, got '${dataFormat}'`);
  }
  const { inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const xSize = tf.util.sizeFromShape(x.shape);
  const dySize = tf.util.sizeFromShape(dy.shape);
  if (strideHeight === 1 && strideWidth === 1 && xSize < dySize) {
    const padBottom = outHeight + filterHeight - 1 - inHeight - padTop;
    const padRight = outWidth + filterWidth - 1 - inWidth - padLeft;
    const mirrored = [filterHeight - 1 - padTop, filterHeight - 1 - padBottom, filterWidth - 1 - padLeft, filterWidth - 1 - padRight];
    if (Math.min(...mirrored) >= 0) return viaMirrored(backend, x, dy, mirrored, [filterHeight, filterWidth]);
  }
  // Rows of the (virtually padded) input that the dilated dy' still covers past the last window.
  const padBottom = filterHeight + (outHeight - 1) * strideHeight - inHeight - padTop;
  const padRight = filterWidth + (outWidth - 1) * strideWidth - inWidth - padLeft;

  const temps: TensorInfo[] = [];
  try {
    let xT = transpose4d(backend, x, [3, 1, 2, 0]);
    temps.push(xT);
    if (padBottom < 0 || padRight < 0) {
      const [ci, , , b] = xT.shape;
      xT = runWasmKernel('Slice', backend, { x: xT }, {
        begin: [0, 0, 0, 0],
        size: [ci, inHeight + Math.min(padBottom, 0), inWidth + Math.min(padRight, 0), b],
      });
      temps.push(xT);
    }
    const dyT = transpose4d(backend, dy, [1, 2, 0, 3]);
    temps.push(dyT);
    const explicit = [
      [0, 0],
      [padTop, Math.max(padBottom, 0)],
      [padLeft, Math.max(padRight, 0)],
      [0, 0],
    ];
    const grad = runWasmKernel('Conv2D', backend, { x: xT, filter: dyT }, {
      strides: [1, 1],
      pad: explicit as unknown as tf.NamedAttrMap[string],
      dataFormat: 'NHWC',
      dilations: [strideHeight, strideWidth],
      dimRoundingMode: undefined as unknown as string,
    });
    temps.push(grad);
    return transpose4d(backend, grad, [1, 2, 0, 3]);
  } finally {
    for (const t of temps) release(backend, t);
  }
}

/** The mirrored formulation (stride 1): dy is the conv input, x the filter. */
function viaMirrored(
  backend: BackendWasm,
  x: TensorInfo,
  dy: TensorInfo,
  [top, bottom, left, right]: number[],
  [kh, kw]: number[],
): TensorInfo {
  const temps: TensorInfo[] = [];
  try {
    const dyT = transpose4d(backend, dy, [3, 1, 2, 0]);
    temps.push(dyT);
    const xT = transpose4d(backend, x, [1, 2, 0, 3]);
    temps.push(xT);
    const rotated = runWasmKernel('Conv2D', backend, { x: dyT, filter: xT }, {
      strides: [1, 1],
      pad: [[0, 0], [top, bottom], [left, right], [0, 0]] as unknown as tf.NamedAttrMap[string],
      dataFormat: 'NHWC',
      dilations: [1, 1],
      dimRoundingMode: undefined as unknown as string,
    });
    temps.push(rotated);
    const [co, , , ci] = rotated.shape;
    const out = backend.makeOutput([kh, kw, ci, co], 'float32');
    const src = f32(backend, rotated);
    const dst = f32(backend, out);
    // dst[r, c, i, o] = src[o, kh-1-r, kw-1-c, i]
    for (let o = 0; o < co; o++) {
      for (let r = 0; r < kh; r++) {
        for (let c = 0; c < kw; c++) {
          const s0 = ((o * kh + (kh - 1 - r)) * kw + (kw - 1 - c)) * ci;
          const d0 = (r * kw + c) * ci * co + o;
          for (let i = 0; i < ci; i++) dst[d0 + i * co] = src[s0 + i];
        }
      }
    }
    return out;
  } finally {
    for (const t of temps) release(backend, t);
  }
}
