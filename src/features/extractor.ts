/**
 * Feature extractors: objects with fixed, fully resolved settings that turn a mono signal into a
 * 2-D feature array. `describe()` is the complete parameter set (logged as run params) and
 * `cacheKey` hashes it to name the feature cache folder, so changing any setting, or the
 * implementation version, never reuses stale features.
 */
import { createHash } from 'node:crypto';
import { ConfigError } from '../errors';
import { MelPlan, type MelSpectrogramOptions } from './mel';
import { MeydaPlan, type MeydaFeaturesOptions, meydaRowNames } from './meyda';
import { MfccPlan, type MfccOptions } from './mfcc';
import { stackDeltas, stackedDeltaShape, DELTA_DEFAULTS, DELTA_MODES, DELTA_ORDERS, type DeltaMode } from './delta';
import { FEATURES_VERSION, type FeatureSpec, type MelFeatureSpec, type MeydaFeatureSpec, type MfccFeatureSpec } from './spec';

export { FEATURES_VERSION };

/** A feature array: row-major data with an explicit shape (features first, frames last). */
export interface FeatureArray {
  data: Float32Array;
  shape: number[];
}

export interface Extractor {
  readonly kind: ExtractorKind;
  /** Features of a mono signal sampled at `sampleRateHz` (must equal the configured rate). */
  extract(samples: Float32Array, sampleRateHz: number): FeatureArray;
  /** Full resolved parameter set including kind and version, in a stable key order: the spec `createExtractor` rebuilds it from. */
  describe(): FeatureSpec;
  /** Shape `extract` returns for a signal of `nSamples` samples. */
  outputShape(nSamples: number): number[];
}

export const EXTRACTOR_KINDS = ['mel', 'mfcc', 'meyda'] as const;
export type ExtractorKind = (typeof EXTRACTOR_KINDS)[number];


/** Called with a message for degenerate but legal settings (e.g. an empty mel filter). */
export type WarningHandler = (message: string) => void;

function checkRate(expected: number, got: number): void {
  if (got !== expected) {
    throw new ConfigError('sampleRateHz', got, `this extractor was built for ${expected} Hz audio; resample the audio or build the extractor with sampleRateHz: ${got}`);
  }
}

/** What every feature plan offers: resolved options (with the sample rate), a run and a shape. */
interface FeaturePlan<O extends { sampleRateHz: number }> {
  readonly options: O;
  run(samples: Float32Array): FeatureArray;
  outputShape(nSamples: number): number[];
}

/** An Extractor over a precomputed plan: the same rate check, description and shape for every kind. */
abstract class PlanExtractor<O extends { sampleRateHz: number }> implements Extractor {
  abstract readonly kind: ExtractorKind;
  protected constructor(protected readonly plan: FeaturePlan<O>) {}
  get options(): O {
    return this.plan.options;
  }
  extract(samples: Float32Array, sampleRateHz: number): FeatureArray {
    checkRate(this.plan.options.sampleRateHz, sampleRateHz);
    return this.plan.run(samples);
  }
  abstract describe(): FeatureSpec;
  outputShape(nSamples: number): number[] {
    return this.plan.outputShape(nSamples);
  }
}

/** Log-mel (or linear / dB mel) spectrogram, shape [nMels, nFrames]. Defaults: the PyTorch yardstick. */
export class MelSpectrogram extends PlanExtractor<MelPlan['options']> {
  readonly kind = 'mel';
  constructor(options: MelSpectrogramOptions = {}, onWarning?: WarningHandler) {
    super(new MelPlan(options, onWarning));
  }
  describe(): MelFeatureSpec {
    return { kind: this.kind, version: FEATURES_VERSION, ...this.plan.options };
  }
}

/** MFCCs over the dB mel spectrogram, shape [nMfcc, nFrames]. */
export class Mfcc extends PlanExtractor<MfccPlan['options']> {
  readonly kind = 'mfcc';
  constructor(options: MfccOptions = {}, onWarning?: WarningHandler) {
    super(new MfccPlan(options, onWarning));
  }
  describe(): MfccFeatureSpec {
    return { kind: this.kind, version: FEATURES_VERSION, ...this.plan.options };
  }
}

/** meyda frame features stacked as rows, shape [nRows, nFrames] (row names: `rowNames`). */
export class MeydaFeatures extends PlanExtractor<MeydaPlan['options']> {
  readonly kind = 'meyda';
  constructor(options: MeydaFeaturesOptions) {
    super(new MeydaPlan(options));
  }
  describe(): MeydaFeatureSpec {
    const o = this.plan.options;
    return { kind: this.kind, version: FEATURES_VERSION, ...o, features: [...o.features] };
  }
  /** What each output row holds, e.g. ['rms', 'chroma[0]', ...]. */
  get rowNames(): string[] {
    return meydaRowNames(this.plan.options);
  }
}

