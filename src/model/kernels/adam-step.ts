/**
 * The wasm side of `applyAdamFlat` (../adam-flat.ts): Adam's update of every variable in one
 * SIMD pass each (the `adamStep` kernel of simd.ts), on the backend's heap. Element counts
 * that are not a multiple of 4 finish in JS with the same float32 operations, so the result is
 * the same bit for bit as the JS path and as tfjs's own Adam.
 */
import * as tf from '@tensorflow/tfjs';
import { simdModule } from './simd';
import { heapF32, release, type BackendWasm, type TensorInfo } from './wasm-internals';

/** Adam's per-step constants, already rounded to float32. */
export interface AdamConstants {
  b1: number;
  omb1: number;
  b2: number;
  omb2: number;
  /** 1 - b1^t and 1 - b2^t for this step. */
  oma1: number;
  oma2: number;
  eps: number;
  /** The learning rate, negated. */
  nlr: number;
}

/** A variable's weights and its two moments. */
export interface AdamSlots {
  value: tf.Tensor;
  m: tf.Tensor;
  v: tf.Tensor;
}

/** One element of Adam's update, each op rounded to float32 as tfjs does: [w', m', v']. */
export function adamScalar(w: number, m: number, v: number, g: number, k: AdamConstants): [number, number, number] {
  const f = Math.fround;
  const mj = f(f(m * k.b1) + f(g * k.omb1));
  const vj = f(f(v * k.b2) + f(f(g * g) * k.omb2));
  const step = f(f(mj / k.oma1) / f(f(Math.sqrt(f(vj / k.oma2))) + k.eps));
  return [f(f(step * k.nlr) + w), mj, vj];
}

/**
 * New [w', m', v'] tensors for each variable (the caller assigns and disposes them), with
 * `grads` the variables' gradients concatenated in order; undefined when the active backend is
 * not wasm or its SIMD kernels are missing.
 */
export function adamStepsWasm(slots: readonly AdamSlots[], grads: Float32Array, k: AdamConstants): tf.Tensor[][] | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const backend = tf.backend() as BackendWasm;
  const simd = simdModule(backend);
  if (!simd) return undefined;
  const gInfo = backend.makeOutput([grads.length], 'float32');
  const cInfo = backend.makeOutput([8], 'float32');
  const outs = slots.map(({ value }) => [0, 1, 2].map(() => backend.makeOutput(value.shape, 'float32')));
  try {
    // No allocation after this point: heap views stay valid.
    const { heap, offsetOf } = heapF32(backend);
    heap.set(grads, offsetOf(gInfo));
    heap.set([k.b1, k.omb1, k.b2, k.omb2, k.oma1, k.oma2, k.eps, k.nlr], offsetOf(cInfo));
    let offset = 0;
    slots.forEach(({ value, m, v }, i) => {
      const [ow, om, ov] = outs[i];
      const at = [value, m, v, null, ow, om, ov].map((t) => (t ? offsetOf(t as TensorInfo) : offsetOf(gInfo) + offset));
      const n4 = value.size >> 2;
      // The kernel's loop runs at least once (simd.ts's loop helper): call it only with work to do.
      if (n4 > 0) simd.adamStep(...(at.map((a) => a * 4) as [number, number, number, number, number, number, number]), n4, offsetOf(cInfo) * 4);
      for (let j = n4 * 4; j < value.size; j++) {
        [heap[at[4] + j], heap[at[5] + j], heap[at[6] + j]] = adamScalar(heap[at[0] + j], heap[at[1] + j], heap[at[2] + j], heap[at[3] + j], k);
      }
      offset += value.size;
    });
  } catch (err) {
    for (const info of outs.flat()) release(backend, info);
    throw err;
  } finally {
    release(backend, gInfo);
    release(backend, cInfo);
  }
  return outs.map((infos) => infos.map((info) => tf.engine().makeTensorFromTensorInfo(info)));
}
