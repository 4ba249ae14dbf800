/**
 * Adam's update from one flat gradient array, bit for bit what tfjs's
 * `AdamOptimizer.applyGradients` computes, in one pass over each variable instead of about a
 * dozen tfjs ops per variable (3.6 ms per step for the seed network's ten variables on wasm,
 * measured 2026-12-01; data-parallel training applies an update after every step of its replicas
 * on the main thread, while they wait).
 *
 * tfjs rounds the result of each op to float32. Here each op is computed in double and rounded
 * with Math.fround, which gives the same float32 for +, -, *, / and sqrt of float32 operands
 * (a double holds the exact product, and its rounding then cannot change the float32 result).
 * The optimizer's own state is used and updated: its moment variables (created as tfjs creates
 * them, so checkpoints save and restore them unchanged), its beta powers and its iteration count.
 *
 *   m' = b1 m + (1 - b1) g        v' = b2 v + (1 - b2) g^2
 *   w' = w - lr (m' / (1 - b1^t)) / (sqrt(v' / (1 - b2^t)) + eps)
 */
import * as tf from '@tensorflow/tfjs';
import { MelbookError } from '../errors';
import { adamScalar, adamStepsWasm, type AdamConstants, type AdamSlots } from './kernels/adam-step';

/** The AdamOptimizer fields tfjs 4.22 keeps its state in (protected or private there). */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  incrementIterations(): void;
}

/** True when `applyAdamFlat` can update with this optimizer (tfjs's Adam, with the state it expects). */
export function adamFlatApplies(optimizer: tf.Optimizer): optimizer is tf.AdamOptimizer {
  if (!(optimizer instanceof tf.AdamOptimizer)) return false;
  // The fields are tfjs-internal; checked here so a tfjs that stores them otherwise takes its own path.
  const state = optimizer as unknown as Partial<AdamState>;
  return state.accBeta1 instanceof tf.Variable && state.accBeta2 instanceof tf.Variable && Array.isArray(state.accumulatedFirstMoment) && Array.isArray(state.accumulatedSecondMoment);
}

/**
 * Applies one Adam update to the registered variables `names` (in the order the optimizer has
 * always been given them: its moment slots are by position) from `grads`, their gradients
 * concatenated in that order. The caller checked `adamFlatApplies`.
 */
export function applyAdamFlat(optimizer: tf.AdamOptimizer, names: readonly string[], grads: Float32Array): void {
  // adamFlatApplies checked that these tfjs-internal fields exist.
  const o = optimizer as unknown as AdamState;
  const f = Math.fround;
  const [accB1, accB2] = [o.accBeta1.dataSync()[0], o.accBeta2.dataSync()[0]];
  const k: AdamConstants = {
    b1: f(o.beta1), omb1: f(1 - o.beta1), b2: f(o.beta2), omb2: f(1 - o.beta2),
    oma1: f(1 - accB1), oma2: f(1 - accB2), eps: f(o.epsilon), nlr: f(-o.learningRate),
  };
  const total = names.reduce((n, name) => n + variable(name).size, 0);
  if (total !== grads.length) throw new MelbookError(`applyAdamFlat: ${grads.length} gradient values for ${total} variable values`);
  tf.tidy(() => {
    const slots = names.map((name, i) => {
      const value = variable(name);
      return { value, m: slot(o.accumulatedFirstMoment, i, `${name}/m`, value), v: slot(o.accumulatedSecondMoment, i, `${name}/v`, value) };
    });
    const updated = adamStepsWasm(slots, grads, k) ?? adamStepsJs(slots, grads, k);
    slots.forEach(({ value, m, v }, i) => {
      const [w2, m2, v2] = updated[i];
      m.assign(m2);
      v.assign(v2);
      value.assign(w2);
    });
    o.accBeta1.assign(tf.scalar(f(accB1 * k.b1)));
    o.accBeta2.assign(tf.scalar(f(accB2 * k.b2)));
  });
  o.incrementIterations();
}

/** [w', m', v'] of each variable, computed in JS (any backend). */
function adamStepsJs(slots: readonly AdamSlots[], grads: Float32Array, k: AdamConstants): tf.Tensor[][] {
  let offset = 0;
  return slots.map(({ value, m, v }) => {
    const [w, mv, vv] = [value, m, v].map((t) => t.dataSync() as Float32Array);
    const out = [0, 1, 2].map(() => new Float32Array(value.size));
    for (let j = 0; j < value.size; j++) [out[0][j], out[1][j], out[2][j]] = adamScalar(w[j], mv[j], vv[j], grads[offset + j], k);
    offset += value.size;
    return out.map((data) => tf.tensor(data, value.shape));
  });
}

function variable(name: string): tf.Variable {
  const v = tf.engine().registeredVariables[name];
  if (!v) throw new MelbookError(`applyAdamFlat: no variable named ${name}`);
  return v;
}

/** The optimizer's moment variable at `i`, created as tfjs creates it (zeros, not trainable) when missing. */
function slot(slots: AdamState['accumulatedFirstMoment'], i: number, originalName: string, value: tf.Variable): tf.Variable {
  const existing = slots[i];
  if (existing) return existing.variable;
  const created = { originalName, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
  slots[i] = created;
  return created.variable;
}
