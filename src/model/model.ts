/**
 * The seam between training and architectures: a `ModelFactory` per model `type`, a registry
 * of them, and `buildModel`, so an architecture can be added (a schema in spec.ts's
 * ModelSpecSchema plus a factory, see factory.ts) without touching training code.
 */
import type * as tf from '@tensorflow/tfjs';
import { ModelSpecError } from '../errors';
import { cnnFactory } from './cnn';
import type { ModelFactory } from './factory';
import { disposeOptimizer } from './optimizer';
import { parseSpec, type ModelSpec, type ModelSpecInput } from './spec';

/** Factories keyed by model `type`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ModelRegistry = ReadonlyMap<string, ModelFactory<any>>;

/** A new registry with every built-in architecture (`cnn`). Callers may copy and extend it. */
export function defaultModelRegistry(): Map<string, ModelFactory<ModelSpec>> {
  const factories: ModelFactory<ModelSpec>[] = [cnnFactory()];
  return new Map(factories.map((f) => [f.type, f]));
}

/** The factory for `type`, or ModelSpecError at `model.type` listing the known types. */
export function getModelFactory(registry: ModelRegistry, type: string): ModelFactory<{ type: string }> {
  const factory = registry.get(type);
  if (!factory) {
    const known = [...registry.keys()].map((k) => JSON.stringify(k)).join(', ');
    throw new ModelSpecError('model.type', `unknown model type ${JSON.stringify(type)}; known types: ${known}`);
  }
  return factory;
}

/**
 * Builds the model a spec describes. The spec may be as written (it is parsed with its
 * factory's schema, so unknown keys and bad values throw ModelSpecError with the field path).
 */
export function buildModel(
  spec: ModelSpec | ModelSpecInput,
  inputShape: readonly number[],
  nClasses: number,
  options: { seed?: number; registry?: ModelRegistry } = {},
): tf.LayersModel {
  const { factory, parsed } = resolve(spec, options.registry);
  return factory.build(parsed, { inputShape, nClasses, seed: options.seed });
}

/** The flat summary of a spec from its factory (see ModelFactory.describe). */
export function describeModel(spec: ModelSpec | ModelSpecInput, registry?: ModelRegistry): Record<string, string> {
  const { factory, parsed } = resolve(spec, registry);
  return factory.describe(parsed);
}

/**
 * Frees a model's weights and, when compiled with an optimizer object (as compileModel does),
 * that optimizer's slot variables, which LayersModel.dispose() leaves alive.
 */
export function disposeModel(model: tf.LayersModel): void {
  const optimizer = model.optimizer as tf.Optimizer | undefined;
  // isOptimizerOwned is internal to LayersModel: true when compile() created the optimizer from a name.
  const ownsOptimizer = (model as unknown as { isOptimizerOwned?: boolean }).isOptimizerOwned === true;
  model.dispose();
  if (optimizer && !ownsOptimizer) disposeOptimizer(optimizer);
}

function resolve(spec: unknown, registry: ModelRegistry = defaultModelRegistry()) {
  const type = typeof spec === 'object' && spec !== null ? (spec as { type?: unknown }).type : undefined;
  if (typeof type !== 'string') {
    const known = [...registry.keys()].map((k) => JSON.stringify(k)).join(', ');
    throw new ModelSpecError('model.type', `missing or not a string (got ${JSON.stringify(type)}); known types: ${known}`);
  }
  const factory = getModelFactory(registry, type);
  return { factory, parsed: parseSpec(factory.schema, spec) };
}
