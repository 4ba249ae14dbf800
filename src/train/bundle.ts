/**
 * A saved model bundle: TF.js layers files plus `melbook.json`, everything needed to run the
 * model on raw audio (class names, audio loading, feature parameters, normalisation).
 */
import { join } from 'node:path';
import { writeJsonAtomic, readJson, type DatasetMetadata, type NormalizationStats } from '../data/manifest';
import type { Normalization } from '../data/dataset';

export const BUNDLE_FILE = 'melbook.json';

export interface BundleMetadata {
  version: 1;
  createdAt: string;
  classNames: string[];
  inputShape: number[];
  audio: DatasetMetadata['audio'];
  /** The extractor's describe(): enough to rebuild it with createExtractor. */
  features: Record<string, unknown>;
  normalization: { mode: Normalization; stats: NormalizationStats };
  bestEpoch: number;
  backend: string;
}

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

export function readBundleMetadata(modelDir: string): BundleMetadata {
  return readJson<BundleMetadata>(join(modelDir, BUNDLE_FILE), 'model bundle metadata', 'pass a model folder written by `melbook train` (runs/<exp>/<run>/artifacts/model)');
}
