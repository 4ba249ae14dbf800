/**
 * A second core for the wasm training kernels. The wasm backend runs on one thread (threaded
 * wasm cannot start in Node), so `startHelperThread` starts a worker thread with its own wasm
 * backend, and `splitBatch` wraps a kernel so that the helper computes the second half of the
 * batch while the calling thread computes the first. Kernels are synchronous, so the caller
 * blocks in `Atomics.wait` for the helper's half; inputs and outputs travel through shared
 * memory. Opt-in (`threads: 2`); if the helper is not up (it starts asynchronously), busy, or
 * fails, kernels run on the calling thread alone.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { f32, heapF32, release, TensorInfo, WasmKernelArgs, WasmKernelFunc } from './wasm-internals';
import { HELPER_LAYOUT, HelperInput, writeRequest } from './helper-protocol';

interface Helper {
  worker: Worker;
  ctrl: Int32Array;
  floats: Float32Array;
  text: SharedArrayBuffer;
  seq: number;
  alive: boolean;
}

let helper: Helper | undefined;
/** True while a split kernel runs: nested kernel calls (e.g. Conv2D inside dW) stay local. */
let busy = false;

/** Floats of shared memory for one request's inputs and output (default 2^23 = 32 MiB). */
const DEFAULT_CAPACITY = 1 << 23;
/** Below this many input floats a kernel is not worth splitting. */
const MIN_SPLIT_FLOATS = 1 << 16;
/** How long to wait for the helper's half before giving up on it, ms. */
const HELPER_TIMEOUT_MS = 60_000;

