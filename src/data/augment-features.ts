/**
 * Feature-level augmentation, on a row-major `[rows, cols]` = `[nMels, nFrames]` matrix after
 * normalisation: SpecAugment masks, time shift and frequency warp, as pure seeded functions.
 * Each takes its randomness from a `Random` in [0, 1), returns a NEW Float32Array and never
 * writes to its input, so the same seed gives the same clip on every machine.
 */
import { MelbookError } from '../errors';
import { checkFeatureShape, type FeatureShape } from '../features/normalize';
import type { ManifestEntry } from './manifest';
import type { Random } from './random';

/** One clip in, a new clip of the same length out. */
export type ClipTransform = (x: Float32Array, random: Random) => Float32Array;
/** The dataset's per-clip `transform` hook: features of one training clip in, new features out. */
export type FeatureTransform = (features: Float32Array, entry: ManifestEntry, random: Random) => Float32Array;

/** A uniform integer in [lo, hi] (both inclusive). */
function uniformInt(random: Random, lo: number, hi: number): number {
  return lo + Math.min(hi - lo, Math.floor(random() * (hi - lo + 1)));
}

// ---------------------------------------------------------------- SpecAugment

export interface SpecAugmentOptions {
  /** Frequency masks per clip. Default 0 (off). */
  freqMasks?: number;
  /** Largest frequency mask, in mel bands; each width is drawn uniformly from 0..this. Default 0. */
  freqMaskWidth?: number;
  /** Time masks per clip. Default 0 (off). */
  timeMasks?: number;
  /** Largest time mask, in frames; each width is drawn uniformly from 0..this. Default 0. */
  timeMaskWidth?: number;
  /** Value written into masked cells, in feature units. Default 0 (the mean, after normalisation). */
  maskValue?: number;
}

/** A run of `width` rows (frequency) or columns (time) starting at `start`. */
export interface Mask {
  start: number;
  width: number;
}

/**
 * Draw SpecAugment masks (Park et al. 2019, "SpecAugment", section 2): for each frequency mask a
 * width f uniform in 0..F and a first band f0 uniform in 0..rows-f; the same along time with T.
 * Widths larger than the matrix are cut to it. Draws frequency masks first, then time masks,
 * two numbers per mask. (The paper's time-warping and its cap of p * frames on time masks are not
 * implemented.)
 */
export function drawSpecAugmentMasks(shape: FeatureShape, random: Random, options: SpecAugmentOptions = {}): { freq: Mask[]; time: Mask[] } {
  const [rows, cols] = shape;
  const draw = (count: number, maxWidth: number, size: number, what: string): Mask[] => {
    checkCount(`specAugment: ${what}Masks`, count);
    checkCount(`specAugment: ${what}MaskWidth`, maxWidth);
    return Array.from({ length: count }, () => {
      const width = Math.min(size, uniformInt(random, 0, maxWidth));
      return { start: uniformInt(random, 0, size - width), width };
    });
  };
  return {
    freq: draw(options.freqMasks ?? 0, options.freqMaskWidth ?? 0, rows, 'freq'),
    time: draw(options.timeMasks ?? 0, options.timeMaskWidth ?? 0, cols, 'time'),
  };
}

/** A copy of `x` with the given bands (whole rows) and frames (whole columns) set to `value`. */
export function applyMasks(x: Float32Array, shape: FeatureShape, masks: { freq: readonly Mask[]; time: readonly Mask[] }, value = 0): Float32Array {
  checkFeatureShape('applyMasks', x.length, shape);
  const [, cols] = shape;
  const out = x.slice();
  for (const { start, width } of masks.freq) out.fill(value, start * cols, (start + width) * cols);
  for (const { start, width } of masks.time) {
    for (let row = 0; row < out.length; row += cols) out.fill(value, row + start, row + start + width);
  }
  return out;
}

/** SpecAugment frequency and time masking of one clip: `applyMasks(x, drawSpecAugmentMasks(...))`. */
export function specAugment(x: Float32Array, shape: FeatureShape, random: Random, options: SpecAugmentOptions = {}): Float32Array {
  checkFeatureShape('specAugment', x.length, shape);
  return applyMasks(x, shape, drawSpecAugmentMasks(shape, random, options), options.maskValue ?? 0);
}

// ---------------------------------------------------------------- time shift

export interface TimeShiftOptions {
  /** Largest shift, in frames; the shift is drawn uniformly from -this..+this. Default 0 (off). */
  maxShiftFrames?: number;
  /** Value of the frames shifted in, in feature units. Default 0 (the mean, after normalisation). */
  fill?: number;
}

