/**
 * melbook's training kernels for the tfjs wasm backend. Nothing here runs on import:
 * `selectBackend` calls `registerWasmTrainingKernels()` once wasm is the active backend.
 */
import * as tf from '@tensorflow/tfjs';
import { makeConv2DWasm, makeFusedConv2DWasm } from './conv2d';
import { conv2DBackpropFilterWasm } from './conv2d-backprop-filter';
import { makeConv2DBackpropInputWasm } from './conv2d-backprop-input';
import { identityWasm, makeLeadingReduce, tileWasm } from './layout';
import { maxPoolGradWasm } from './max-pool-grad';
import { makeBatchMatMulWasm } from './mat-mul';
import { makeFusedBatchNormWasm } from './batch-norm';
import { BATCH_NORM_GRAD_SUMS, batchNormGradSumsWasm, RELU_GRAD, reluGradWasm } from './fused-grads';
import { installFusedGradients, removeFusedGradients } from './fused-gradients';
import { simdUsesFma } from './simd';
import type { BackendWasm, WasmKernelFunc } from './wasm-internals';

/** The kernels we register for wasm, by tfjs kernel name; each gets the stock kernel (if any). */
const TRAINING_KERNELS: Record<string, (stock: WasmKernelFunc | undefined) => WasmKernelFunc> = {
  Conv2D: makeConv2DWasm,
  FusedConv2D: makeFusedConv2DWasm,
  Conv2DBackpropFilter: () => conv2DBackpropFilterWasm,
  Conv2DBackpropInput: makeConv2DBackpropInputWasm,
  MaxPoolGrad: () => maxPoolGradWasm,
  Tile: () => tileWasm,
  Identity: () => identityWasm,
  Sum: (stock) => makeLeadingReduce('sum', stock),
  Mean: (stock) => makeLeadingReduce('mean', stock),
  BatchMatMul: makeBatchMatMulWasm,
  FusedBatchNorm: makeFusedBatchNormWasm,
  // Kernels of melbook's own, run by the ReLU and batch-norm gradients of fused-gradients.ts.
  [RELU_GRAD]: () => reluGradWasm,
  [BATCH_NORM_GRAD_SUMS]: () => batchNormGradSumsWasm,
};

/** Names of the kernels `registerWasmTrainingKernels` installs on wasm. */
export const WASM_TRAINING_KERNEL_NAMES: readonly string[] = Object.keys(TRAINING_KERNELS);

/** Stock wasm kernels we replaced, to put back on `unregisterWasmTrainingKernels`. */
const replaced = new Map<string, tf.KernelConfig>();
/** Kernels of ours that are registered now. */
const installed = new Set<string>();
let registered = false;

/**
 * Registers (or replaces) the training kernels for backend 'wasm'. Idempotent: a second call
 * does nothing. Call after the wasm backend is initialised (`selectBackend` does).
 */
export function registerWasmTrainingKernels(options: { only?: readonly string[] } = {}): void {
  if (registered) return;
  for (const [kernelName, make] of Object.entries(TRAINING_KERNELS)) {
    if (options.only && !options.only.includes(kernelName)) continue;
    const stock = tf.getKernel(kernelName, 'wasm');
    if (stock != null) {
      replaced.set(kernelName, stock);
      tf.unregisterKernel(kernelName, 'wasm');
    }
    // Registered kernel functions are typed for any backend; on 'wasm' they take and return wasm tensors.
    const kernelFunc = make(stock?.kernelFunc as unknown as WasmKernelFunc | undefined);
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc }); // and back to the registry's type
    installed.add(kernelName);
  }
  installFusedGradients(installed);
  registered = true;
}

/** Removes melbook's wasm kernels and restores the stock ones (for benchmarks and tests). */
export function unregisterWasmTrainingKernels(): void {
  if (!registered) return;
  for (const kernelName of installed) {
    tf.unregisterKernel(kernelName, 'wasm');
    const stock = replaced.get(kernelName);
    if (stock) tf.registerKernel(stock);
  }
  replaced.clear();
  installed.clear();
  removeFusedGradients();
  registered = false;
}

/** True when melbook's kernels are currently registered for wasm. */
export function wasmTrainingKernelsRegistered(): boolean {
  return registered;
}

/**
 * True when melbook's wasm SIMD kernels run with fused multiply-adds (relaxed SIMD; see
 * kernels/relaxed-simd.ts) on the wasm backend: false where it is missing or `MELBOOK_FMA=0`.
 * Results are reproducible for a given value, which runs record as a tag.
 */
export function wasmKernelsUseFma(): boolean {
  const backend = tf.findBackend('wasm');
  return registered && backend != null && simdUsesFma(backend as BackendWasm);
}
