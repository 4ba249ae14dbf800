/**
 * The whole pipeline's configuration: one YAML file (config/default.yaml documents every key).
 * Sections: data, features, split, preprocess, model, training (with the optimizer, loss and
 * metrics), evaluation, tracking.
 */
import { z } from 'zod';
import { DataSchema, EvaluationSchema, FeaturesSchema, PreprocessSchema, SplitSchema, TrackingSchema, TrainingSchema } from './schema';
import { ModelSpecSchema, CompileSchema, type ModelSpecInput } from '../model/spec';
import { loadConfigFile, validate, type LoadConfigOptions } from './load';

/** The seed assignment's network, used when a config has no `model` section. */
export const SEED_MODEL: ModelSpecInput = {
  type: 'cnn',
  blocks: [1, 2, 3].map(() => ({ type: 'conv2d', filters: 32, kernelSize: 3, padding: 'same', activation: 'relu', pool: { type: 'max', size: 2 }, batchNorm: true })),
  dense: [{ units: 64, activation: 'relu', dropout: 0.3 }],
};

export const PipelineConfigSchema = z
  .object({
    data: DataSchema.default({}),
    features: FeaturesSchema.default({ kind: 'mel' }),
    split: SplitSchema.default({}),
    preprocess: PreprocessSchema.default({}),
    model: ModelSpecSchema.default(SEED_MODEL),
    training: TrainingSchema.merge(CompileSchema).default({}),
    evaluation: EvaluationSchema.default({}),
    tracking: TrackingSchema.default({}),
  })
  .strict();

export type PipelineConfig = z.output<typeof PipelineConfigSchema>;
export type PipelineConfigInput = z.input<typeof PipelineConfigSchema>;

/** Load and validate a pipeline config file, with `--set` overrides. */
export function loadPipelineConfig(file: string, options: LoadConfigOptions = {}): PipelineConfig {
  return loadConfigFile(file, PipelineConfigSchema, options);
}

/** Validate a config object built in code (a notebook, a test). */
export function pipelineConfig(raw: PipelineConfigInput = {}): PipelineConfig {
  return validate(raw, PipelineConfigSchema);
}
