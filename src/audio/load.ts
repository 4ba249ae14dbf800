/**
 * The one audio chain of melbook: bytes -> decoded -> mono -> resampled -> silence-trimmed ->
 * fitted. Preprocessing, the augmentation preview and `melbook predict` all go through
 * `prepareAudio`, so the samples a model is trained on and the samples it classifies come from
 * the same code. `loadAudio` is the same chain starting from a file name.
 */
import { readFile } from 'node:fs/promises';
import { AudioDecodeError, MelbookError } from '../errors';
import { fitLength, type PadMode, type TrimMode } from './fit';
import { resample, type ResampleQuality, type Resampler } from './resample';
import { decodeWav, type DecodedAudio } from './wav';
import { trimSilence, type TrimSilenceOptions } from './silence';

export interface LoadAudioOptions {
  /** Target sample rate, Hz; the file is resampled when its own rate differs. Required. */
  sampleRateHz: number;
  /**
   * Pad or trim to round(durationS * sampleRateHz) samples, seconds. Default: undefined, which
   * keeps the full length.
   */
  durationS?: number;
  /** Where the zeros go when the clip is short (see `fitLength`). Default 'end'. */
  pad?: PadMode;
  /** Which part of a long clip is kept (see `fitLength`). Default 'start'. */
  trim?: TrimMode;
  /** Cut leading and trailing silence before pad/trim (see `trimSilence`). Default: keep it. */
  trimSilence?: TrimSilenceOptions;
  /** Resampling quality (see `resample`). Default 'medium'. */
  quality?: ResampleQuality;
  /**
   * Reuse this resampler's WASM instance; pass one when loading many files at other rates,
   * creating a converter per file costs ~50 ms. Default: none (one per call when needed).
   */
  resampler?: Resampler;
}

export interface LoadedAudio {
  /** Mono samples at `sampleRateHz`; length round(durationS * sampleRateHz) when durationS is set. */
  samples: Float32Array;
  /** Rate of `samples`, Hz (the requested one). */
  sampleRateHz: number;
  /** Rate stored in the file, Hz. */
  sourceRateHz: number;
  /** Frames in the file, before resampling and padding/trimming. */
  sourceFrames: number;
  /** Channels in the file (averaged into `samples`). */
  channels: number;
}

/** Every step's result of `prepareAudio` that a caller uses. */
export interface PreparedAudio extends LoadedAudio {
  /** The decoded file (mono: channels averaged), at its own rate. */
  decoded: DecodedAudio;
  /**
   * Mono at `sampleRateHz` with silence cut, before pad/trim: what waveform augmentation
   * (speed, noise) perturbs before fitting its copies to the clip length.
   */
  speech: Float32Array;
}

/**
 * Run the audio chain on a WAV file's bytes, or on the file already decoded by `decodeWav`
 * (preprocess decodes first to check its cache). `file` names the source in errors. A file
 * without samples is an AudioDecodeError: there is nothing to train on or classify.
 */
export async function prepareAudio(source: Uint8Array | DecodedAudio, file: string, options: LoadAudioOptions): Promise<PreparedAudio> {
  checkDuration(options.durationS);
  const decoded = source instanceof Uint8Array ? decodeWav(source, file) : source;
  if (decoded.frames === 0) throw new AudioDecodeError(file, 'no audio samples (empty data chunk)');
  const { sampleRateHz, durationS } = options;
  const atRate = await resample(decoded.samples, decoded.sampleRateHz, sampleRateHz, { quality: options.quality, resampler: options.resampler });
  const speech = options.trimSilence ? trimSilence(atRate, options.trimSilence) : atRate;
  const samples = durationS === undefined ? speech : fitLength(speech, Math.round(durationS * sampleRateHz), { pad: options.pad, trim: options.trim });
  return { decoded, speech, samples, sampleRateHz, sourceRateHz: decoded.sampleRateHz, sourceFrames: decoded.frames, channels: decoded.channels };
}

/** Read a WAV file and return mono samples at the requested rate and duration (`prepareAudio`). */
export async function loadAudio(file: string, options: LoadAudioOptions): Promise<LoadedAudio> {
  checkDuration(options.durationS);
  const { samples, sampleRateHz, sourceRateHz, sourceFrames, channels } = await prepareAudio(await readAudioFile(file), file, options);
  return { samples, sampleRateHz, sourceRateHz, sourceFrames, channels };
}

/** A file's bytes, or an AudioDecodeError that names the file and the errno. */
export async function readAudioFile(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AudioDecodeError(file, `cannot read file (${code ?? (err instanceof Error ? err.message : String(err))})`, { cause: err });
  }
}

function checkDuration(durationS: number | undefined): void {
  if (durationS !== undefined && !(Number.isFinite(durationS) && durationS >= 0)) {
    throw new MelbookError(`loadAudio: durationS must be a non-negative number of seconds, got ${durationS}`);
  }
}
