/**
 * Per-utterance mean and variance normalisation (CMVN) of one clip's feature matrix, and the
 * `[rows, cols]` shape convention shared by melbook's feature-matrix functions (deltas,
 * augmentation).
 *
 * A feature matrix is row-major `[rows, cols]` = `[nMels (or nMfcc), nFrames]`, the layout of
 * the .npy files `melbook preprocess` writes: element (r, c) is `x[r * cols + c]`.
 *
 * Why per utterance: the dataset's `global` normalisation subtracts one mean computed over the
 * whole training split, so a speaker whose voice or microphone puts more energy in some bands
 * keeps that offset. CMVN removes each clip's own mean (per band with `perRow`: the cepstral/
 * log-mel mean subtraction of speech recognition, which cancels a fixed channel filter) and scales
 * to unit variance, at the price of losing absolute loudness.
 */
import { MelbookError } from '../errors';

/** `[rows, cols]`: rows = mel bands (or coefficients), cols = frames. */
export type FeatureShape = readonly [rows: number, cols: number];

/**
 * Throws unless `shape` is two positive integers whose product is `length`.
 * `what` names the caller in the message.
 */
export function checkFeatureShape(what: string, length: number, shape: FeatureShape): void {
  const [rows, cols] = shape;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
    throw new MelbookError(`${what}: shape must be [rows, cols] of positive integers, got [${rows}, ${cols}]`);
  }
  if (rows * cols !== length) {
    throw new MelbookError(`${what}: shape [${rows}, ${cols}] holds ${rows * cols} values but the array has ${length}; pass the clip's [nMels, nFrames]`);
  }
}

/**
 * How the dataset normalises a clip's features before the model sees them (the config's
 * `training.normalization`), from one list so the union cannot drift:
 * - `global`: (x - mean) / std with one mean and std of the whole training split (metadata);
 * - `utterance`: with the clip's own mean and std (`perUtteranceNormalize` mode `global`;
 *   removes loudness);
 * - `utteranceBand`: with each band's own mean and std over the clip's frames (mode `perRow`;
 *   removes a fixed channel or spectral tilt too);
 * - `none`: raw features.
 */
export const NORMALIZATIONS = ['global', 'utterance', 'utteranceBand', 'none'] as const;
export type Normalization = (typeof NORMALIZATIONS)[number];

/** Which statistics CMVN uses, from one list so the union cannot drift. */
export const CMVN_MODES = ['global', 'perRow'] as const;
export type CmvnMode = (typeof CMVN_MODES)[number];

export interface PerUtteranceNormalizeOptions {
  /**
   * `global`: one mean and one standard deviation over the whole clip; `perRow`: a mean and a
   * standard deviation per row (per mel band, over its frames). Default `perRow`.
   */
  mode?: CmvnMode;
  /** Also divide by the standard deviation (false: mean subtraction only, CMN). Default true. */
  scaleVariance?: boolean;
  /**
   * Added to the standard deviation before dividing, so a constant row (std 0) becomes zeros
   * instead of NaN. In feature units. Default 1e-8.
   */
  epsilon?: number;
}

/**
 * `(x - mean) / (std + epsilon)` with the clip's own statistics (population std, divisor n),
 * accumulated in float64.
 * @returns a new Float32Array of the same length and shape `[rows, cols]`; the input is untouched.
 */
export function perUtteranceNormalize(x: Float32Array, shape: FeatureShape, options: PerUtteranceNormalizeOptions = {}): Float32Array {
  const mode = options.mode ?? 'perRow';
  const scaleVariance = options.scaleVariance ?? true;
  const epsilon = options.epsilon ?? 1e-8;
  checkFeatureShape('perUtteranceNormalize', x.length, shape);
  if (!CMVN_MODES.includes(mode)) {
    throw new MelbookError(`perUtteranceNormalize: mode must be one of ${CMVN_MODES.join(', ')}, got ${JSON.stringify(mode)}`);
  }
  if (!(epsilon >= 0) || !Number.isFinite(epsilon)) {
    throw new MelbookError(`perUtteranceNormalize: epsilon must be a finite number >= 0, got ${epsilon}`);
  }
  const [rows, cols] = shape;
  const out = new Float32Array(x.length);
  // `global` is the perRow computation over one row that spans the whole matrix.
  const [blocks, blockSize] = mode === 'perRow' ? [rows, cols] : [1, rows * cols];
  for (let b = 0; b < blocks; b++) {
    const start = b * blockSize;
    const end = start + blockSize;
    let sum = 0;
    for (let i = start; i < end; i++) sum += x[i];
    const mean = sum / blockSize;
    let squares = 0;
    for (let i = start; i < end; i++) squares += (x[i] - mean) ** 2;
    const scale = scaleVariance ? 1 / (Math.sqrt(squares / blockSize) + epsilon) : 1;
    for (let i = start; i < end; i++) out[i] = (x[i] - mean) * scale;
  }
  return out;
}
