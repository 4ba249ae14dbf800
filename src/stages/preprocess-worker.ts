/**
 * Worker side of preprocessing: one task is a chunk of clips. For each clip: read the bytes,
 * hash them, reuse the existing .npy when the source is unchanged, else run the audio chain
 * (`prepareAudio`: decode, resample, trim silence, pad/trim, as predict does), extract and
 * write the .npy atomically. Returns per-clip results; a bad clip is a
 * result with a reason, never a thrown error, so one file cannot sink a batch.
 */
import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { decodeWav } from '../audio/wav';
import { Resampler } from '../audio/resample';
import { fitLength, type FitLengthOptions } from '../audio/fit';
import { prepareAudio } from '../audio/load';
import { clipLength, type AudioSettings } from '../audio/settings';
import { waveformAugmenter, type AugmentOptions } from '../data/augment';
import { seededRandom } from '../data/random';
import { createExtractor, type Extractor, type ExtractorSpec } from '../features/extractor';
import { readNpySync, writeNpySync } from '../features/npy';
import { rowSums } from '../data/manifest';
import { AudioDecodeError } from '../errors';

export interface PreprocessTask {
  extractor: ExtractorSpec;
  audio: AudioSettings;
  /** Waveform augmentation: `copies` perturbed versions per clip, written to `clips[i].copies`. */
  augment?: { seed: number; speed: AugmentOptions['speed']; noise: AugmentOptions['noise']; pitch?: AugmentOptions['pitch']; formant?: AugmentOptions['formant'] };
  /** `id` seeds the clip's copies; `copies` are their output paths (empty: no augmentation). */
  clips: { id: string; source: string; out: string; copies: string[]; knownSha256?: string }[];
}

export type ClipResult =
  | {
      ok: true;
      reused: boolean;
      sha256: string;
      shape: number[];
      sourceRateHz: number;
      sourceDurationS: number;
      /** Per-row sums and sums of squares of the features, for normalisation statistics. */
      sum: Float64Array;
      sumSq: Float64Array;
    }
  | { ok: false; reason: string };

const extractors = new Map<string, Extractor>();
/** One resampler per worker: each libsamplerate instance costs ~26 MB and ~55 ms to create. */
let resampler: Resampler | undefined;

function extractorFor(spec: ExtractorSpec): Extractor {
  const key = JSON.stringify(spec);
  let extractor = extractors.get(key);
  if (!extractor) {
    extractor = createExtractor(spec);
    extractors.set(key, extractor);
  }
  return extractor;
}

/** Process one chunk; exported as the piscina entry point and callable in-process. */
export default async function processChunk(task: PreprocessTask): Promise<ClipResult[]> {
  const extractor = extractorFor(task.extractor);
  const length = clipLength(task.audio);
  const expectedShape = extractor.outputShape(length);
  const results: ClipResult[] = [];
  for (const clip of task.clips) {
    try {
      results.push(await processClip(clip, task, extractor, length, expectedShape));
    } catch (err) {
      const reason = err instanceof AudioDecodeError ? err.reason : err instanceof Error ? err.message : String(err);
      results.push({ ok: false, reason });
    }
  }
  return results;
}

async function processClip(
  clip: PreprocessTask['clips'][number],
  task: PreprocessTask,
  extractor: Extractor,
  length: number,
  expectedShape: number[],
): Promise<ClipResult> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(clip.source);
  } catch (err) {
    throw new AudioDecodeError(clip.source, `cannot read file (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const decoded = decodeWav(bytes, clip.source);
  const sourceDurationS = decoded.frames / decoded.sampleRateHz;
  if (clip.knownSha256 === sha256 && existsSync(clip.out) && clip.copies.every((c) => existsSync(c))) {
    const cached = tryReadCached(clip.out, expectedShape);
    if (cached) return { ok: true, reused: true, sha256, shape: expectedShape, sourceRateHz: decoded.sampleRateHz, sourceDurationS, ...sums(cached, expectedShape) };
  }
  const { speech, samples } = await prepareAudio(decoded, clip.source, { ...task.audio, resampler: (resampler ??= new Resampler()) });
  const fit = { pad: task.audio.pad, trim: task.audio.trim };
  const features = extractor.extract(samples, task.audio.sampleRateHz);
  // Copies first, the original last: a clip counts as done (journal) only when all its files exist.
  if (clip.copies.length > 0 && task.augment) {
    const waves = await perturbedCopies(speech, clip.id, clip.copies.length, task.augment, { length, fit, resampler: (resampler ??= new Resampler()), rateHz: task.audio.sampleRateHz });
    for (const [j, out] of clip.copies.entries()) {
      const copy = extractor.extract(waves[j], task.audio.sampleRateHz);
      writeNpySync(out, copy.data, copy.shape);
    }
  }
  writeNpySync(clip.out, features.data, features.shape);
  return { ok: true, reused: false, sha256, shape: features.shape, sourceRateHz: decoded.sampleRateHz, sourceDurationS, ...sums(features.data, features.shape) };
}

/**
 * The `count` perturbed copies of one clip's waveform (after silence trimming, before pad/trim),
 * each fitted to `length` samples: what preprocess extracts the copies' features from, and what
 * the dataset notebook plays.
 */
export async function perturbedCopies(
  speech: Float32Array,
  id: string,
  count: number,
  augment: NonNullable<PreprocessTask['augment']>,
  context: { length: number; fit: FitLengthOptions; resampler: Resampler; rateHz?: number },
): Promise<Float32Array[]> {
  const perturb = waveformAugmenter(augment, context);
  const out: Float32Array[] = [];
  for (let j = 0; j < count; j++) out.push(perturb ? await perturb(speech, copyRandom(augment.seed, id, j)) : fitLength(speech, context.length, context.fit));
  return out;
}

/**
 * The random stream of copy `index` of clip `id`: it depends only on the seed, the id and the
 * index (FNV-1a of the three), so a copy is the same whichever worker or chunk makes it.
 */
export function copyRandom(seed: number, id: string, index: number): () => number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (const ch of `${id}#${index}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return seededRandom(h);
}

function tryReadCached(file: string, expectedShape: number[]): Float32Array | undefined {
  try {
    const npy = readNpySync(file);
    return npy.shape.length === expectedShape.length && npy.shape.every((d, i) => d === expectedShape[i]) ? npy.data : undefined;
  } catch {
    return undefined; // a damaged cache file is simply recomputed
  }
}

function sums(data: Float32Array, shape: number[]): { sum: Float64Array; sumSq: Float64Array } {
  const rows = shape[0] ?? 1;
  return rowSums(data, rows, data.length / rows);
}
