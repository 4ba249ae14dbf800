/**
 * `Conv2D` and `FusedConv2D` for wasm as the `convTile` SIMD kernel (simd-conv.ts) with fused
 * multiply-adds, for stride-1 NHWC convolutions whose output channels are a multiple of 8
 * (FusedConv2D: with or without a bias, linear or ReLU activation). Everything else, and every
 * convolution where relaxed SIMD is missing (relaxed-simd.ts), runs tfjs's XNNPACK kernel.
 *
 *   y[b, oh, ow, co] = act(bias[co] + sum_{kh, kw, ci} xPad[b, oh + kh, ow + kw, ci] * W[kh, kw, ci, co])
 *
 * x is zero-padded once (padded-window.ts) so that every window is in bounds. For a fixed
 * (b, oh + kh, ow) the (kw, ci) values of a window row are contiguous in NHWC, and so are the
 * matching rows of W: the kernel runs one flat loop of KW * Ci multiply-add steps per window
 * row, over 4 output pixels x 8 output channels held in registers, which start from the bias
 * and pass through the activation on their way out. Output columns go in fours: when OW is not
 * a multiple of 4 the kernel writes a wider scratch output (its extra columns read padding)
 * whose first OW columns are copied out.
 *
 * Why only with FMA: without it this loop and XNNPACK's both run near what a multiply and an
 * add per lane allow; with relaxed_madd this one does the same work in fewer instructions
 * (measured in bench/kernels.ts; the README's Benchmarks section has the figures).
 * Conv2DBackpropInput (conv2d-backprop-input.ts) runs through this kernel as well. In training
 * tfjs does not fuse a convolution with its ReLU (it runs Conv2D, Add and Relu, for their
 * gradients), so FusedConv2D with ReLU serves inference.
 */
import * as tf from '@tensorflow/tfjs';
import { MelbookError } from '../../errors';
import { windowSource } from './padded-window';
import { simdModule, simdUsesFma, type SimdKernels } from './simd';
import { BackendWasm, heapF32, release, TensorInfo, WasmKernelArgs, WasmKernelFunc } from './wasm-internals';

/** True when `convSimd` computes this convolution. */
export function convSimdApplies(info: tf.backend_util.Conv2DInfo): boolean {
  return (
    info.dataFormat === 'channelsLast' &&
    info.outChannels % 8 === 0 &&
    info.strideHeight === 1 && info.strideWidth === 1 &&
    info.dilationHeight === 1 && info.dilationWidth === 1 &&
    info.batchSize * info.outHeight * info.outWidth * info.inChannels > 0
  );
}

/** Conv2D's and FusedConv2D's geometry, from the kernel's inputs and attrs. */
function convInfo(x: TensorInfo, filter: TensorInfo, attrs: tf.NamedAttrMap | undefined): tf.backend_util.Conv2DInfo {
  // Kernel attrs arrive as the untyped NamedAttrMap; tfjs fills them from Conv2DAttrs (FusedConv2DAttrs extends it).
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs as unknown as tf.Conv2DAttrs;
  return tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(dataFormat),
  );
}

function requireStock(name: string, stock: WasmKernelFunc | undefined): WasmKernelFunc {
  if (!stock) throw new MelbookError(`tfjs-backend-wasm has no '${name}' kernel; melbook's wasm kernels need @tensorflow/tfjs-backend-wasm 4.22`);
  return stock;
}

/** The Conv2D kernel: `convSimd` where it applies and FMA is on, else the stock kernel. */
export function makeConv2DWasm(stock: WasmKernelFunc | undefined): WasmKernelFunc {
  return function conv2DWasm(args: WasmKernelArgs): TensorInfo {
    const { inputs, backend, attrs } = args;
    const { x, filter } = inputs as { x: TensorInfo; filter: TensorInfo };
    const info = convInfo(x, filter, attrs);
    const simd = convSimdApplies(info) && simdUsesFma(backend) ? simdModule(backend) : undefined;
    return simd ? convSimd(backend, simd, info, x, filter) : requireStock('Conv2D', stock)(args);
  };
}

/** The FusedConv2D kernel: `convSimd` with its bias and a linear or ReLU activation, else the stock kernel. */
export function makeFusedConv2DWasm(stock: WasmKernelFunc | undefined): WasmKernelFunc {
  return function fusedConv2DWasm(args: WasmKernelArgs): TensorInfo {
    const { inputs, backend, attrs } = args;
    const { x, filter, bias, preluActivationWeights } = inputs as { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
    // Kernel attrs arrive as the untyped NamedAttrMap; tfjs fills them from FusedConv2DAttrs.
    const { activation } = attrs as unknown as tf.FusedConv2DAttrs;
    const info = convInfo(x, filter, attrs);
    const fits = (activation === 'linear' || activation === 'relu') && !preluActivationWeights && (!bias || (bias.shape.length === 1 && bias.shape[0] === info.outChannels));
    const simd = fits && convSimdApplies(info) && simdUsesFma(backend) ? simdModule(backend) : undefined;
    return simd ? convSimd(backend, simd, info, x, filter, { bias, relu: activation === 'relu' }) : requireStock('FusedConv2D', stock)(args);
  };
}

/** What happens to the sums on their way out: a bias added first (none: zeros) and ReLU (default off). */
export interface Epilogue {
  bias?: TensorInfo;
  relu?: boolean;
}

/** y as a new [B, OH, OW, Co] tensor; the caller checked `convSimdApplies`. */
export function convSimd(backend: BackendWasm, simd: SimdKernels, info: tf.backend_util.Conv2DInfo, x: TensorInfo, filter: TensorInfo, epilogue: Epilogue = {}): TensorInfo {
  const { batchSize, outHeight, outWidth, outChannels, filterHeight, filterWidth, inChannels } = info;
  const quads = Math.ceil(outWidth / 4);
  const out = backend.makeOutput([batchSize, outHeight, outWidth, outChannels], 'float32');
  const temps: TensorInfo[] = [];
  try {
    const target = quads * 4 === outWidth ? out : backend.makeOutput([batchSize, outHeight, quads * 4, outChannels], 'float32');
    if (target !== out) temps.push(target);
    const src = windowSource(backend, info, x, temps, quads * 4);
    const bias = epilogue.bias ?? backend.makeOutput([outChannels], 'float32');
    if (bias !== epilogue.bias) temps.push(bias);
    // No allocation after this point: heap views stay valid.
    const { heap, offsetOf } = heapF32(backend);
    if (bias !== epilogue.bias) heap.fill(0, offsetOf(bias), offsetOf(bias) + outChannels);
    simd.convTile(
      src.addr, inChannels * 4, src.rowFloats * 4, src.imageFloats * 4,
      offsetOf(filter) * 4, filterWidth * inChannels, filterHeight, outChannels / 8,
      batchSize, outHeight, quads, offsetOf(target) * 4, offsetOf(bias) * 4, epilogue.relu ? 1 : 0,
    );
    if (target !== out) {
      const rowFloats = outWidth * outChannels;
      const wideRowFloats = quads * 4 * outChannels;
      for (let row = 0; row < batchSize * outHeight; row++) {
        const from = offsetOf(target) + row * wideRowFloats;
        heap.copyWithin(offsetOf(out) + row * rowFloats, from, from + rowFloats);
      }
    }
  } finally {
    for (const t of temps) release(backend, t);
  }
  return out;
}
