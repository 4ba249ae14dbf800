/**
 * What an architecture provides to the model registry (model.ts): its spec schema, a builder and
 * a summary. Kept apart from the registry so each architecture (cnn.ts) can implement it without
 * importing the registry that lists it.
 */
import type * as tf from '@tensorflow/tfjs';
import type { z } from 'zod';

/** What every architecture is built for. */
export interface ModelBuildInput {
  /** One example's shape, without the batch axis: [height, width, channels] = [nMels, nFrames, 1]. */
  inputShape: readonly number[];
  /** Number of classes of the softmax output (>= 2). */
  nClasses: number;
  /** Seed of weight initialisation. Default: unseeded. */
  seed?: number;
}

/** One architecture. `S` is its parsed spec, whose `type` is the registry key. */
export interface ModelFactory<S extends { type: string }> {
  readonly type: S['type'];
  /** The YAML-facing schema of the spec (strict, defaults applied on parse). */
  readonly schema: z.ZodType<S, z.ZodTypeDef, unknown>;
  /** A new, uncompiled model; throws ModelSpecError for a spec that cannot fit the input. */
  build(spec: S, input: ModelBuildInput): tf.LayersModel;
  /** A flat string summary for tracking params. */
  describe(spec: S): Record<string, string>;
}
