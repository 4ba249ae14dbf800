/**
 * Shared by the wasm kernel parity tests: deterministic inputs, running one kernel on the active
 * backend with leak checks, and the normwise comparison with the cpu backend (the reference).
 *
 * Error measure: normwise relative error max|wasm - cpu| / max|cpu| (an elementwise ratio is
 * meaningless where the reference is ~0). Bound: 1e-5.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';

export const MAX_REL_ERR = 1e-5;
export const worst: Record<string, number> = {};

/** Deterministic values in [-1, 1) (mulberry32), or small integers when `ties` (many equal values). */
export function values(n: number, seed: number, ties = false): Float32Array {
  const out = new Float32Array(n);
  let a = seed >>> 0;
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = ties ? Math.floor(u * 3) : u * 2 - 1;
  }
  return out;
}

export interface KernelCase {
  kernel: string;
  inputs: Record<string, { data: Float32Array; shape: number[] }>;
  attrs: Record<string, unknown>;
}

/** Runs one kernel on the active backend; returns its values and checks it leaks nothing. */
export function runOnActive({ kernel, inputs, attrs }: KernelCase): Float32Array {
  const tensors: Record<string, tf.Tensor> = {};
  for (const [name, v] of Object.entries(inputs)) tensors[name] = tf.tensor(v.data, v.shape);
  const before = tf.memory().numTensors;
  const dataIds = tf.engine().backend.numDataIds();
  const out = tf.engine().runKernel(kernel, tensors, attrs as tf.NamedAttrMap) as tf.Tensor;
  const result = out.dataSync() as Float32Array;
  out.dispose();
  assert.equal(tf.memory().numTensors, before, `${kernel} leaked tensors`);
  assert.equal(tf.engine().backend.numDataIds(), dataIds, `${kernel} leaked backend data`);
  tf.dispose(Object.values(tensors));
  return result;
}

export async function compare(c: KernelCase, label: string): Promise<number> {
  return compareWithCpu(c, runOnActive(c), label);
}

/** Checks `got`, the wasm result of `c`, against the cpu backend's; `worstKey` names its worst-error row. */
export async function compareWithCpu(c: KernelCase, got: Float32Array, label: string, worstKey = c.kernel): Promise<number> {
  await tf.setBackend('cpu');
  let want: Float32Array;
  try {
    want = runOnActive(c);
  } finally {
    await tf.setBackend('wasm');
  }
  assert.equal(got.length, want.length, `${label}: output size`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  const rel = scale === 0 ? diff : diff / scale;
  worst[worstKey] = Math.max(worst[worstKey] ?? 0, rel);
  assert.ok(rel <= MAX_REL_ERR, `${label}: relative error ${rel} > ${MAX_REL_ERR}`);
  return rel;
}

/** max|got - want| / max|want| (the absolute difference when want is all zero). */
export function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return scale === 0 ? diff : diff / scale;
}