/** Starts the helper thread once (asynchronously ready); later calls do nothing. */
export function startHelperThread(capacityFloats = DEFAULT_CAPACITY): void {
  if (helper) return;
  const control = new SharedArrayBuffer(HELPER_LAYOUT.slots * 4);
  const data = new SharedArrayBuffer(capacityFloats * 4);
  const text = new SharedArrayBuffer(1 << 16);
  const ext = path.extname(__filename);
  const entry = path.join(__dirname, `helper-worker${ext}`);
  const workerData = { control, data, text };
  // Under tsx (tests, benches) the entry is TypeScript and the worker needs tsx's hook too.
  const worker =
    ext === '.ts'
      ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(entry)});`, { eval: true, workerData })
      : new Worker(entry, { workerData });
  worker.unref();
  const started: Helper = { worker, ctrl: new Int32Array(control), floats: new Float32Array(data), text, seq: 0, alive: true };
  worker.on('error', () => (started.alive = false));
  worker.on('exit', () => (started.alive = false));
  helper = started;
}

/** Stops the helper thread (kernels then run on the calling thread only). */
export async function stopHelperThread(): Promise<void> {
  const h = helper;
  helper = undefined;
  if (!h) return;
  Atomics.store(h.ctrl, HELPER_LAYOUT.request, -1);
  Atomics.notify(h.ctrl, HELPER_LAYOUT.request);
  await h.worker.terminate();
}

/** True once the helper's wasm backend is up and it is not serving another kernel. */
export function helperReady(): boolean {
  return !!helper && helper.alive && !busy && Atomics.load(helper.ctrl, HELPER_LAYOUT.ready) === 1;
}

/** Waits (blocking, up to `timeoutMs`) until the helper is ready; for tests and benches. */
export function waitForHelper(timeoutMs = 10_000): boolean {
  if (!helper) return false;
  Atomics.wait(helper.ctrl, HELPER_LAYOUT.ready, 0, timeoutMs);
  return helperReady();
}

export interface SplitSpec {
  /** Inputs whose first axis is the batch; the first one gives the batch size. */
  batchInputs: string[];
  /** How the two halves' outputs combine: stacked along the batch, or added. */
  combine: 'concat' | 'sum';
  /** Attrs for a part of `batch` images (e.g. Conv2DBackpropInput's inputShape). */
  attrsFor?: (attrs: Record<string, unknown>, batch: number) => Record<string, unknown>;
}

/** Wraps `local` so that, when the helper is ready, the helper computes half of the batch. */
export function splitBatch(kernelName: string, local: WasmKernelFunc, spec: SplitSpec): WasmKernelFunc {
  return function splitKernel(args: WasmKernelArgs): TensorInfo {
    const { inputs, backend } = args;
    const attrs = (args.attrs ?? {}) as Record<string, unknown>;
    const first = inputs[spec.batchInputs[0]] as TensorInfo;
    const batch = first.shape[0];
    const names = Object.keys(inputs);
    const total = names.reduce((n, k) => n + sizeOf((inputs[k] as TensorInfo).shape), 0);
    if (!helperReady() || batch < 2 || total < MIN_SPLIT_FLOATS || names.some((k) => (inputs[k] as TensorInfo).dtype !== 'float32')) {
      return local(args);
    }
    const h = helper!;
    const mine = Math.ceil(batch / 2);
    const theirs = batch - mine;
    // Copy the helper's inputs into shared memory.
    const requestInputs: HelperInput[] = [];
    let offset = 0;
    for (const name of names) {
      const info = inputs[name] as TensorInfo;
      const split = spec.batchInputs.includes(name);
      const rowSize = sizeOf(info.shape.slice(1));
      const shape = split ? [theirs, ...info.shape.slice(1)] : info.shape;
      const size = sizeOf(shape);
      requestInputs.push({ name, shape, offset, size });
      offset += size;
    }
    const outputOffset = offset;
    if (outputOffset * 2 > h.floats.length) return local(args);
    for (const input of requestInputs) {
      const info = inputs[input.name] as TensorInfo;
      const start = spec.batchInputs.includes(input.name) ? mine * sizeOf(info.shape.slice(1)) : 0;
      h.floats.set(f32(backend, info).subarray(start, start + input.size), input.offset);
    }
    writeRequest(h.text, {
      kernel: kernelName,
      attrs: spec.attrsFor ? spec.attrsFor(attrs, theirs) : attrs,
      inputs: requestInputs,
      outputOffset,
    });
    busy = true;
    h.seq++;
    Atomics.store(h.ctrl, HELPER_LAYOUT.request, h.seq);
    Atomics.notify(h.ctrl, HELPER_LAYOUT.request);
    let mineOut: TensorInfo;
    try {
      const localInputs = { ...inputs };
      for (const name of spec.batchInputs) {
        const info = inputs[name] as TensorInfo;
        localInputs[name] = { dataId: info.dataId, shape: [mine, ...info.shape.slice(1)], dtype: info.dtype };
      }
      const localAttrs = spec.attrsFor ? spec.attrsFor(attrs, mine) : attrs;
      mineOut = local({ inputs: localInputs, backend, attrs: localAttrs as WasmKernelArgs['attrs'] });
    } finally {
      Atomics.wait(h.ctrl, HELPER_LAYOUT.done, h.seq - 1, HELPER_TIMEOUT_MS);
      if (Atomics.load(h.ctrl, HELPER_LAYOUT.done) !== h.seq) h.alive = false;
      busy = false;
    }
    if (Atomics.load(h.ctrl, HELPER_LAYOUT.done) !== h.seq || Atomics.load(h.ctrl, HELPER_LAYOUT.status) !== 1) {
      release(backend, mineOut);
      return local(args);
    }
    const theirSize = sizeOf(readShape(h.ctrl));
    const theirValues = h.floats.subarray(outputOffset, outputOffset + theirSize);
    if (spec.combine === 'sum') {
      const values = f32(backend, mineOut);
      for (let i = 0; i < values.length; i++) values[i] += theirValues[i];
      return mineOut;
    }
    const out = backend.makeOutput([batch, ...mineOut.shape.slice(1)], 'float32');
    const { heap, offsetOf } = heapF32(backend);
    const mineSize = sizeOf(mineOut.shape);
    heap.copyWithin(offsetOf(out), offsetOf(mineOut), offsetOf(mineOut) + mineSize);
    heap.set(theirValues, offsetOf(out) + mineSize);
    release(backend, mineOut);
    return out;
  };
}

function readShape(ctrl: Int32Array): number[] {
  const rank = ctrl[HELPER_LAYOUT.outRank];
  return Array.from({ length: rank }, (_, i) => ctrl[HELPER_LAYOUT.outShape + i]);
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}
