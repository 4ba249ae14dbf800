/**
 * Frame-level features computed by meyda (https://meyda.js.org), framed like our STFT (same
 * centre padding and hop) and stacked into one [nRows, nFrames] array.
 *
 * meyda is used as it is: its own symmetric Hann window, its spectrum of nFft/2 bins (no Nyquist
 * bin), its FFT-bin-quantised mel filterbank for `mfcc`/`melBands`. These features therefore do
 * not match librosa/torchaudio; use the `mel`/`mfcc` extractors when parity matters.
 * Meyda is a mutable singleton: its settings and filterbanks are set before every call and each
 * `MeydaPlan` keeps its own filterbanks, so plans with different settings do not interfere.
 * meyda computes its time-domain features (rms, zcr, energy) on the windowed frame too; pass
 * `windowingFunction: 'rect'` for the plain frame. meyda's `spectralFlux` is left out: it reads out of bounds and fails in strict mode.
 */
import Meyda from 'meyda';
import { ConfigError, MelbookError } from '../errors';
import { PAD_MODES, type PadMode, padSignalInto, stftFrameCount } from './stft';

/** Features with one value per frame. */
export const MEYDA_SCALAR_FEATURES = [
  'energy', 'rms', 'zcr', 'spectralCentroid', 'spectralFlatness', 'spectralRolloff', 'spectralSlope',
  'spectralSpread', 'spectralSkewness', 'spectralKurtosis', 'spectralCrest', 'perceptualSpread', 'perceptualSharpness',
] as const;
/** Features with a vector per frame (sizes in `meydaFeatureSize`). */
export const MEYDA_VECTOR_FEATURES = ['chroma', 'mfcc', 'melBands', 'loudness', 'amplitudeSpectrum', 'powerSpectrum'] as const;
export const MEYDA_FEATURES = [...MEYDA_SCALAR_FEATURES, ...MEYDA_VECTOR_FEATURES] as const;
export type MeydaFeatureName = (typeof MEYDA_FEATURES)[number];
export const MEYDA_WINDOWS = ['hanning', 'hamming', 'blackman', 'sine', 'rect'] as const;
export type MeydaWindow = (typeof MEYDA_WINDOWS)[number];

export interface MeydaFeaturesOptions {
  /** meyda feature names, stacked in this order. Required, at least one. */
  features: readonly MeydaFeatureName[];
  /** Sample rate of the input in Hz. Default 8000. */
  sampleRateHz?: number;
  /** Frame length in samples; meyda needs a power of two. Default 256. */
  nFft?: number;
  /** Hop between frames in samples. Default 128. */
  hopLength?: number;
  /** Centre frames by padding nFft/2 on both sides. Default true. */
  center?: boolean;
  /** Centre padding: 'reflect' or 'constant'. Default 'reflect'. */
  padMode?: PadMode;
  /** meyda's window (meyda's 'hanning' is the symmetric Hann). Default 'hanning'. */
  windowingFunction?: MeydaWindow;
  /** Coefficients of `mfcc`, 1..40. Default 13 (meyda's). */
  nMfcc?: number;
  /** Bands of `melBands` (and filters behind `mfcc`). Default 26 (meyda's). */
  melBands?: number;
  /** Bands of `chroma`. Default 12. */
  chromaBands?: number;
  /** Bark bands of `loudness` (rows: total, then each band). Default 24. */
  barkBands?: number;
}

export type ResolvedMeydaFeaturesOptions = Required<MeydaFeaturesOptions>;

/** Defaults of `MeydaFeaturesOptions`, declared once (the band counts are meyda's own). */
export const MEYDA_DEFAULTS = {
  sampleRateHz: 8000, nFft: 256, hopLength: 128, center: true, padMode: 'reflect', windowingFunction: 'hanning',
  nMfcc: 13, melBands: 26, chromaBands: 12, barkBands: 24,
} as const satisfies Omit<ResolvedMeydaFeaturesOptions, 'features'>;

