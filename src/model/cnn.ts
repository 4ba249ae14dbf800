/**
 * Builds a tfjs CNN from a `CnnSpec` (see spec.ts) and compiles it from a `CompileSpec`.
 *
 * Layer names, for block i (1-based) and dense layer j (1-based):
 *   input, block{i}_conv, [block{i}_bn, block{i}_act,] block{i}_pool, [block{i}_bn,]
 *   block{i}_dropout, flatten | global_pool, dense{j}, dense{j}_dropout, output
 * where the batch norm sits as `batchNormPosition` says (default after the pool, as the seed).
 */
import * as tf from '@tensorflow/tfjs';
import {
  CnnSpecSchema, CompileSchema, parseSpec, validateCnnSpecForInput,
  type BlockSpec, type CnnSpec, type CnnSpecInput, type CompileSpec, type CompileSpecInput,
} from './spec';
import { createOptimizer } from './optimizer';
import type { ModelBuildInput, ModelFactory } from './factory';

/** Options of `buildCnn`. */
export interface CnnBuildOptions {
  /**
   * Seed of the kernel initialisers (glorotUniform; the k-th weighted layer, counting from 0,
   * gets `seed + k`). Default: unseeded. The model's Dropout layers are left unseeded (a layer
   * seed would repeat one mask every step); training seeds them per step (dropout-seeds.ts).
   */
  seed?: number;
}

/**
 * A `tf.Sequential` for `spec` over inputs `[height, width, channels]` (= [nMels, nFrames, 1]),
 * ending in Dense(nClasses, softmax) named `output`. Accepts a spec as written (it is parsed,
 * defaults applied) and checks its shapes before any tensor exists: ModelSpecError names the
 * block and field. The caller owns the model (`model.dispose()`).
 */
export function buildCnn(
  spec: CnnSpec | CnnSpecInput,
  inputShape: readonly number[],
  nClasses: number,
  options: CnnBuildOptions = {},
): tf.Sequential {
  const parsed = parseSpec(CnnSpecSchema, spec);
  validateCnnSpecForInput(parsed, inputShape, nClasses);

  let weighted = 0;
  const kernelInitializer = () =>
    tf.initializers.glorotUniform(options.seed === undefined ? {} : { seed: options.seed + weighted++ });

  const layers: tf.layers.Layer[] = [tf.layers.inputLayer({ inputShape: [...inputShape], name: 'input' })];
  parsed.blocks.forEach((block, i) => layers.push(...blockLayers(block, `block${i + 1}`, kernelInitializer)));
  layers.push(
    parsed.globalPool === 'avg' ? tf.layers.globalAveragePooling2d({ name: 'global_pool' })
      : parsed.globalPool === 'max' ? tf.layers.globalMaxPooling2d({ name: 'global_pool' })
      : tf.layers.flatten({ name: 'flatten' }),
  );
  parsed.dense.forEach((dense, j) => {
    const name = `dense${j + 1}`;
    layers.push(tf.layers.dense({ name, units: dense.units, activation: dense.activation, kernelInitializer: kernelInitializer() }));
    if (dense.dropout > 0) layers.push(tf.layers.dropout({ name: `${name}_dropout`, rate: dense.dropout }));
  });
  layers.push(tf.layers.dense({ name: 'output', units: nClasses, activation: 'softmax', kernelInitializer: kernelInitializer() }));
  return tf.sequential({ layers, name: 'cnn' });
}

