/**
 * The few tfjs-backend-wasm internals melbook's kernels rely on, in one place.
 *
 * A wasm tensor lives on the module heap: `backend.dataIdMap.get(dataId)` holds its heap
 * offset, `backend.makeOutput(shape, dtype)` allocates a new one (refCount 1) and
 * `backend.disposeData(dataId)` frees it. The package's own kernels compose by calling each
 * other's kernel functions directly (never through the engine), which keeps intermediates off
 * the gradient tape and out of `tf.memory()`; we do the same through `tf.getKernel`.
 *
 * Heap views: any allocation may grow the wasm memory and detach earlier `Float32Array`
 * views, so take views (`f32`) only after the last `makeOutput` of a kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { MelbookError } from '../../errors';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type { BackendWasm };
export type TensorInfo = tf.TensorInfo;

/** What a kernel function receives on the wasm backend. */
export interface WasmKernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: BackendWasm;
  attrs?: tf.NamedAttrMap;
}
export type WasmKernelFunc = (args: WasmKernelArgs) => TensorInfo;

/** The kernel function registered for `kernelName` on wasm right now; throws if there is none. */
export function wasmKernelFunc(kernelName: string): WasmKernelFunc {
  const config = tf.getKernel(kernelName, 'wasm');
  if (config == null) {
    throw new MelbookError(`tfjs-backend-wasm has no '${kernelName}' kernel; melbook's wasm kernels need @tensorflow/tfjs-backend-wasm 4.22`);
  }
  // Registered kernel functions are typed for any backend; this one is registered on 'wasm'.
  return config.kernelFunc as unknown as WasmKernelFunc;
}

/**
 * Runs another wasm kernel from inside a kernel: no engine bookkeeping, no tape. The caller
 * owns the result and must `release` it unless it is returned.
 */
export function runWasmKernel(
  kernelName: string,
  backend: BackendWasm,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap = {},
): TensorInfo {
  return wasmKernelFunc(kernelName)({ inputs, backend, attrs });
}

/** Frees an intermediate made by `runWasmKernel` or `backend.makeOutput`. */
export function release(backend: BackendWasm, info: TensorInfo): void {
  backend.disposeData(info.dataId);
}

/** A float32 view of a tensor's heap memory (valid until the next allocation). */
export function f32(backend: BackendWasm, info: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/**
 * The whole wasm heap as float32 and a tensor's element offset in it, for allocation-free
 * block copies between tensors (`heap.copyWithin`). Same validity rule as `f32`.
 */
export function heapF32(backend: BackendWasm): { heap: Float32Array; offsetOf: (info: TensorInfo) => number } {
  // The emscripten heap views are not in tfjs-backend-wasm's public types.
  const wasm = backend.wasm as unknown as { HEAPF32: Float32Array };
  return {
    heap: wasm.HEAPF32,
    // The wasm backend's tensor data (its heap offset) is internal to tfjs-backend-wasm.
    offsetOf: (info) => (backend.dataIdMap.get(info.dataId) as unknown as { memoryOffset: number }).memoryOffset >>> 2,
  };
}
