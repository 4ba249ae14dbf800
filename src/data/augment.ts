/**
 * The augmentation settings and the two augmenters built from them. The pieces live by level:
 * feature-level (`specAugment`, `timeShift`, `randomFreqWarp`) in augment-features.ts,
 * waveform-level (`addNoise`, `speedPerturb`) in augment-waveform.ts and (`pitchShift`,
 * `formantWarp`) in voice-augment.ts, batch-level (`mixup`) in
 * mixup.ts. `featureAugmenter` packs the feature-level ones as the `transform` hook of
 * `AudioDataset.dataset()`, which applies it to the training split only; `waveformAugmenter`
 * chains the waveform-level ones before feature extraction. docs/augmentation.md says where each
 * one belongs in the pipeline.
 */
import { fitLength, type FitLengthOptions } from '../audio/fit';
import type { Resampler } from '../audio/resample';
import { ConfigError } from '../errors';
import { checkFeatureShape, type FeatureShape } from '../features/normalize';
import {
  composeTransforms, randomFreqWarp, specAugment, timeShift,
  type ClipTransform, type FeatureTransform, type FreqWarpOptions, type SpecAugmentOptions, type TimeShiftOptions,
} from './augment-features';
import { addNoise, speedPerturb, type SpeedPerturbOptions } from './augment-waveform';
import type { Random } from './random';
import { formantWarp, pitchShift } from './voice-augment';

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
  /** Pitch shift of the waveform with the duration kept (`pitchShift`): f0 moves, the formants move with it. */
  pitch?: {
    /** Chance that a clip is shifted, 0..1. Default 0 (off). */
    probability?: number;
    /** Lowest shift drawn, in semitones (negative: lower). Default -3. */
    minSemitones?: number;
    /** Highest shift drawn (uniform between the two), in semitones. Default 8: up towards women's and children's voices. */
    maxSemitones?: number;
  };
  /** Formant (vocal-tract-length) warp on the linear spectrum with f0 kept (`formantWarp`). */
  formant?: {
    /** Chance that a clip is warped, 0..1. Default 0 (off). */
    probability?: number;
    /** Lowest factor drawn (< 1: a longer vocal tract). Default 0.9. */
    minFactor?: number;
    /** Highest factor drawn (uniform between the two); women's formants are ~15 % higher than men's. Default 1.2. */
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
  pitch: Required<NonNullable<AugmentOptions['pitch']>>;
  formant: Required<NonNullable<AugmentOptions['formant']>>;
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
    pitch: { probability: 0, minSemitones: -3, maxSemitones: 8, ...options.pitch },
    formant: { probability: 0, minFactor: 0.9, maxFactor: 1.2, ...options.formant },
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
  checkVoiceOptions(r, check);
  check('mixup.alpha', r.mixup.alpha, r.mixup.alpha >= 0 && Number.isFinite(r.mixup.alpha), 'use a number >= 0 (0 = off; 0.2 is common)');
  return r;
}

function checkVoiceOptions(r: ResolvedAugmentOptions, check: (path: string, value: number, ok: boolean, allowed: string) => void): void {
  const { pitch, formant } = r;
  check('pitch.probability', pitch.probability, pitch.probability >= 0 && pitch.probability <= 1, 'use a probability from 0 to 1');
  check('pitch.minSemitones', pitch.minSemitones, pitch.minSemitones >= -12 && pitch.minSemitones <= 12, 'use a number of semitones from -12 to 12, e.g. -3');
  check('pitch.maxSemitones', pitch.maxSemitones, pitch.maxSemitones >= pitch.minSemitones && pitch.maxSemitones <= 12, `use a number of semitones from pitch.minSemitones (${pitch.minSemitones}) to 12, e.g. 8`);
  check('formant.probability', formant.probability, formant.probability >= 0 && formant.probability <= 1, 'use a probability from 0 to 1');
  check('formant.minFactor', formant.minFactor, formant.minFactor >= 0.5 && formant.minFactor <= 2, 'use a factor from 0.5 to 2, e.g. 0.9');
  check('formant.maxFactor', formant.maxFactor, formant.maxFactor >= formant.minFactor && formant.maxFactor <= 2, `use a factor from formant.minFactor (${formant.minFactor}) to 2, e.g. 1.2`);
}

