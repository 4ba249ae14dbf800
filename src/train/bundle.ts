/**
 * A saved model bundle: TF.js layers files plus `melbook.json`, everything needed to run the
 * model on raw audio (class names, audio loading, feature parameters, normalisation).
 */
import { join } from 'node:path';
import { z } from 'zod';
import { writeJsonAtomic, readJson, checkStored, NormalizationStatsSchema, type DatasetMetadata } from '../data/manifest';
import { AudioSettingsSchema } from '../audio/settings';
import { FeatureSpecSchema } from '../features/spec';
import { NORMALIZATIONS, type Normalization } from '../features/normalize';
import { StaleBundleError } from '../errors';

export const BUNDLE_FILE = 'melbook.json';

/** melbook.json: everything besides the weights that running the model on raw audio needs. */
export const BundleMetadataSchema = z
  .object({
    version: z.literal(1),
    createdAt: z.string(),
    classNames: z.array(z.string()).min(1),
    inputShape: z.array(z.number().int().positive()).min(1),
    /** How the training clips were loaded; predict loads files the same way. */
    audio: AudioSettingsSchema,
    /** The extractor's describe(): enough to rebuild it with createExtractor. */
    features: FeatureSpecSchema,
    normalization: z.object({ mode: z.enum(NORMALIZATIONS), stats: NormalizationStatsSchema }).strict(),
    bestEpoch: z.number().int(),
    backend: z.string(),
  })
  .strict();
export type BundleMetadata = z.infer<typeof BundleMetadataSchema>;

export function writeBundleMetadata(
  modelDir: string,
  info: { metadata: DatasetMetadata; normalization: Normalization; bestEpoch: number; backend: string },
): BundleMetadata {
  const bundle: BundleMetadata = {
    version: 1,
    createdAt: new Date().toISOString(),
    classNames: info.metadata.classNames,
    inputShape: info.metadata.inputShape,
    audio: info.metadata.audio,
    features: info.metadata.features,
    normalization: { mode: info.normalization, stats: info.metadata.normalization },
    bestEpoch: info.bestEpoch,
    backend: info.backend,
  };
  writeJsonAtomic(join(modelDir, BUNDLE_FILE), bundle);
  return bundle;
}

/** Read and check a bundle's melbook.json; one this version does not write is a StaleBundleError. */
export function readBundleMetadata(modelDir: string): BundleMetadata {
  const file = join(modelDir, BUNDLE_FILE);
  const raw = readJson<unknown>(file, 'model bundle metadata', 'pass a model folder written by `melbook train` (runs/<exp>/<run>/artifacts/model)');
  return checkStored(BundleMetadataSchema, raw, file, (f, problem) => new StaleBundleError(f, problem));
}
