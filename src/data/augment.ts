/**
 * Training-time data augmentation as pure, seeded functions. Every function takes its randomness
 * from a `random: () => number` in [0, 1) (`seededRandom(seed)`), returns a NEW Float32Array and
 * never writes to its input, so the same seed gives the same augmented clip on every machine.
 *
 * Feature-level (on a row-major `[rows, cols]` = `[nMels, nFrames]` matrix, after normalisation):
 * `specAugment`, `timeShift`. `featureAugmenter` packs them as the `transform` hook of
 * `AudioDataset.dataset()`, which applies it to the training split only.
 * Waveform-level (on samples, before feature extraction): `addNoise`, `speedPerturb`;
 * `waveformAugmenter` chains them. Batch-level: `mixup` (needs soft labels). docs/augmentation.md
 * says where each one belongs in the pipeline.
 */
import { fitLength, type FitLengthOptions } from '../audio/fit';
import type { Resampler, ResampleQuality } from '../audio/resample';
import { ConfigError, MelbookError } from '../errors';
import { checkFeatureShape, type FeatureShape } from '../features/normalize';
import type { DatasetOptions } from './dataset';

/** A source of uniform numbers in [0, 1), e.g. `seededRandom(seed)`. */
export type Random = () => number;
/** One clip in, a new clip of the same length out. */
export type ClipTransform = (x: Float32Array, random: Random) => Float32Array;

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

// ---------------------------------------------------------------- additive noise (waveform)

/** Standard normal draws by the Box-Muller transform, two per pair of uniforms. */
export function gaussianSource(random: Random): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const z = spare;
      spare = undefined;
      return z;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - random())); // 1 - U is in (0, 1]: no log(0)
    const angle = 2 * Math.PI * random();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
}

export interface AddNoiseOptions {
  /** Signal-to-noise ratio, in dB: 10 log10(signal power / noise power). Required. */
  snrDb: number;
}

/**
 * Add white Gaussian noise to a waveform at `snrDb` against the signal's mean power (over the
 * whole array, padding included). The drawn noise is scaled by its own measured power, as
 * torchaudio.functional.add_noise does, so the SNR is exact rather than exact on average.
 * A silent input (power 0) has no SNR to match: it comes back as an unchanged copy.
 */
export function addNoise(samples: Float32Array, random: Random, options: AddNoiseOptions): Float32Array {
  const { snrDb } = options;
  if (!Number.isFinite(snrDb)) throw new MelbookError(`addNoise: snrDb must be a finite number of dB, got ${snrDb}`);
  const n = samples.length;
  let signalPower = 0;
  for (let i = 0; i < n; i++) signalPower += samples[i] * samples[i];
  signalPower /= n;
  if (!(signalPower > 0)) return samples.slice();
  const normal = gaussianSource(random);
  const noise = new Float64Array(n);
  let noisePower = 0;
  for (let i = 0; i < n; i++) {
    noise[i] = normal();
    noisePower += noise[i] * noise[i];
  }
  noisePower /= n;
  const scale = Math.sqrt(signalPower / (noisePower * 10 ** (snrDb / 10)));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = samples[i] + scale * noise[i];
  return out;
}

// ---------------------------------------------------------------- speed perturbation (waveform)

export interface SpeedPerturbOptions {
  /**
   * Reference rate for the resampler, in Hz: the clip is treated as recorded at
   * round(baseRateHz * factor) and converted to baseRateHz, so the factor is applied to a
   * resolution of 1 / baseRateHz. Only the ratio matters. Default 8000 (FSDD's rate).
   */
  baseRateHz?: number;
  /** libsamplerate converter quality. Default 'medium'. */
  quality?: ResampleQuality;
}

/**
 * Speed and pitch perturbation (Ko et al. 2015, "Audio augmentation for speech recognition"):
 * play the clip `factor` times faster, which also raises every frequency by `factor` (a shorter
 * vocal tract, roughly). Done by band-limited resampling from rate*factor back to rate.
 * @returns a new Float32Array of about `samples.length / factor` samples (exactly
 *   `round(n * baseRateHz / round(baseRateHz * factor))`): the caller fits it back to the clip
 *   length with `fitLength`, as `waveformAugmenter` does.
 */
