/**
 * melbook's training kernels for the tfjs wasm backend. Nothing here runs on import:
 * `selectBackend` calls `registerWasmTrainingKernels()` once wasm is the active backend.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilterWasm } from './conv2d-backprop-filter';
import { makeConv2DBackpropInputWasm } from './conv2d-backprop-input';
import { splitBatch, SplitSpec, startHelperThread, stopHelperThread } from './helper-thread';
import { identityWasm, makeLeadingReduce, tileWasm } from './layout';
import { maxPoolGradWasm } from './max-pool-grad';
import type { WasmKernelFunc } from './wasm-internals';

/** The kernels we register for wasm, by tfjs kernel name; each gets the stock kernel (if any). */
const TRAINING_KERNELS: Record<string, (stock: WasmKernelFunc | undefined) => WasmKernelFunc> = {
  Conv2DBackpropFilter: () => conv2DBackpropFilterWasm,
  Conv2DBackpropInput: makeConv2DBackpropInputWasm,
  MaxPoolGrad: () => maxPoolGradWasm,
  Tile: () => tileWasm,
  Identity: () => identityWasm,
  Sum: (stock) => makeLeadingReduce('sum', stock),
  Mean: (stock) => makeLeadingReduce('mean', stock),
};

/** With `threads: 2`, these kernels give half of each batch to the helper thread. */
const SPLIT_KERNELS: Record<string, SplitSpec> = {
  Conv2D: { batchInputs: ['x'], combine: 'concat' },
  Conv2DBackpropInput: {
    batchInputs: ['dy'],
    combine: 'concat',
    attrsFor: (attrs, batch) => ({ ...attrs, inputShape: [batch, ...(attrs.inputShape as number[]).slice(1)] }),
  },
  Conv2DBackpropFilter: { batchInputs: ['x', 'dy'], combine: 'sum' },
  MaxPoolGrad: { batchInputs: ['dy', 'input', 'output'], combine: 'concat' },
};

/** Names of the kernels `registerWasmTrainingKernels` installs on wasm (with `threads: 1`). */
export const WASM_TRAINING_KERNEL_NAMES: readonly string[] = Object.keys(TRAINING_KERNELS);

export interface WasmTrainingKernelOptions {
  /** Register only these kernels (benchmarks). Default: all. */
  only?: readonly string[];
  /**
   * 1 (default): everything on the calling thread. 2: also start a helper thread with its own
   * wasm backend that computes half of each batch of Conv2D, its two gradients and MaxPoolGrad.
   */
  threads?: number;
}

/** Stock wasm kernels we replaced, to put back on `unregisterWasmTrainingKernels`. */
const replaced = new Map<string, tf.KernelConfig>();
/** Kernels of ours that are registered now. */
const installed = new Set<string>();
let registeredThreads = 0;

/**
 * Registers (or replaces) the training kernels for backend 'wasm'. Idempotent: calling it again
 * with the same thread count does nothing. Call after the wasm backend is initialised
 * (`selectBackend` does).
 */
export function registerWasmTrainingKernels(options: WasmTrainingKernelOptions = {}): void {
  const threads = options.threads ?? 1;
  if (registeredThreads === threads) return;
  if (registeredThreads !== 0) unregisterWasmTrainingKernels();
  const names = new Set([...Object.keys(TRAINING_KERNELS), ...(threads > 1 ? Object.keys(SPLIT_KERNELS) : [])]);
  for (const kernelName of names) {
    if (options.only && !options.only.includes(kernelName)) continue;
    const stock = tf.getKernel(kernelName, 'wasm');
    const stockFunc = stock?.kernelFunc as unknown as WasmKernelFunc | undefined;
    let kernelFunc = TRAINING_KERNELS[kernelName] ? TRAINING_KERNELS[kernelName](stockFunc) : stockFunc;
    if (!kernelFunc) continue;
    if (threads > 1 && SPLIT_KERNELS[kernelName]) kernelFunc = splitBatch(kernelName, kernelFunc, SPLIT_KERNELS[kernelName]);
    if (stock != null) {
      replaced.set(kernelName, stock);
      tf.unregisterKernel(kernelName, 'wasm');
    }
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
    installed.add(kernelName);
  }
  if (threads > 1) startHelperThread();
  registeredThreads = threads;
}

/** Removes melbook's wasm kernels, restores the stock ones and stops any helper thread. */
export function unregisterWasmTrainingKernels(): void {
  if (registeredThreads === 0) return;
  for (const kernelName of installed) {
    tf.unregisterKernel(kernelName, 'wasm');
    const stock = replaced.get(kernelName);
    if (stock) tf.registerKernel(stock);
  }
  replaced.clear();
  installed.clear();
  registeredThreads = 0;
  void stopHelperThread();
}

/** True when melbook's kernels are currently registered for wasm. */
export function wasmTrainingKernelsRegistered(): boolean {
  return registeredThreads !== 0;
}

export { waitForHelper } from './helper-thread';
