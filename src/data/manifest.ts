/**
 * What preprocessing leaves for the later stages: `manifest.json` (one entry per clip) and
 * `metadata.json` (shapes, classes, counts, feature parameters, normalisation statistics).
 * Later stages read sizes and shapes from here, never from constants.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomicSync } from '../atomic-write';
import { MelbookError, StaleMetadataError } from '../errors';
import type { SplitName } from './split';
import { AudioSettingsSchema } from '../audio/settings';
import { FeatureSpecSchema } from '../features/spec';
import { PreprocessSchema, SplitSchema } from '../config/schema';

/** `preprocess.augment` with `pitch` and `formant` optional: metadata written before them lacks them, and they are written only when on. */
function storedAugmentSchema() {
  const augment = PreprocessSchema.shape.augment.removeDefault();
  return augment.extend({ pitch: augment.shape.pitch.removeDefault().optional(), formant: augment.shape.formant.removeDefault().optional() });
}

export const MANIFEST_FILE = 'manifest.json';
export const METADATA_FILE = 'metadata.json';
export const REPORT_FILE = 'preprocess-report.json';

/** One clip in the manifest. */
export interface ManifestEntry {
  /** Path relative to the recordings folder, `/`-separated: the clip's id. */
  id: string;
  /** Source audio path as read (relative to the working directory when given so). */
  source: string;
  label: string;
  /** Index of `label` in metadata.classNames. */
  labelIndex: number;
  speaker: string;
  take: number | null;
  split: SplitName;
  /** Feature array file, relative to the feature folder. */
  feature: string;
  /** Shape of the feature array, e.g. [64, 63]. */
  shape: number[];
  /** sha256 of the source file's bytes (hex). */
  sourceSha256: string;
  /** Sample rate of the source file in Hz. */
  sourceRateHz: number;
  /** Duration of the source before pad/trim, seconds. */
  sourceDurationS: number;
  /**
   * Feature files of the clip's perturbed copies (preprocess.augment), relative to the feature
   * folder; absent without waveform augmentation. Only the training split ever reads them.
   */
  copies?: string[];
}

export interface Manifest {
  version: 1;
  featureKey: string;
  entries: ManifestEntry[];
}

/** Global and per-row (per mel band) statistics of the training split's features. */
export const NormalizationStatsSchema = z
  .object({
    /** Which split they come from: always `train`. */
    split: z.literal('train'),
    /** Number of values summed. */
    count: z.number().int().nonnegative(),
    mean: z.number(),
    std: z.number(),
    /** Per first-axis row (e.g. per mel band), over all frames of all training clips. */
    rowMean: z.array(z.number()),
    rowStd: z.array(z.number()),
  })
  .strict();
export type NormalizationStats = z.infer<typeof NormalizationStatsSchema>;

const SkippedClipSchema = z.object({ file: z.string(), reason: z.string() }).strict();
export type SkippedClip = z.infer<typeof SkippedClipSchema>;

const perSplit = <T extends z.ZodTypeAny>(value: T) => z.object({ train: value, validation: value, test: value }).strict();
const shape = z.array(z.number().int().positive()).min(1);

/** metadata.json: what preprocess leaves for the later stages. */
export const DatasetMetadataSchema = z
  .object({
    version: z.literal(1),
    createdAt: z.string(),
    featureKey: z.string().min(1),
    /** Full parameter set of the extractor (its describe()). */
    features: FeatureSpecSchema,
    /** Audio loading settings used before extraction. */
    audio: AudioSettingsSchema,
    /**
     * Absolute path of the recordings folder preprocess read; entry ids are relative to it. Lets
     * notebooks find a clip's audio whatever folder they run in. Optional: without it a clip is
     * found only through its manifest `source`, relative to the folder preprocess ran in.
     */
    recordingsDir: z.string().optional(),
    /** Waveform augmentation that made each entry's `copies` (preprocess.augment); absent when off. */
    // The voice changes (pitch, formant) are stored only when on (see StoredAugment in stages/preprocess.ts).
    augment: storedAugmentSchema().optional(),
    /** Shape of one feature array, e.g. [64, 63]. */
    featureShape: shape,
    /** Model input shape: featureShape plus a channel axis, e.g. [64, 63, 1]. */
    inputShape: shape,
    classNames: z.array(z.string()),
    speakers: z.array(z.string()),
    counts: z
      .object({ total: z.number().int().nonnegative(), bySplit: perSplit(z.number().int().nonnegative()), byClass: perSplit(z.record(z.number())) })
      .strict(),
    /** The `split` section of the config the splits were drawn with. */
    split: SplitSchema,
    normalization: NormalizationStatsSchema,
    skipped: z.array(SkippedClipSchema),
  })
  .strict();