export async function speedPerturb(samples: Float32Array, factor: number, resampler: Resampler, options: SpeedPerturbOptions = {}): Promise<Float32Array> {
  const base = options.baseRateHz ?? 8000;
  if (!(factor > 0) || !Number.isFinite(factor)) throw new MelbookError(`speedPerturb: factor must be a positive number (1 = unchanged), got ${factor}`);
  const from = Math.round(base * factor);
  if (!Number.isInteger(base) || base < 1 || from < 1 || from > 192_000) {
    throw new MelbookError(`speedPerturb: baseRateHz ${base} times factor ${factor} must give a rate from 1 to 192000 Hz; use a factor near 1`);
  }
  if (from === base) return samples.slice();
  return resampler.resample(samples, from, base, options.quality ?? 'medium');
}

// ---------------------------------------------------------------- mixup (batch)

/**
 * mixup (Zhang et al. 2018): x = lambda xa + (1 - lambda) xb and the same for the labels, which
 * must be vectors of one length (one-hot or already soft; class indices need `oneHot` first).
 * Training on the mixed pairs needs a loss that takes soft labels (categorical cross-entropy,
 * not the sparse one). `lambda` in [0, 1]; draw it with `mixupLambda`.
 */
export function mixup(xa: Float32Array, ya: ArrayLike<number>, xb: Float32Array, yb: ArrayLike<number>, lambda: number): { x: Float32Array; y: Float32Array } {
  if (!(lambda >= 0 && lambda <= 1)) throw new MelbookError(`mixup: lambda must be in [0, 1], got ${lambda}`);
  if (xa.length !== xb.length) throw new MelbookError(`mixup: the two clips differ in length (${xa.length} vs ${xb.length}); mix clips of one shape`);
  if (ya.length !== yb.length) throw new MelbookError(`mixup: the two label vectors differ in length (${ya.length} vs ${yb.length}); one-hot both with the same class count`);
  const mix = (a: ArrayLike<number>, b: ArrayLike<number>) => Float32Array.from({ length: a.length }, (_, i) => lambda * a[i] + (1 - lambda) * b[i]);
  return { x: mix(xa, xb), y: mix(ya, yb) };
}

/** A one-hot label vector of `classes` entries. */
export function oneHot(index: number, classes: number): Float32Array {
  if (!Number.isInteger(index) || index < 0 || index >= classes) throw new MelbookError(`oneHot: class index must be an integer in 0..${classes - 1}, got ${index}`);
  const y = new Float32Array(classes);
  y[index] = 1;
  return y;
}

/** mixup's lambda ~ Beta(alpha, alpha), from two Gamma(alpha) draws (Marsaglia-Tsang). alpha > 0. */
export function mixupLambda(alpha: number, random: Random): number {
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new MelbookError(`mixupLambda: alpha must be a positive number, got ${alpha}`);
  const normal = gaussianSource(random);
  const gamma = (a: number): number => {
    if (a < 1) return gamma(a + 1) * (1 - random()) ** (1 / a);
    const d = a - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const z = normal();
      const v = (1 + c * z) ** 3;
      if (v <= 0) continue;
      const u = 1 - random();
      if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
    }
  };
  const g1 = gamma(alpha);
  const g2 = gamma(alpha);
  return g1 + g2 > 0 ? g1 / (g1 + g2) : 0.5;
}

/**
 * mixup of a whole batch, as the reference implementation does: one lambda ~ Beta(alpha, alpha)
 * per batch, each clip mixed with the clip a random permutation of the batch pairs it with.
 * `xs` is `[batch, clipSize]` row-major, `labels` the class indices; returns new arrays with
 * soft labels `[batch, classes]`.
 */