export function resolveMeydaFeaturesOptions(options: MeydaFeaturesOptions): ResolvedMeydaFeaturesOptions {
  const features = options.features;
  if (!Array.isArray(features) || features.length === 0) throw new ConfigError('features', features, 'expected a non-empty list of meyda feature names');
  for (const [i, f] of features.entries()) {
    if (!MEYDA_FEATURES.includes(f)) throw new ConfigError(`features.${i}`, f, `expected one of ${MEYDA_FEATURES.join(', ')}`);
  }
  const d = MEYDA_DEFAULTS;
  const nFft = options.nFft ?? d.nFft;
  if (!Number.isInteger(nFft) || nFft < 2 || (nFft & (nFft - 1)) !== 0) throw new ConfigError('nFft', nFft, 'meyda needs a power-of-two frame length, e.g. 256 or 512');
  const intIn = (path: string, value: number, lo: number, hi: number): number => {
    if (!Number.isInteger(value) || value < lo || value > hi) throw new ConfigError(path, value, `expected an integer in [${lo}, ${hi}]`);
    return value;
  };
  const sampleRateHz = options.sampleRateHz ?? d.sampleRateHz;
  if (!(sampleRateHz > 0)) throw new ConfigError('sampleRateHz', sampleRateHz, 'expected a positive sample rate in Hz');
  const padMode = options.padMode ?? d.padMode;
  if (!PAD_MODES.includes(padMode)) throw new ConfigError('padMode', padMode, `expected one of ${PAD_MODES.join(', ')}`);
  const windowingFunction = options.windowingFunction ?? d.windowingFunction;
  if (!MEYDA_WINDOWS.includes(windowingFunction)) throw new ConfigError('windowingFunction', windowingFunction, `expected one of ${MEYDA_WINDOWS.join(', ')}`);
  return {
    features: [...features],
    sampleRateHz,
    nFft,
    hopLength: intIn('hopLength', options.hopLength ?? d.hopLength, 1, Number.MAX_SAFE_INTEGER),
    center: options.center ?? d.center,
    padMode,
    windowingFunction,
    nMfcc: intIn('nMfcc', options.nMfcc ?? d.nMfcc, 1, 40),
    melBands: intIn('melBands', options.melBands ?? d.melBands, 1, 1024),
    chromaBands: intIn('chromaBands', options.chromaBands ?? d.chromaBands, 1, 1024),
    barkBands: intIn('barkBands', options.barkBands ?? d.barkBands, 1, 1024),
  };
}

/** Rows a feature contributes to the output. */
export function meydaFeatureSize(feature: MeydaFeatureName, o: ResolvedMeydaFeaturesOptions): number {
  switch (feature) {
    case 'chroma': return o.chromaBands;
    case 'mfcc': return o.nMfcc;
    case 'melBands': return Math.max(o.melBands, o.nMfcc);
    case 'loudness': return 1 + o.barkBands;
    case 'amplitudeSpectrum':
    case 'powerSpectrum': return o.nFft / 2;
    default: return 1;
  }
}

/** Name of each output row: `rms`, `chroma[0]`, ..., `loudness.total`, `loudness[0]`, ... */
export function meydaRowNames(o: ResolvedMeydaFeaturesOptions): string[] {
  const names: string[] = [];
  for (const f of o.features) {
    const size = meydaFeatureSize(f, o);
    if (f === 'loudness') {
      names.push('loudness.total');
      for (let i = 0; i < size - 1; i++) names.push(`loudness[${i}]`);
    } else if (size === 1 && (MEYDA_SCALAR_FEATURES as readonly string[]).includes(f)) names.push(f);
    else for (let i = 0; i < size; i++) names.push(`${f}[${i}]`);
  }
  return names;
}

/** The filterbanks meyda caches on its singleton, kept per plan. */
interface MeydaBanks { barkScale?: unknown; melFilterBank?: unknown; chromaFilterBank?: unknown }
type MeydaState = typeof Meyda & MeydaBanks & { melBands: number; chromaBands: number; numberOfBarkBands: number };

