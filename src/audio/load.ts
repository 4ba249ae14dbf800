/**
 * One call from a file name to model-ready samples: read, decode, resample, cut silence, pad/trim.
 */
import { readFile } from 'node:fs/promises';
import { AudioDecodeError, MelbookError } from '../errors';
import { fitLength, type PadMode, type TrimMode } from './fit';
import { resample, type ResampleQuality, type Resampler } from './resample';
import { decodeWav } from './wav';
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

/** Read a WAV file and return mono samples at the requested rate and duration. */
export async function loadAudio(file: string, options: LoadAudioOptions): Promise<LoadedAudio> {
  const { sampleRateHz, durationS } = options;
  if (durationS !== undefined && !(Number.isFinite(durationS) && durationS >= 0)) {
    throw new MelbookError(`loadAudio: durationS must be a non-negative number of seconds, got ${durationS}`);
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AudioDecodeError(file, `cannot read file (${code ?? (err instanceof Error ? err.message : String(err))})`, { cause: err });
  }
  const decoded = decodeWav(bytes, file);
  const atRate = await resample(decoded.samples, decoded.sampleRateHz, sampleRateHz, {
    quality: options.quality,
    resampler: options.resampler,
  });
  const speech = options.trimSilence ? trimSilence(atRate, options.trimSilence) : atRate;
  const samples =
    durationS === undefined
      ? speech
      : fitLength(speech, Math.round(durationS * sampleRateHz), { pad: options.pad, trim: options.trim });
  return { samples, sampleRateHz, sourceRateHz: decoded.sampleRateHz, sourceFrames: decoded.frames, channels: decoded.channels };
}