/**
 * Move every row `shift` frames later (negative: earlier), without wrapping: frames pushed past
 * the edge are dropped and the `|shift|` frames opened at the other edge are `fill`.
 * @returns a new `[rows, cols]` Float32Array.
 */
export function shiftFrames(x: Float32Array, shape: FeatureShape, shift: number, fill = 0): Float32Array {
  checkFeatureShape('shiftFrames', x.length, shape);
  if (!Number.isInteger(shift)) throw new MelbookError(`shiftFrames: shift must be an integer number of frames, got ${shift}`);
  const cols = shape[1];
  const out = new Float32Array(x.length).fill(fill);
  const s = Math.max(-cols, Math.min(cols, shift));
  for (let row = 0; row < x.length; row += cols) {
    if (s >= 0) out.set(x.subarray(row, row + cols - s), row + s);
    else out.set(x.subarray(row - s, row + cols), row);
  }
  return out;
}

/** Random time shift within the clip's window: one draw, uniform in -maxShiftFrames..+maxShiftFrames. */
export function timeShift(x: Float32Array, shape: FeatureShape, random: Random, options: TimeShiftOptions = {}): Float32Array {
  const max = options.maxShiftFrames ?? 0;
  checkCount('timeShift: maxShiftFrames', max);
  return shiftFrames(x, shape, uniformInt(random, -max, max), options.fill ?? 0);
}

// ---------------------------------------------------------------- frequency warp (features)

export interface FreqWarpOptions {
  /** Chance that a clip is warped, 0..1. Default 0 (off). */
  probability?: number;
  /** Lowest factor (below 1: every band moves down, like a longer vocal tract). Default 0.9. */
  minFactor?: number;
  /** Highest factor (above 1: bands move up, like a shorter vocal tract). Default 1.1. */
  maxFactor?: number;
}

/**
 * Stretch the frequency axis of a `[rows, cols]` feature matrix by `factor`: output row r reads
 * input row r / factor, linearly interpolated; rows past the last input row repeat it. Above 1 the
 * content moves to higher bands (formants rise, as from a shorter vocal tract), below 1 it moves
 * down. On mel bands this is vocal-tract-length perturbation (VTLP, Jaitly & Hinton 2013) done on
 * the band index, with the pitch and the timing untouched, unlike `speedPerturb`.
 * `blocks` > 1 warps `blocks` equal stacks of rows separately (features with deltas under them).
 */
export function warpFrequency(x: Float32Array, shape: FeatureShape, factor: number, blocks = 1): Float32Array {
  checkFeatureShape('warpFrequency', x.length, shape);
  if (!(factor > 0) || !Number.isFinite(factor)) throw new MelbookError(`warpFrequency: factor must be a positive number (1 = unchanged), got ${factor}`);
  const [rows, cols] = shape;
  if (!Number.isInteger(blocks) || blocks < 1 || rows % blocks !== 0) throw new MelbookError(`warpFrequency: ${rows} rows do not split into ${blocks} equal blocks`);
  const bands = rows / blocks;
  const out = new Float32Array(x.length);
  for (let r = 0; r < bands; r++) {
    const source = Math.min(bands - 1, r / factor);
    const r0 = Math.floor(source);
    const r1 = Math.min(bands - 1, r0 + 1);
    const w = source - r0;
    for (let b = 0; b < blocks; b++) {
      const o = (b * bands + r) * cols;
      const i0 = (b * bands + r0) * cols;
      const i1 = (b * bands + r1) * cols;
      for (let c = 0; c < cols; c++) out[o + c] = (1 - w) * x[i0 + c] + w * x[i1 + c];
    }
  }
  return out;
}

/** `warpFrequency` with its probability and a factor drawn uniformly; two draws per clip, always. */
export function randomFreqWarp(x: Float32Array, shape: FeatureShape, random: Random, options: FreqWarpOptions = {}, blocks = 1): Float32Array {
  const { probability = 0, minFactor = 0.9, maxFactor = 1.1 } = options;
  const [roll, factorRoll] = [random(), random()];
  if (roll >= probability) return x.slice();
  return warpFrequency(x, shape, minFactor + factorRoll * (maxFactor - minFactor), blocks);
}

/** Apply `fns` left to right, sharing one random stream. No functions: a copy of the input. */
export function composeTransforms(...fns: ClipTransform[]): ClipTransform {
  return (x, random) => fns.reduce((clip, fn) => fn(clip, random), x.slice());
}

function checkCount(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw new MelbookError(`${what} must be an integer >= 0, got ${value}`);
}