export type DatasetMetadata = z.infer<typeof DatasetMetadataSchema>;

/**
 * Check JSON that melbook wrote earlier against the schema this version writes; a mismatch is
 * `stale(file, problem)`, an error that says how to write the file afresh.
 */
export function checkStored<S extends z.ZodTypeAny>(schema: S, value: unknown, file: string, stale: (file: string, problem: string) => Error): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw stale(file, `${issue.path.join('.') || '(root)'}: ${issue.message}`);
}

/** Write JSON atomically: a temporary file in the same folder, then rename. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomicSync(path, JSON.stringify(value, null, 2) + '\n', { mkdir: true });
}

/** Read a JSON file written by melbook, with an error that names the file and the fix. */
export function readJson<T>(path: string, what: string, fix = 'run `npx melbook preprocess` first'): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new MelbookError(`${path}: cannot read the ${what} (${(err as NodeJS.ErrnoException).code ?? 'error'}); ${fix}`, { cause: err });
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new MelbookError(`${path}: the ${what} is not valid JSON; ${fix}`, { cause: err });
  }
}

export function readManifest(path: string): Manifest {
  return readJson<Manifest>(path, 'manifest');
}

/** Read and check a metadata.json; one this version does not write is a StaleMetadataError. */
export function readMetadata(path: string): DatasetMetadata {
  return checkStored(DatasetMetadataSchema, readJson<unknown>(path, 'dataset metadata'), path, (file, problem) => new StaleMetadataError(file, problem));
}

/** Accumulates sums of features row by row, in float64, to give mean and std. */
export class StatsAccumulator {
  private sum: Float64Array;
  private sumSq: Float64Array;
  private perRowCount = 0;
  constructor(readonly rows: number) {
    this.sum = new Float64Array(rows);
    this.sumSq = new Float64Array(rows);
  }

  /** Add pre-summed rows (from a worker): `sum[r]`, `sumSq[r]` over `cols` values each. */
  addSums(sum: ArrayLike<number>, sumSq: ArrayLike<number>, cols: number): void {
    for (let r = 0; r < this.rows; r++) {
      this.sum[r] += sum[r];
      this.sumSq[r] += sumSq[r];
    }
    this.perRowCount += cols;
  }

  result(): NormalizationStats {
    const n = this.perRowCount;
    let total = 0;
    let totalSq = 0;
    const rowMean: number[] = [];
    const rowStd: number[] = [];
    for (let r = 0; r < this.rows; r++) {
      total += this.sum[r];
      totalSq += this.sumSq[r];
      const m = n > 0 ? this.sum[r] / n : 0;
      rowMean.push(m);
      rowStd.push(n > 1 ? Math.sqrt(Math.max(0, (this.sumSq[r] - n * m * m) / (n - 1))) : 0);
    }
    const count = n * this.rows;
    const mean = count > 0 ? total / count : 0;
    const std = count > 1 ? Math.sqrt(Math.max(0, (totalSq - count * mean * mean) / (count - 1))) : 0;
    return { split: 'train', count, mean, std, rowMean, rowStd };
  }
}

/** Per-row sum and sum of squares of a row-major [rows, cols] array. */
export function rowSums(data: Float32Array, rows: number, cols: number): { sum: Float64Array; sumSq: Float64Array } {
  const sum = new Float64Array(rows);
  const sumSq = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    let q = 0;
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      const v = data[base + c];
      s += v;
      q += v * v;
    }
    sum[r] = s;
    sumSq[r] = q;
  }
  return { sum, sumSq };
}