/** Time derivatives stacked under the features (see `stackDeltas`). */
export interface DeltaFeatureOptions {
  /** 0 (off), 1 (deltas) or 2 (deltas and delta-deltas). */
  order: 0 | 1 | 2;
  /** Regression window in frames (odd, >= 3). Default `DELTA_DEFAULTS.width` (9, librosa). */
  width?: number;
  /** Edge convention: `interp` (librosa) or `replicate` (torchaudio). Default `DELTA_DEFAULTS.mode` (`interp`). */
  mode?: DeltaMode;
}

/**
 * An extractor with the deltas of its output stacked under it: shape `[rows * (order + 1),
 * frames]`, `[x; delta; delta-delta]` as librosa's `np.vstack`. Its description adds `deltas`,
 * so its features get their own cache key.
 */
export class WithDeltas implements Extractor {
  readonly options: Required<DeltaFeatureOptions> & { order: 1 | 2 };
  constructor(readonly inner: Extractor, options: DeltaFeatureOptions) {
    const order = options.order;
    if (!isDeltaOrder(order)) throw new ConfigError('deltas.order', order, 'use 1 (deltas) or 2 (deltas and delta-deltas); 0 means no WithDeltas');
    this.options = { order, width: options.width ?? DELTA_DEFAULTS.width, mode: options.mode ?? DELTA_DEFAULTS.mode };
    if (!DELTA_MODES.includes(this.options.mode)) throw new ConfigError('deltas.mode', options.mode, `use one of ${DELTA_MODES.join(', ')}`);
  }
  get kind(): ExtractorKind {
    return this.inner.kind;
  }
  extract(samples: Float32Array, sampleRateHz: number): FeatureArray {
    const base = this.inner.extract(samples, sampleRateHz);
    const shape = [base.shape[0], base.shape[1]] as const;
    return { data: stackDeltas(base.data, shape, this.options.order, { width: this.options.width, mode: this.options.mode }), shape: stackedDeltaShape(shape, this.options.order) };
  }
  describe(): FeatureSpec {
    return { ...this.inner.describe(), deltas: { ...this.options } };
  }
  outputShape(nSamples: number): number[] {
    const [rows, cols] = this.inner.outputShape(nSamples);
    return stackedDeltaShape([rows, cols], this.options.order);
  }
}

function isDeltaOrder(order: number): order is 1 | 2 {
  return (DELTA_ORDERS as readonly number[]).includes(order);
}

/** Plain-data description of an extractor: a config's feature section with the rate, or a FeatureSpec. */
export type ExtractorSpec = (
  | ({ kind: 'mel' } & MelSpectrogramOptions)
  | ({ kind: 'mfcc' } & MfccOptions)
  | ({ kind: 'meyda' } & MeydaFeaturesOptions)
) & { deltas?: DeltaFeatureOptions | null };

/** Build the extractor a spec describes. Unknown kinds throw ConfigError. */
export function createExtractor(spec: ExtractorSpec, onWarning?: WarningHandler): Extractor {
  const { deltas, ...rest } = spec;
  const base = createBaseExtractor(rest as ExtractorSpec, onWarning);
  return deltas && deltas.order > 0 ? new WithDeltas(base, deltas) : base;
}

function createBaseExtractor(spec: ExtractorSpec, onWarning?: WarningHandler): Extractor {
  const { kind, ...options } = spec;
  switch (kind) {
    case 'mel': return new MelSpectrogram(options as MelSpectrogramOptions, onWarning);
    case 'mfcc': return new Mfcc(options as MfccOptions, onWarning);
    case 'meyda': return new MeydaFeatures(options as MeydaFeaturesOptions);
    default: throw new ConfigError('kind', kind, `expected one of ${EXTRACTOR_KINDS.join(', ')}`);
  }
}

/**
 * JSON with object keys sorted at every level (arrays keep their order), so equal parameter
 * sets give equal text whatever order their keys were written in. `undefined` members are dropped.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}

/**
 * Short cache key: the first 16 hex digits of sha256(canonicalJson(describe())). `extra` folds in
 * settings that precede the extractor and change its input (e.g. resampling, clip length) as
 * `{ features: describe(), ...extra }`.
 */
export function cacheKey(extractor: Extractor, extra?: Record<string, unknown>): string {
  const payload = extra ? { features: extractor.describe(), ...extra } : extractor.describe();
  return createHash('sha256').update(canonicalJson(payload)).digest('hex').slice(0, 16);
}
