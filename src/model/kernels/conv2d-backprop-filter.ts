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
 */
import * as tf from '@tensorflow/tfjs';
import { BackendWasm, release, runWasmKernel, TensorInfo, WasmKernelArgs } from './wasm-internals';

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
  // Rows of the (virtually padded) input that the dilated dy' still covers past the last window.
  const padBottom = filterHeight + (outHeight - 1) * strideHeight - inHeight - padTop;
  const padRight = filterWidth + (outWidth - 1) * strideWidth - inWidth - padLeft;

  const temps: TensorInfo[] = [];
  try {
    let xT = runWasmKernel('Transpose', backend, { x }, { perm: [3, 1, 2, 0] });
    temps.push(xT);
    if (padBottom < 0 || padRight < 0) {
      const [ci, , , b] = xT.shape;
      xT = runWasmKernel('Slice', backend, { x: xT }, {
        begin: [0, 0, 0, 0],
        size: [ci, inHeight + Math.min(padBottom, 0), inWidth + Math.min(padRight, 0), b],
      });
      temps.push(xT);
    }
    const dyT = runWasmKernel('Transpose', backend, { x: dy }, { perm: [1, 2, 0, 3] });
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
    return transposeToFilter(backend, grad);
  } finally {
    for (const t of temps) release(backend, t);
  }
}

function transposeToFilter(backend: BackendWasm, grad: TensorInfo): TensorInfo {
  return runWasmKernel('Transpose', backend, { x: grad }, { perm: [1, 2, 0, 3] });
}