/**
 * The feature-level augmentations (frequency warp, time shift, then SpecAugment masks) as the
 * dataset's `transform` hook for clips of `shape` = `[nMels, nFrames]`:
 * `ds.dataset('train', { transform: featureAugmenter(config.augment, [ds.inputShape[0], ds.inputShape[1]]) })`.
 * `blocks`: equal stacks of rows the frequency warp treats separately (1 + the delta order).
 * @returns undefined when all are off, so the dataset skips the hook altogether.
 */
export function featureAugmenter(options: AugmentOptions | ResolvedAugmentOptions, shape: FeatureShape, blocks = 1): FeatureTransform | undefined {
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
 * The waveform-level augmentations for one decoded clip (at `context.rateHz`, any length): pitch
 * shift, formant warp, speed perturbation, then noise, each with its probability, then
 * `fitLength(length, fit)`, so the result is ready for the feature extractor. The voice changes
 * come first, as properties of the speaker, then speed, then the channel. Noise goes on before
 * the padding, so the padding stays digital silence, as it is in the (unaugmented) validation and
 * test clips, and the SNR is measured against the recording rather than a padded second.
 * @returns undefined when all are off (then call `fitLength` alone).
 */
export function waveformAugmenter(
  options: AugmentOptions | ResolvedAugmentOptions,
  context: { length: number; resampler: Resampler; fit?: FitLengthOptions; speed?: SpeedPerturbOptions; rateHz?: number },
): ((samples: Float32Array, random: Random) => Promise<Float32Array>) | undefined {
  const r = resolveAugmentOptions(options); // idempotent on resolved options
  const voice = r.pitch.probability > 0 || r.formant.probability > 0;
  if (r.speed.probability === 0 && r.noise.probability === 0 && !voice) return undefined;
  return async (samples, random) => {
    let out = samples;
    // The decisions are drawn up front, whether or not their branch runs; the voice ones only
    // when a voice change is on, so the copies of configs without one stay as they were.
    const [speedRoll, factorRoll, noiseRoll, snrRoll] = [random(), random(), random(), random()];
    if (voice) out = await perturbVoice(out, r, [random(), random(), random(), random()], context);
    if (speedRoll < r.speed.probability) {
      const factor = r.speed.minFactor + factorRoll * (r.speed.maxFactor - r.speed.minFactor);
      out = await speedPerturb(out, factor, context.resampler, context.speed);
    }
    if (noiseRoll < r.noise.probability) out = addNoise(out, random, { snrDb: r.noise.minSnrDb + snrRoll * (r.noise.maxSnrDb - r.noise.minSnrDb) });
    return fitLength(out, context.length, context.fit);
  };
}

/** Pitch shift then formant warp, each when its roll is under its probability; `rateHz` defaults to 8000. */
async function perturbVoice(
  samples: Float32Array,
  r: ResolvedAugmentOptions,
  [pitchRoll, semitoneRoll, formantRoll, warpRoll]: number[],
  context: { resampler: Resampler; rateHz?: number },
): Promise<Float32Array> {
  const rateHz = context.rateHz ?? 8000;
  let out = samples;
  if (pitchRoll < r.pitch.probability) out = await pitchShift(out, r.pitch.minSemitones + semitoneRoll * (r.pitch.maxSemitones - r.pitch.minSemitones), rateHz, context.resampler);
  if (formantRoll < r.formant.probability) out = formantWarp(out, r.formant.minFactor + warpRoll * (r.formant.maxFactor - r.formant.minFactor), rateHz);
  return out;
}
