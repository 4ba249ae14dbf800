/**
 * `AudioDataset`: the preprocessed clips of one feature folder as lazy `tf.data` datasets of
 * `{ xs, ys }` batches. Streams the .npy files (only the clip index list lives in memory, so a
 * dataset larger than memory works), normalises with the training split's statistics, shuffles
 * with a seed (a new permutation each epoch, over the whole split, whose size is read from the
 * metadata), and batches. Shapes, class count and sizes all come from metadata.json.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readNpySync } from '../features/npy';
import { MelbookError } from '../errors';
import { seededRandom, shuffled } from './random';
import type { FeatureTransform } from './augment-features';
import { mixupBatch } from './mixup';
import { MANIFEST_FILE, METADATA_FILE, readManifest, readMetadata, type DatasetMetadata, type Manifest, type ManifestEntry } from './manifest';
import type { SplitName } from './split';
import { perUtteranceNormalize, NORMALIZATIONS, type Normalization } from '../features/normalize';

export { NORMALIZATIONS, type Normalization };

/** How a split becomes batches. */
export interface DatasetOptions {
  /** Clips per batch. Default 32. */
  batchSize?: number;
  /** Shuffle the clip order each epoch. Default true for `train`, false otherwise. */
  shuffle?: boolean;
  /** Seed of the shuffle; epoch k uses seed + k. Default 0. */
  seed?: number;
  /** See `NORMALIZATIONS`. Default `global`. */
  normalization?: Normalization;
  /**
   * Clips drawn into the shuffle window, or 0 for the whole split (exact uniform shuffle of the
   * index list; features are still streamed). Default 0.
   */
  shuffleBuffer?: number;
  /**
   * Draw each clip as one of its versions, the original or a perturbed copy (preprocess.augment),
   * uniformly, anew each epoch. Only the training split has this on: default true for `train`
   * and forced off for the others.
   */
  copies?: boolean;
  /**
   * Labels as `index` (`ys` [batch] class indices, for the sparse loss) or `oneHot` (`ys`
   * [batch, classes], for categorical cross-entropy). Default `index`; mixup needs `oneHot`.
   */
  labels?: 'index' | 'oneHot';
  /** mixup of each training batch with Beta(alpha, alpha) weights; 0 is off. Train split only, needs `labels: oneHot`. Default 0. */
  mixupAlpha?: number;
  /** Transform applied to each clip's features (training-time augmentation). Train split only. Default none. */
  transform?: FeatureTransform;
  /**
   * Index of the first epoch this dataset iterates. Every random draw of epoch k depends on
   * `seed` and k only, so a training resumed after k epochs passes k and continues the same
   * streams. Default 0.
   */
  firstEpoch?: number;
}

type Resolved = Required<Omit<DatasetOptions, 'transform'>> & Pick<DatasetOptions, 'transform'>;

/**
 * A batch: `xs` [batch, ...inputShape] float32, `ys` [batch] class indices as float32 (what
 * tfjs's sparse cross-entropy takes), or [batch, classes] with `labels: 'oneHot'`.
 */
export interface Batch extends tf.TensorContainerObject {
  xs: tf.Tensor;
  /** Class indices `[batch]` (labels: 'index'), or one-hot or mixup rows `[batch, classes]` (labels: 'oneHot'). */
  ys: tf.Tensor1D | tf.Tensor2D;
}

export class AudioDataset {
  readonly metadata: DatasetMetadata;
  readonly manifest: Manifest;

  private constructor(readonly featureDir: string, metadata: DatasetMetadata, manifest: Manifest) {
    this.metadata = metadata;
    this.manifest = manifest;
  }

  /**
   * The dataset of a preprocess call, from the manifest and metadata it returned (not re-read
   * from disk, where a concurrent run with another split may have replaced them).
   */
  static fromPreprocess(result: { featureDir: string; metadata: DatasetMetadata; manifest: Manifest }): AudioDataset {
    return new AudioDataset(result.featureDir, result.metadata, result.manifest);
  }

  /** Open the feature folder written by `melbook preprocess`. */
  static open(featureDir: string): AudioDataset {
    const metadata = readMetadata(join(featureDir, METADATA_FILE));
    const manifest = readManifest(join(featureDir, MANIFEST_FILE));
    if (manifest.featureKey !== metadata.featureKey) {
      throw new MelbookError(`${featureDir}: manifest.json and metadata.json come from different runs (${manifest.featureKey} vs ${metadata.featureKey}); run \`npx melbook preprocess\` again`);
    }
    return new AudioDataset(featureDir, metadata, manifest);
  }

