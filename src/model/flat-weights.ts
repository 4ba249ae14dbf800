/**
 * A model's variables as one flat Float32Array and back: how data-parallel replicas exchange
 * weights, gradients and BatchNorm statistics with the process that owns the model.
 */
import * as tf from '@tensorflow/tfjs';
import { MelbookError } from '../errors';

/** Name, shape and element count of each variable, in order. */
export interface VariableLayout {
  names: string[];
  shapes: number[][];
  sizes: number[];
  /** Sum of sizes. */
  total: number;
}

/** A LayerVariable's read() is its tf.Variable, whose name the optimizer keys its state by. */
export function layoutOf(vars: readonly tf.LayerVariable[]): VariableLayout {
  const shapes = vars.map((v) => [...v.shape] as number[]);
  const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
  return { names: vars.map((v) => (v.read() as tf.Variable).name), shapes, sizes, total: sizes.reduce((a, b) => a + b, 0) };
}

/** Whether two lists of variable shapes are the same, in the same order (names may differ between replicas). */
export function sameShapes(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): boolean {
  return a.length === b.length && a.every((s, i) => s.length === b[i].length && s.every((d, j) => d === b[i][j]));
}

/** The variables' current values, concatenated. */
export function packVariables(vars: readonly tf.LayerVariable[]): Float32Array {
  const layout = layoutOf(vars);
  const flat = new Float32Array(layout.total);
  let offset = 0;
  vars.forEach((v, i) => {
    flat.set(v.read().dataSync() as Float32Array, offset);
    offset += layout.sizes[i];
  });
  return flat;
}

/** The pieces of `flat` as tensors shaped like `layout`'s variables. The caller disposes them. */
export function unpackTensors(layout: VariableLayout, flat: Float32Array): tf.Tensor[] {
  if (flat.length !== layout.total) throw new MelbookError(`flat buffer holds ${flat.length} values; the variables need ${layout.total}`);
  let offset = 0;
  return layout.shapes.map((shape, i) => {
    const t = tf.tensor(flat.subarray(offset, offset + layout.sizes[i]), shape, 'float32');
    offset += layout.sizes[i];
    return t;
  });
}

/** Sets each variable to its piece of `flat`. */
export function writeVariables(vars: readonly tf.LayerVariable[], flat: Float32Array): void {
  const tensors = unpackTensors(layoutOf(vars), flat);
  vars.forEach((v, i) => v.write(tensors[i]));
  tf.dispose(tensors);
}