/** meyda features of fixed settings. Output rows follow `meydaRowNames`. One plan per thread. */
export class MeydaPlan {
  readonly options: ResolvedMeydaFeaturesOptions;
  readonly nRows: number;
  private banks: MeydaBanks = {};
  private padded = new Float32Array(0);

  constructor(options: MeydaFeaturesOptions) {
    this.options = resolveMeydaFeaturesOptions(options);
    this.nRows = this.options.features.reduce((n, f) => n + meydaFeatureSize(f, this.options), 0);
  }

  outputShape(nSamples: number): [number, number] {
    return [this.nRows, stftFrameCount(nSamples, this.options)];
  }

  /** Output: row-major Float32Array of shape [nRows, nFrames]. */
  run(samples: ArrayLike<number>): { data: Float32Array; shape: [number, number] } {
    const o = this.options;
    const [nRows, nFrames] = this.outputShape(samples.length);
    const data = new Float32Array(nRows * nFrames);
    if (nFrames === 0) return { data, shape: [nRows, nFrames] };
    const pad = o.center ? o.nFft / 2 : 0;
    const total = samples.length + 2 * pad;
    if (this.padded.length < total) this.padded = new Float32Array(total);
    padSignalInto(samples, pad, o.padMode, this.padded);

    const m = Meyda as MeydaState;
    m.bufferSize = o.nFft;
    m.sampleRate = o.sampleRateHz;
    m.windowingFunction = o.windowingFunction;
    m.numberOfMFCCCoefficients = o.nMfcc;
    m.melBands = o.melBands;
    m.chromaBands = o.chromaBands;
    m.numberOfBarkBands = o.barkBands;
    m.barkScale = this.banks.barkScale;
    m.melFilterBank = this.banks.melFilterBank;
    m.chromaFilterBank = this.banks.chromaFilterBank;
    const features = o.features as MeydaFeatureName[];
    for (let t = 0; t < nFrames; t++) {
      const frame = this.padded.subarray(t * o.hopLength, t * o.hopLength + o.nFft);
      // meyda's result type lists most features but not melBands; each value is checked in writeFeature.
      const values: Readonly<Record<string, unknown>> | null = m.extract(features, frame);
      if (!values) throw new MelbookError(`meyda returned no features for [${features.join(', ')}] at frame ${t}`);
      let row = 0;
      for (const f of features) row = writeFeature(data, row, t, nFrames, f, values[f]);
      if (row !== nRows) throw new MelbookError(`meyda returned ${row} values per frame for [${features.join(', ')}], expected ${nRows}`);
    }
    this.banks = { barkScale: m.barkScale, melFilterBank: m.melFilterBank, chromaFilterBank: m.chromaFilterBank };
    return { data, shape: [nRows, nFrames] };
  }
}

/** Store one feature value of frame t from `row` on; returns the next free row. */
function writeFeature(data: Float32Array, row: number, t: number, nFrames: number, feature: string, value: unknown): number {
  if (typeof value === 'number') {
    data[row * nFrames + t] = value;
    return row + 1;
  }
  if (feature === 'loudness') {
    const { total, specific } = value as { total: number; specific: ArrayLike<number> };
    data[row * nFrames + t] = total;
    return writeVector(data, row + 1, t, nFrames, specific);
  }
  return writeVector(data, row, t, nFrames, value as ArrayLike<number>);
}

function writeVector(data: Float32Array, row: number, t: number, nFrames: number, v: ArrayLike<number>): number {
  for (let i = 0; i < v.length; i++) data[(row + i) * nFrames + t] = v[i];
  return row + v.length;
}

/** meyda features of a mono signal. Output: [nRows, nFrames], rows as in `meydaRowNames`. */
export function meydaFeatures(samples: ArrayLike<number>, options: MeydaFeaturesOptions): { data: Float32Array; shape: [number, number] } {
  return new MeydaPlan(options).run(samples);
}