function blockLayers(block: BlockSpec, name: string, kernelInitializer: () => ReturnType<typeof tf.initializers.glorotUniform>): tf.layers.Layer[] {
  const bnBeforeActivation = block.batchNorm && block.batchNormPosition === 'beforeActivation';
  const conv = tf.layers.conv2d({
    name: `${name}_conv`,
    filters: block.filters,
    kernelSize: block.kernelSize,
    strides: block.strides,
    padding: block.padding,
    activation: bnBeforeActivation ? 'linear' : block.activation,
    kernelInitializer: kernelInitializer(),
  });
  const bn = () => tf.layers.batchNormalization({ name: `${name}_bn`, axis: -1, momentum: block.batchNormMomentum });
  const layers: tf.layers.Layer[] = [conv];
  if (bnBeforeActivation) layers.push(bn(), tf.layers.activation({ name: `${name}_act`, activation: block.activation }));
  if (block.batchNorm && block.batchNormPosition === 'afterActivation') layers.push(bn());
  if (block.pool) {
    const args = { name: `${name}_pool`, poolSize: block.pool.size, strides: block.pool.strides, padding: block.pool.padding };
    layers.push(block.pool.type === 'max' ? tf.layers.maxPooling2d(args) : tf.layers.averagePooling2d(args));
  }
  if (block.batchNorm && block.batchNormPosition === 'afterPool') layers.push(bn());
  if (block.dropout > 0) layers.push(tf.layers.dropout({ name: `${name}_dropout`, rate: block.dropout }));
  return layers;
}

/**
 * Compiles `model` with a fresh optimizer from `spec` (parsed, defaults applied). With the
 * default `sparseCategoricalCrossentropy`, labels are class indices shaped [batch] or
 * [batch, 1]; with `categoricalCrossentropy`, one-hot rows [batch, nClasses]. The metric
 * `accuracy` is reported by tfjs as `acc` / `val_acc` in fit histories and logs.
 */
export function compileModel(model: tf.LayersModel, spec: CompileSpec | CompileSpecInput = {}): CompileSpec {
  const parsed = parseSpec(CompileSchema, spec, 'training');
  model.compile({ optimizer: createOptimizer(parsed.optimizer), loss: parsed.loss, metrics: [...parsed.metrics] });
  return parsed;
}

/**
 * A flat, string-valued summary of a CNN spec, fit for tracking params, e.g.
 * `{ type: 'cnn', blocks: '3', block1: 'conv2d 32 3x3/1 same relu > maxpool 2x2/2 valid > bn', ...}`.
 */
export function describeCnn(spec: CnnSpec | CnnSpecInput): Record<string, string> {
  const parsed = parseSpec(CnnSpecSchema, spec);
  const size = (p: readonly number[]) => `${p[0]}x${p[1]}`;
  const out: Record<string, string> = { type: parsed.type, blocks: String(parsed.blocks.length) };
  parsed.blocks.forEach((b, i) => {
    const conv = `${b.type} ${b.filters} ${size(b.kernelSize)}/${size(b.strides)} ${b.padding}`;
    const parts =
      b.batchNorm && b.batchNormPosition === 'beforeActivation' ? [conv, 'bn', b.activation] : [`${conv} ${b.activation}`];
    if (b.batchNorm && b.batchNormPosition === 'afterActivation') parts.push('bn');
    if (b.pool) parts.push(`${b.pool.type}pool ${size(b.pool.size)}/${size(b.pool.strides)} ${b.pool.padding}`);
    if (b.batchNorm && b.batchNormPosition === 'afterPool') parts.push('bn');
    if (b.dropout > 0) parts.push(`dropout ${b.dropout}`);
    out[`block${i + 1}`] = parts.join(' > ');
  });
  out.reduce = parsed.globalPool ? `global ${parsed.globalPool} pool` : 'flatten';
  parsed.dense.forEach((d, j) => {
    out[`dense${j + 1}`] = `${d.units} ${d.activation}${d.dropout > 0 ? ` > dropout ${d.dropout}` : ''}`;
  });
  out.output = 'dense nClasses softmax';
  return out;
}

/** The CNN as a model-registry entry. */
export function cnnFactory(): ModelFactory<CnnSpec> {
  return {
    type: 'cnn',
    schema: CnnSpecSchema,
    build: (spec: CnnSpec, input: ModelBuildInput) => buildCnn(spec, input.inputShape, input.nClasses, { seed: input.seed }),
    describe: describeCnn,
  };
}
