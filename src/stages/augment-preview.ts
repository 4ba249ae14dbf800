/**
 * What augmentation does to a clip, for the dataset notebook: the clip as validation and test
 * see it, the same clip after the feature-level augmentation (`training.augment`), and each of
 * its precomputed waveform copies (`preprocess.augment`) with the audio to listen to.
 */
import { AudioDataset } from '../data/dataset';
import { featureAugmenter } from '../data/augment';
import { seededRandom } from '../data/random';
import { prepareAudio, readAudioFile } from '../audio/load';
import { Resampler } from '../audio/resample';
import { clipLength } from '../audio/settings';
import { perturbedCopies } from './preprocess-worker';
import { featureRowBlocks } from '../features/spec';
import type { ManifestEntry } from '../data/manifest';
import type { TrainingConfig } from '../config/schema';

export interface AugmentationPreview {
  entry: ManifestEntry;
  /** `[rows, cols]` of every feature array below. */
  shape: [number, number];
  sampleRateHz: number;
  /** Features as validation and test see them (normalised as `training.normalization` says). */
  original: Float32Array;
  /** After `training.augment` (time shift, SpecAugment) with the preview seed; undefined when it is off. */
  featureAugmented?: Float32Array;
  /** The clip's waveform as preprocess fitted it; undefined when the source file is gone. */
  samples?: Float32Array;
  /** Each precomputed copy: its stored features (normalised) and, with the source at hand, its waveform. */
  copies: { file: string; features: Float32Array; samples?: Float32Array }[];
}

/** The preview of one clip. `seed` drives the feature-level draws (masks, shift). */
export async function augmentationPreview(dataset: AudioDataset, training: Pick<TrainingConfig, 'augment' | 'normalization'>, entry: ManifestEntry, seed = 0): Promise<AugmentationPreview> {
  const meta = dataset.metadata;
  const [rows, cols] = meta.featureShape;
  const shape: [number, number] = [rows, cols ?? 1];
  const original = dataset.readClip(entry, training.normalization);
  const transform = featureAugmenter(training.augment, shape, featureRowBlocks(meta.features));
  const preview: AugmentationPreview = {
    entry, shape, sampleRateHz: meta.audio.sampleRateHz, original,
    featureAugmented: transform ? transform(original, entry, seededRandom(seed)) : undefined,
    copies: (entry.copies ?? []).map((file) => ({ file, features: dataset.readClip(entry, training.normalization, file) })),
  };
  const source = dataset.sourceOf(entry);
  if (source) {
    const { audio } = meta;
    const resampler = new Resampler();
    try {
      const { speech, samples } = await prepareAudio(await readAudioFile(source), source, { ...audio, resampler });
      preview.samples = samples;
      if (meta.augment && preview.copies.length > 0) {
        const waves = await perturbedCopies(speech, entry.id, preview.copies.length, meta.augment, { length: clipLength(audio), fit: audio, resampler, rateHz: audio.sampleRateHz });
        preview.copies.forEach((c, j) => (c.samples = waves[j]));
      }
    } finally {
      resampler.dispose();
    }
  }
  return preview;
}
