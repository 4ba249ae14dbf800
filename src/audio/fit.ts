/**
 * Pad or trim a clip to a fixed number of samples, so every clip yields features of one shape.
 * Padding is zeros (silence). The defaults match the PyTorch reference
 * (`../shared/bench/torch_fsdd.py` next to the project: `w[:N]`, then zeros on the right).
 */
import { MelbookError } from '../errors';

/** Where zeros go when a clip is too short, from one list so the union cannot drift. */
export const PAD_MODES = ['end', 'center', 'start'] as const;
export type PadMode = (typeof PAD_MODES)[number];
/** Which part of a too-long clip is kept. */
export const TRIM_MODES = ['start', 'center', 'end'] as const;
export type TrimMode = (typeof TRIM_MODES)[number];
/** Defaults of `FitLengthOptions`, declared once: zeros after the audio, the start kept (the PyTorch reference). */
export const FIT_DEFAULTS = { pad: 'end', trim: 'start' } as const satisfies Required<FitLengthOptions>;

export interface FitLengthOptions {
  /**
   * Where the zeros go when the clip is shorter than `length`: 'end' (after the audio),
   * 'start' (before it) or 'center' (split, the extra sample of an odd split after the audio).
   * Default 'end'.
   */
  pad?: PadMode;
  /**
   * Which `length` samples to keep when the clip is longer: 'start' (the first), 'end' (the last)
   * or 'center' (the middle; an odd surplus drops the extra sample at the end). Default 'start'.
   */
  trim?: TrimMode;
}

/**
 * @returns a new Float32Array of exactly `length` samples (always a copy, even when
 *   `samples.length === length`, so callers may write to it).
 */
export function fitLength(samples: Float32Array, length: number, options: FitLengthOptions = {}): Float32Array {
  const pad = options.pad ?? FIT_DEFAULTS.pad;
  const trim = options.trim ?? FIT_DEFAULTS.trim;
  if (!Number.isInteger(length) || length < 0) {
    throw new MelbookError(`fitLength: length must be a non-negative integer number of samples, got ${length}`);
  }
  if (!PAD_MODES.includes(pad)) throw new MelbookError(`fitLength: pad must be one of ${PAD_MODES.join(', ')}, got ${JSON.stringify(pad)}`);
  if (!TRIM_MODES.includes(trim)) throw new MelbookError(`fitLength: trim must be one of ${TRIM_MODES.join(', ')}, got ${JSON.stringify(trim)}`);

  const n = samples.length;
  if (n >= length) {
    const surplus = n - length;
    const start = trim === 'start' ? 0 : trim === 'end' ? surplus : Math.floor(surplus / 2);
    return samples.slice(start, start + length);
  }
  const missing = length - n;
  const before = pad === 'end' ? 0 : pad === 'start' ? missing : Math.floor(missing / 2);
  const out = new Float32Array(length);
  out.set(samples, before);
  return out;
}