  get inputShape(): number[] {
    return this.metadata.inputShape;
  }

  get classNames(): string[] {
    return this.metadata.classNames;
  }

  /** Manifest entries of one split, in manifest order. */
  entries(split: SplitName): ManifestEntry[] {
    return this.manifest.entries.filter((e) => e.split === split);
  }

  /**
   * The clip's audio file, or undefined when it is gone: the manifest's `source` (relative to
   * the folder preprocess ran in), else the clip id under the metadata's absolute `recordingsDir`.
   */
  sourceOf(entry: ManifestEntry): string | undefined {
    if (existsSync(entry.source)) return entry.source;
    const dir = this.metadata.recordingsDir;
    const underRoot = dir ? join(dir, entry.id) : undefined;
    return underRoot && existsSync(underRoot) ? underRoot : undefined;
  }

  /** Number of clips in a split, from the metadata. */
  size(split: SplitName): number {
    return this.metadata.counts.bySplit[split];
  }

  /** Batches per epoch for a split. */
  batchesPerEpoch(split: SplitName, batchSize = 32): number {
    return Math.ceil(this.size(split) / batchSize);
  }

  /** One clip's features, normalised, as a Float32Array of the input size. */
  readClip(entry: ManifestEntry, normalization: Normalization = 'global', file: string = entry.feature): Float32Array {
    const { data, shape } = readNpySync(join(this.featureDir, file));
    const expected = this.metadata.featureShape;
    if (shape.length !== expected.length || shape.some((d, i) => d !== expected[i])) {
      throw new MelbookError(`${join(this.featureDir, file)}: shape [${shape}] differs from metadata.featureShape [${expected}]; run \`npx melbook preprocess\` again`);
    }
    return normalizeClip(data, normalization, this.metadata);
  }

  /** A lazy dataset of `{ xs, ys }` batches for one split. */
  dataset(split: SplitName, options: DatasetOptions = {}): tf.data.Dataset<Batch> {
    const opts = this.resolve(split, options);
    const entries = this.entries(split);
    if (entries.length === 0) throw new MelbookError(`${this.featureDir}: the ${split} split is empty; check the split section of the config`);
    const inputShape = this.inputShape;
    const clipSize = inputShape.reduce((a, b) => a * b, 1);
    const classes = this.classNames.length;
    if (opts.mixupAlpha > 0 && opts.labels !== 'oneHot') throw new MelbookError(`mixup mixes labels: open the dataset with labels: 'oneHot' (and train with categoricalCrossentropy)`);
    let epoch = opts.firstEpoch;
    const generator = () => {
      const random = seededRandom(opts.seed + epoch * 7919);
      const order = opts.shuffle ? shuffleOrder(entries, random, opts.shuffleBuffer) : entries;
      epoch += 1;
      let next = 0;
      return {
        next: (): IteratorResult<Batch> => {
          if (next >= order.length) return { done: true, value: undefined };
          const chunk = order.slice(next, next + opts.batchSize);
          next += chunk.length;
          const xs = new Float32Array(chunk.length * clipSize);
          const ys = new Float32Array(chunk.length);
          chunk.forEach((entry, k) => {
            // A training clip with precomputed perturbed copies is drawn as one of its versions.
            const versions = opts.copies ? entry.copies?.length ?? 0 : 0;
            const pick = versions > 0 ? Math.floor(random() * (versions + 1)) : 0;
            let clip = this.readClip(entry, opts.normalization, pick === 0 ? entry.feature : entry.copies![pick - 1]);
            if (opts.transform) clip = opts.transform(clip, entry, random);
            xs.set(clip, k * clipSize);
            ys[k] = entry.labelIndex;
          });
          if (opts.labels === 'index') {
            return { done: false, value: { xs: tf.tensor(xs, [chunk.length, ...inputShape], 'float32'), ys: tf.tensor1d(ys, 'float32') } };
          }
          const mixed = opts.mixupAlpha > 0 ? mixupBatch(xs, ys, classes, opts.mixupAlpha, random) : { xs, ys: oneHotRows(ys, classes) };
          return { done: false, value: { xs: tf.tensor(mixed.xs, [chunk.length, ...inputShape], 'float32'), ys: tf.tensor2d(mixed.ys, [chunk.length, classes], 'float32') } };
        },
      };
    };
    return tf.data.generator(generator);
  }

