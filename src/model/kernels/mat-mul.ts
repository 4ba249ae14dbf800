/**
 * `BatchMatMul` for wasm when an operand is transposed and there is one matrix per operand (the
 * dense layers' gradients, `dy x W^T` and `x^T x dy`). The stock kernel takes a slow path for
 * transposed operands (1.4 to 1.9 ms for [16, 64] x [1792, 64]^T and [16, 1792]^T x [16, 64],
 * against 0.2 to 0.3 ms here), so the transposes are made explicit (tfjs's Transpose kernel) and
 * the product runs untransposed. XNNPACK packs the right operand on every call, so when that
 * operand is the larger one the product is computed as C^T = B^T A^T and transposed back.
 * Everything else goes to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { MelbookError } from '../../errors';
import { release, runWasmKernel, TensorInfo, WasmKernelArgs, WasmKernelFunc } from './wasm-internals';

/** Transpose's perm swapping the last two axes of a rank-`rank` tensor. */
function swapLastTwo(rank: number): number[] {
  return [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
}

export function makeBatchMatMulWasm(stock: WasmKernelFunc | undefined): WasmKernelFunc {
  if (!stock) throw new MelbookError(`tfjs-backend-wasm has no 'BatchMatMul' kernel; melbook's wasm kernels need @tensorflow/tfjs-backend-wasm 4.22`);
  return function batchMatMulWasm(args: WasmKernelArgs): TensorInfo {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    // Kernel attrs arrive as the untyped NamedAttrMap; tfjs fills them from BatchMatMulAttrs.
    const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
    // One matrix: [m, n], or [1, ..., 1, m, n].
    const single = (x: TensorInfo) => x.dtype === 'float32' && x.shape.length >= 2 && x.shape.length === a.shape.length && x.shape.slice(0, -2).every((d) => d === 1);
    if (!(transposeA || transposeB) || !single(a) || !single(b)) return stock(args);
    const temps: TensorInfo[] = [];
    const transposed = (x: TensorInfo): TensorInfo => {
      const y = runWasmKernel('Transpose', backend, { x }, { perm: swapLastTwo(x.shape.length) });
      temps.push(y);
      return y;
    };
    const plain = { transposeA: false, transposeB: false };
    let out: TensorInfo;
    if (tf.util.sizeFromShape(b.shape) > tf.util.sizeFromShape(a.shape)) {
      const productT = stock({ inputs: { a: transposeB ? b : transposed(b), b: transposeA ? a : transposed(a) }, backend, attrs: plain });
      temps.push(productT);
      out = runWasmKernel('Transpose', backend, { x: productT }, { perm: swapLastTwo(productT.shape.length) });
    } else {
      out = stock({ inputs: { a: transposeA ? transposed(a) : a, b: transposeB ? transposed(b) : b }, backend, attrs: plain });
    }
    for (const t of temps) release(backend, t);
    return out;
  };
}