export function mixupBatch(xs: Float32Array, labels: ArrayLike<number>, classes: number, alpha: number, random: Random): { xs: Float32Array; ys: Float32Array; lambda: number } {
  const batch = labels.length;
  if (batch === 0 || xs.length % batch !== 0) throw new MelbookError(`mixupBatch: ${xs.length} values do not split into ${batch} clips`);
  const size = xs.length / batch;
  const lambda = mixupLambda(alpha, random);
  const partner = Array.from({ length: batch }, (_, i) => i);
  for (let i = batch - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [partner[i], partner[j]] = [partner[j], partner[i]];
  }
  const out = new Float32Array(xs.length);
  const ys = new Float32Array(batch * classes);
  for (let k = 0; k < batch; k++) {
    const p = partner[k];
    for (let i = 0; i < size; i++) out[k * size + i] = lambda * xs[k * size + i] + (1 - lambda) * xs[p * size + i];
    ys[k * classes + labels[k]] += lambda;
    ys[k * classes + labels[p]] += 1 - lambda;
  }
  return { xs: out, ys, lambda };
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

// ---------------------------------------------------------------- composition and options

/** Apply `fns` left to right, sharing one random stream. No functions: a copy of the input. */
export function composeTransforms(...fns: ClipTransform[]): ClipTransform {
  return (x, random) => fns.reduce((clip, fn) => fn(clip, random), x.slice());
}

/** Every augmentation, all off by default. Feature-level first, then waveform, then batch. */
export interface AugmentOptions {
  /** SpecAugment masking of the features (see `SpecAugmentOptions`). Default: no masks. */
  specAugment?: SpecAugmentOptions;
  /** Random time shift of the features (see `TimeShiftOptions`). Default: no shift. */
  timeShift?: TimeShiftOptions;
  /** Random stretch of the frequency axis of the features (see `warpFrequency`). Default: off. */
  freqWarp?: FreqWarpOptions;
  /** Additive white noise on the waveform. */
  noise?: {
    /** Chance that a clip gets noise, 0..1. Default 0 (off). */
    probability?: number;
    /** Lowest SNR drawn, in dB. Default 10. */
    minSnrDb?: number;
    /** Highest SNR drawn (uniform between the two), in dB. Default 30. */
    maxSnrDb?: number;
  };
  /** Speed and pitch perturbation of the waveform by resampling. */
  speed?: {
    /** Chance that a clip is perturbed, 0..1. Default 0 (off). */
    probability?: number;
    /** Slowest factor (below 1: slower and lower), drawn uniformly up to `maxFactor`. Default 0.9. */
    minFactor?: number;
    /** Fastest factor. Default 1.1. */
    maxFactor?: number;
  };
  /** mixup of pairs within a batch. */
  mixup?: {
    /** Beta(alpha, alpha) parameter of lambda; 0 turns mixup off. Default 0. */
    alpha?: number;
  };
}

/** `AugmentOptions` with every default filled in and every value checked. */
export interface ResolvedAugmentOptions {
  specAugment: Required<SpecAugmentOptions>;
  timeShift: Required<TimeShiftOptions>;
  freqWarp: Required<FreqWarpOptions>;
  noise: Required<NonNullable<AugmentOptions['noise']>>;
  speed: Required<NonNullable<AugmentOptions['speed']>>;
  mixup: Required<NonNullable<AugmentOptions['mixup']>>;
}

/**
 * Fill the defaults and check every value. Throws ConfigError naming the key under `prefix`
 * (the YAML path of the options, default `augment`).
 */
export function resolveAugmentOptions(options: AugmentOptions = {}, prefix = 'augment'): ResolvedAugmentOptions {
  const r: ResolvedAugmentOptions = {
    specAugment: { freqMasks: 0, freqMaskWidth: 0, timeMasks: 0, timeMaskWidth: 0, maskValue: 0, ...options.specAugment },
    timeShift: { maxShiftFrames: 0, fill: 0, ...options.timeShift },
    freqWarp: { probability: 0, minFactor: 0.9, maxFactor: 1.1, ...options.freqWarp },
    noise: { probability: 0, minSnrDb: 10, maxSnrDb: 30, ...options.noise },
    speed: { probability: 0, minFactor: 0.9, maxFactor: 1.1, ...options.speed },
    mixup: { alpha: 0, ...options.mixup },
  };
  const check = (path: string, value: number, ok: boolean, allowed: string) => {
    if (!ok || typeof value !== 'number' || Number.isNaN(value)) throw new ConfigError(`${prefix}.${path}`, value, allowed);
  };
  const count = (path: string, v: number) => check(path, v, Number.isInteger(v) && v >= 0, 'use an integer >= 0');
  const finite = (path: string, v: number) => check(path, v, Number.isFinite(v), 'use a finite number');
  const probability = (path: string, v: number) => check(path, v, v >= 0 && v <= 1, 'use a probability from 0 to 1');
  const s = r.specAugment;
  count('specAugment.freqMasks', s.freqMasks);
  count('specAugment.freqMaskWidth', s.freqMaskWidth);
  count('specAugment.timeMasks', s.timeMasks);
  count('specAugment.timeMaskWidth', s.timeMaskWidth);
  finite('specAugment.maskValue', s.maskValue);
  count('timeShift.maxShiftFrames', r.timeShift.maxShiftFrames);
  finite('timeShift.fill', r.timeShift.fill);
  probability('freqWarp.probability', r.freqWarp.probability);
  check('freqWarp.minFactor', r.freqWarp.minFactor, r.freqWarp.minFactor > 0 && r.freqWarp.minFactor <= 2, 'use a factor in (0, 2], e.g. 0.9');
  check('freqWarp.maxFactor', r.freqWarp.maxFactor, r.freqWarp.maxFactor >= r.freqWarp.minFactor && r.freqWarp.maxFactor <= 2, `use a factor from freqWarp.minFactor (${r.freqWarp.minFactor}) to 2, e.g. 1.1`);
  probability('noise.probability', r.noise.probability);
  finite('noise.minSnrDb', r.noise.minSnrDb);
  check('noise.maxSnrDb', r.noise.maxSnrDb, Number.isFinite(r.noise.maxSnrDb) && r.noise.maxSnrDb >= r.noise.minSnrDb, `use a finite number >= noise.minSnrDb (${r.noise.minSnrDb})`);
  probability('speed.probability', r.speed.probability);
  check('speed.minFactor', r.speed.minFactor, r.speed.minFactor > 0 && r.speed.minFactor <= 2, 'use a factor in (0, 2], e.g. 0.9');
  check('speed.maxFactor', r.speed.maxFactor, r.speed.maxFactor >= r.speed.minFactor && r.speed.maxFactor <= 2, `use a factor from speed.minFactor (${r.speed.minFactor}) to 2, e.g. 1.1`);
  check('mixup.alpha', r.mixup.alpha, r.mixup.alpha >= 0 && Number.isFinite(r.mixup.alpha), 'use a number >= 0 (0 = off; 0.2 is common)');
  return r;
}

/**
 * The feature-level augmentations (frequency warp, time shift, then SpecAugment masks) as the
 * dataset's `transform` hook for clips of `shape` = `[nMels, nFrames]`:
 * `ds.dataset('train', { transform: featureAugmenter(config.augment, [ds.inputShape[0], ds.inputShape[1]]) })`.
 * `blocks`: equal stacks of rows the frequency warp treats separately (1 + the delta order).
 * @returns undefined when all are off, so the dataset skips the hook altogether.
 */
export function featureAugmenter(options: AugmentOptions | ResolvedAugmentOptions, shape: FeatureShape, blocks = 1): DatasetOptions['transform'] {
  const r = resolveAugmentOptions(options); // idempotent on resolved options
  const fns: ClipTransform[] = [];
  if (r.freqWarp.probability > 0) fns.push((x, random) => randomFreqWarp(x, shape, random, r.freqWarp, blocks));
  if (r.timeShift.maxShiftFrames > 0) fns.push((x, random) => timeShift(x, shape, random, r.timeShift));
  const s = r.specAugment;
  if ((s.freqMasks > 0 && s.freqMaskWidth > 0) || (s.timeMasks > 0 && s.timeMaskWidth > 0)) fns.push((x, random) => specAugment(x, shape, random, s));
  if (fns.length === 0) return undefined;
  const transform = composeTransforms(...fns);
  return (features, _entry, random) => {
    checkFeatureShape('featureAugmenter', features.length, shape);
    return transform(features, random);
  };
}

/**
 * The waveform-level augmentations for one decoded clip (at the pipeline's rate, any length):
 * speed perturbation, then noise, each with its probability, then `fitLength(length, fit)`, so the
 * result is ready for the feature extractor. Noise goes on before the padding, so the padding
 * stays digital silence, as it is in the (unaugmented) validation and test clips, and the SNR is
 * measured against the recording rather than a padded second.
 * @returns undefined when both are off (then call `fitLength` alone).
 */
export function waveformAugmenter(
  options: AugmentOptions | ResolvedAugmentOptions,
  context: { length: number; resampler: Resampler; fit?: FitLengthOptions; speed?: SpeedPerturbOptions },
): ((samples: Float32Array, random: Random) => Promise<Float32Array>) | undefined {
  const r = resolveAugmentOptions(options); // idempotent on resolved options
  if (r.speed.probability === 0 && r.noise.probability === 0) return undefined;
  return async (samples, random) => {
    let out = samples;
    // The four decisions are drawn up front, whether or not their branch runs.
    const [speedRoll, factorRoll, noiseRoll, snrRoll] = [random(), random(), random(), random()];
    if (speedRoll < r.speed.probability) {
      const factor = r.speed.minFactor + factorRoll * (r.speed.maxFactor - r.speed.minFactor);
      out = await speedPerturb(out, factor, context.resampler, context.speed);
    }
    if (noiseRoll < r.noise.probability) out = addNoise(out, random, { snrDb: r.noise.minSnrDb + snrRoll * (r.noise.maxSnrDb - r.noise.minSnrDb) });
    return fitLength(out, context.length, context.fit);
  };
}

function checkCount(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw new MelbookError(`${what} must be an integer >= 0, got ${value}`);
}