  /** Every clip of a split in memory, in manifest order (evaluation, small splits). */
  load(split: SplitName, normalization: Normalization = 'global'): { xs: tf.Tensor; ys: tf.Tensor1D; entries: ManifestEntry[] } {
    const entries = this.entries(split);
    const clipSize = this.inputShape.reduce((a, b) => a * b, 1);
    const xs = new Float32Array(entries.length * clipSize);
    entries.forEach((e, k) => xs.set(this.readClip(e, normalization), k * clipSize));
    return { xs: tf.tensor(xs, [entries.length, ...this.inputShape]), ys: tf.tensor1d(entries.map((e) => e.labelIndex), 'float32'), entries };
  }

  /** Clips per class and split, rows = classes, as plain records (see classBalanceFrame). */
  classBalance(): { class: string; train: number; validation: number; test: number; total: number }[] {
    const by = this.metadata.counts.byClass;
    return this.classNames.map((c) => {
      const row = { class: c, train: by.train[c] ?? 0, validation: by.validation[c] ?? 0, test: by.test[c] ?? 0, total: 0 };
      row.total = row.train + row.validation + row.test;
      return row;
    });
  }

  private resolve(split: SplitName, options: DatasetOptions): Resolved {
    return {
      batchSize: options.batchSize ?? 32,
      shuffle: options.shuffle ?? split === 'train',
      seed: options.seed ?? 0,
      normalization: options.normalization ?? 'global',
      shuffleBuffer: options.shuffleBuffer ?? 0,
      copies: split === 'train' ? options.copies ?? true : false,
      labels: options.labels ?? 'index',
      mixupAlpha: split === 'train' ? options.mixupAlpha ?? 0 : 0,
      transform: split === 'train' ? options.transform : undefined,
      firstEpoch: options.firstEpoch ?? 0,
    };
  }
}

/** Class indices as one-hot rows, `[n, classes]` row-major. */
function oneHotRows(labels: Float32Array, classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes);
  labels.forEach((c, k) => (out[k * classes + c] = 1));
  return out;
}

/** One clip's features normalised as `mode` says (see `NORMALIZATIONS`); a new array unless `none`. */
export function normalizeClip(data: Float32Array, mode: Normalization, metadata: Pick<DatasetMetadata, 'normalization' | 'featureShape'>): Float32Array {
  switch (mode) {
    case 'global':
      return normalize(data, metadata);
    case 'utterance':
    case 'utteranceBand': {
      const rows = metadata.featureShape[0] ?? 1;
      return perUtteranceNormalize(data, [rows, data.length / rows], { mode: mode === 'utterance' ? 'global' : 'perRow', epsilon: 1e-5 });
    }
    case 'none':
      return data;
    default:
      throw new MelbookError(`normalization must be one of ${NORMALIZATIONS.join(', ')}, got ${JSON.stringify(mode)}`);
  }
}

/** (x - mean) / std with the training statistics of the metadata; a new array. */
export function normalize(data: Float32Array, metadata: Pick<DatasetMetadata, 'normalization'>): Float32Array {
  const { mean, std } = metadata.normalization;
  const scale = std > 0 ? 1 / std : 1;
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = (data[i] - mean) * scale;
  return out;
}

/**
 * A seeded order: with buffer 0 (or >= n) an exact shuffle; otherwise tf.data-style windowed
 * shuffling, drawing uniformly from a window of `buffer` upcoming clips.
 */
function shuffleOrder<T>(items: readonly T[], random: () => number, buffer: number): T[] {
  if (buffer <= 0 || buffer >= items.length) return shuffled(items, random);
  const window: T[] = items.slice(0, buffer);
  const out: T[] = [];
  let next = buffer;
  while (window.length > 0) {
    const k = Math.floor(random() * window.length);
    out.push(window[k]);
    if (next < items.length) window[k] = items[next++];
    else window.splice(k, 1);
  }
  return out;
}

/** The class balance as a danfojs DataFrame (danfojs is loaded on first use: it is large). */
export function classBalanceFrame(dataset: AudioDataset): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dfd = require('danfojs') as { DataFrame: new (data: unknown) => unknown };
  return new dfd.DataFrame(dataset.classBalance());
}
