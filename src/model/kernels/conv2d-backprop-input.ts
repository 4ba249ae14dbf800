/**
 * `Conv2DBackpropInput` for wasm as one XNNPACK Conv2D (the stock kernel is a naive loop).
 *
 * The input gradient of a stride-s convolution is the "full" correlation of dy, dilated by s
 * (s - 1 zeros between neighbours), with the filter rotated by 180 degrees and its in/out
 * channel axes swapped:
 *
 *   dx[b, h, w, ci] = sum_{kh, kw, co} dyDil[b, h + kh - pt', w + kw - pl', co] * Wrot[kh, kw, co, ci]
 *   Wrot[kh, kw, co, ci] = W[KH-1-kh, KW-1-kw, ci, co],  pt' = KH-1-pT,  pl' = KW-1-pL,
 *
 * with bottom/right padding chosen so the output is exactly [B, H, W, Ci]. For stride 1 dyDil
 * is dy itself and the padding is XNNPACK's (no copy); for stride > 1 dy is zero-stuffed in JS.
 * Layouts XNNPACK cannot express (a negative padding from unusual explicit pads) use the stock
 * kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { MelbookError } from '../../errors';
import { BackendWasm, f32, release, runWasmKernel, TensorInfo, WasmKernelArgs, WasmKernelFunc } from './wasm-internals';

/** Output shape: the `inputShape` attribute, [B, H, W, Ci]. */
export function makeConv2DBackpropInputWasm(stock: WasmKernelFunc | undefined): WasmKernelFunc {
  return function conv2DBackpropInputWasm(args: WasmKernelArgs): TensorInfo {
    const { inputs, backend, attrs } = args;
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    // Kernel attrs arrive as the untyped NamedAttrMap; tfjs fills them from Conv2DBackpropInputAttrs.
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const info = tf.backend_util.computeConv2DInfo(
      inputShape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      tf.backend_util.convertConv2DDataFormat(dataFormat),
    );
    const { inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
    const padTop = filterHeight - 1 - info.padInfo.top;
    const padLeft = filterWidth - 1 - info.padInfo.left;
    const padBottom = inHeight - 1 + info.padInfo.top - (outHeight - 1) * strideHeight;
    const padRight = inWidth - 1 + info.padInfo.left - (outWidth - 1) * strideWidth;
    if (info.dataFormat !== 'channelsLast' || Math.min(padTop, padLeft, padBottom, padRight) < 0) {
      if (!stock) {
        throw new MelbookError(
          `wasm Conv2DBackpropInput: pad ${JSON.stringify(pad)} with dataFormat '${dataFormat}' is not supported; use 'same'/'valid' NHWC convolutions or MELBOOK_BACKEND=cpu`,
        );
      }
      return stock(args);
    }
    const temps: TensorInfo[] = [];
    try {
      const rotated = rotateFilter(backend, filter);
      temps.push(rotated);
      let input = dy;
      if (strideHeight > 1 || strideWidth > 1) {
        input = zeroStuff(backend, dy, strideHeight, strideWidth);
        temps.push(input);
      }
      return runWasmKernel('Conv2D', backend, { x: input, filter: rotated }, {
        strides: [1, 1],
        // NamedAttrMap has no member for explicit [[top, bottom], ...] padding, which the wasm Conv2D reads.
        pad: [[0, 0], [padTop, padBottom], [padLeft, padRight], [0, 0]] as unknown as tf.NamedAttrMap[string],
        dataFormat: 'NHWC',
        dilations: [1, 1],
        // The wasm Conv2D reads dimRoundingMode but NamedAttrMap does not allow undefined.
        dimRoundingMode: undefined as unknown as string,
      });
    } finally {
      for (const t of temps) release(backend, t);
    }
  };
}

/** [KH, KW, Ci, Co] -> [KH, KW, Co, Ci], rotated 180 degrees in (KH, KW). */
function rotateFilter(backend: BackendWasm, filter: TensorInfo): TensorInfo {
  const [kh, kw, ci, co] = filter.shape;
  const out = backend.makeOutput([kh, kw, co, ci], 'float32');
  const src = f32(backend, filter);
  const dst = f32(backend, out);
  for (let r = 0; r < kh; r++) {
    for (let c = 0; c < kw; c++) {
      const srcBase = ((kh - 1 - r) * kw + (kw - 1 - c)) * ci * co;
      const dstBase = (r * kw + c) * co * ci;
      for (let i = 0; i < ci; i++) {
        for (let o = 0; o < co; o++) dst[dstBase + o * ci + i] = src[srcBase + i * co + o];
      }
    }
  }
  return out;
}

/** [B, OH, OW, C] -> [B, (OH-1)*sH+1, (OW-1)*sW+1, C] with zeros between the original pixels. */
function zeroStuff(backend: BackendWasm, dy: TensorInfo, sH: number, sW: number): TensorInfo {
  const [b, oh, ow, c] = dy.shape;
  const h = (oh - 1) * sH + 1;
  const w = (ow - 1) * sW + 1;
  const out = backend.makeOutput([b, h, w, c], 'float32');
  const src = f32(backend, dy);
  const dst = f32(backend, out);
  dst.fill(0);
  for (let n = 0; n < b; n++) {
    for (let r = 0; r < oh; r++) {
      for (let col = 0; col < ow; col++) {
        const s = ((n * oh + r) * ow + col) * c;
        dst.set(src.subarray(s, s + c), ((n * h + r * sH) * w + col * sW) * c);
      }
    }
  }
  return out;
}
