/**
 * Mel spectrograms as torchaudio.transforms.MelSpectrogram (+ log or AmplitudeToDB), and the dB
 * conversion of librosa.power_to_db / torchaudio AmplitudeToDB.
 *
 * The STFT and the mel projection are fused: each frame's power spectrum is projected on the
 * filterbank while it is still in cache, touching only the nonzero span of each filter.
 */
import { ConfigError } from '../errors';
import { MEL_SCALES, melFilterbank, type MelNorm, type MelScale, type SparseFilterbank, sparsifyFilterbank } from './filterbank';
import { type PadMode, resolveStftOptions, StftPlan } from './stft';

export const MEL_OUTPUT_SCALES = ['linear', 'log', 'db'] as const;
export type MelOutputScale = (typeof MEL_OUTPUT_SCALES)[number];

export interface MelSpectrogramOptions {
  /** Sample rate of the input in Hz. Default 8000 (FSDD). */
  sampleRateHz?: number;
  /** FFT size in samples (a power of two is fast). Default 256 (32 ms at 8 kHz). */
  nFft?: number;
  /** Window length in samples, at most nFft (zero-padded centred). Default nFft. */
  winLength?: number;
  /** Hop between frames in samples. Default 128. */
  hopLength?: number;
  /** Centre frames by padding nFft/2 on both sides. Default true. */
  center?: boolean;
  /** Centre padding: 'reflect' or 'constant'. Default 'reflect'. */
  padMode?: PadMode;
  /** Spectrogram exponent: 1 magnitude, 2 power. Default 2. */
  power?: 1 | 2;
  /** Number of mel bands. Default 64. */
  nMels?: number;
  /** Lowest filter edge in Hz. Default 0. */
  fMinHz?: number;
  /** Highest filter edge in Hz (<= sampleRateHz / 2). Default sampleRateHz / 2. */
  fMaxHz?: number;
  /** Mel scale formula. Default 'htk'. */
  melScale?: MelScale;
  /** Filter normalisation: null (peak 1) or 'slaney' (equal area). Default null. */
  norm?: MelNorm;
  /** Output scale: 'linear', 'log' = ln(x + logOffset), 'db' = powerToDb. Default 'log'. */
  scale?: MelOutputScale;
  /** Offset added before the natural log with scale 'log'. Default 1e-6 (as the PyTorch yardstick). */
  logOffset?: number;
  /** dB reference (a value, or 'max' for the spectrogram maximum) with scale 'db'. Default 1. */
  dbRef?: number | 'max';
  /** Floor applied before the log with scale 'db' (power units). Default 1e-10. */
  dbAmin?: number;
  /** Dynamic range kept below the peak in dB with scale 'db', or null for no clipping. Default 80. */
  dbTopDb?: number | null;
}

/**
 * The defaults of `MelSpectrogramOptions`, declared once: the resolver and the YAML schema
 * (config/schema.ts) both read them. They are the PyTorch yardstick's settings
 * (`../shared/bench/torch_fsdd.py` next to the repository). fMaxHz defaults to sampleRateHz / 2, winLength to nFft.
 */
export const MEL_DEFAULTS = {
  sampleRateHz: 8000,
  nFft: 256,
  hopLength: 128,
  center: true,
  power: 2,
  nMels: 64,
  fMinHz: 0,
  melScale: 'htk',
  norm: null,
  scale: 'log',
  logOffset: 1e-6,
  dbRef: 1,
  dbAmin: 1e-10,
  dbTopDb: 80,
} as const satisfies Omit<Required<MelSpectrogramOptions>, 'winLength' | 'padMode' | 'fMaxHz'>;

/** All options with defaults applied (fMaxHz resolved against the sample rate). */
export type ResolvedMelSpectrogramOptions = Required<MelSpectrogramOptions>;

/** Defaults: the settings of the PyTorch yardstick (`../shared/bench/torch_fsdd.py` next to the project). */
export function resolveMelSpectrogramOptions(options: MelSpectrogramOptions = {}): ResolvedMelSpectrogramOptions {
  const sampleRateHz = options.sampleRateHz ?? MEL_DEFAULTS.sampleRateHz;
  if (!(sampleRateHz > 0)) throw new ConfigError('sampleRateHz', sampleRateHz, 'expected a positive sample rate in Hz');
  const stft = resolveStftOptions({
    nFft: options.nFft ?? MEL_DEFAULTS.nFft,
    winLength: options.winLength,
    hopLength: options.hopLength ?? MEL_DEFAULTS.hopLength,
    center: options.center ?? MEL_DEFAULTS.center,
    padMode: options.padMode,
    power: options.power ?? MEL_DEFAULTS.power,
  });
  const nMels = options.nMels ?? MEL_DEFAULTS.nMels;
  const melScale = options.melScale ?? MEL_DEFAULTS.melScale;
  if (!MEL_SCALES.includes(melScale)) throw new ConfigError('melScale', melScale, `expected one of ${MEL_SCALES.join(', ')}`);
  const scale = options.scale ?? MEL_DEFAULTS.scale;
  if (!MEL_OUTPUT_SCALES.includes(scale)) throw new ConfigError('scale', scale, `expected one of ${MEL_OUTPUT_SCALES.join(', ')}`);
  const logOffset = options.logOffset ?? MEL_DEFAULTS.logOffset;
  if (!(logOffset > 0)) throw new ConfigError('logOffset', logOffset, 'expected a positive offset, e.g. 1e-6');
  const dbRef = options.dbRef ?? MEL_DEFAULTS.dbRef;
  if (dbRef !== 'max' && !(dbRef > 0)) throw new ConfigError('dbRef', dbRef, "expected a positive reference or 'max'");
  const dbAmin = options.dbAmin ?? MEL_DEFAULTS.dbAmin;
  if (!(dbAmin > 0)) throw new ConfigError('dbAmin', dbAmin, 'expected a positive floor, e.g. 1e-10');
  const dbTopDb = options.dbTopDb === undefined ? MEL_DEFAULTS.dbTopDb : options.dbTopDb;
  if (dbTopDb !== null && !(dbTopDb >= 0)) throw new ConfigError('dbTopDb', dbTopDb, 'expected a non-negative number of dB or null');
  return {
    sampleRateHz,
    nFft: stft.nFft,
    winLength: stft.winLength,
    hopLength: stft.hopLength,
    center: stft.center,
    padMode: stft.padMode,
    power: stft.power,
    nMels,
    fMinHz: options.fMinHz ?? MEL_DEFAULTS.fMinHz,
    fMaxHz: options.fMaxHz ?? sampleRateHz / 2,
    melScale,
    norm: options.norm ?? MEL_DEFAULTS.norm,
    scale,
    logOffset,
    dbRef,
    dbAmin,
    dbTopDb,
  };
}

export interface PowerToDbOptions {
  /** Reference value (0 dB), or 'max' for the maximum of S. Default 1. */
  ref?: number | 'max';
  /** Floor applied to S and ref before the log. Default 1e-10. */
  amin?: number;
  /** Clip values more than topDb below the peak, or null to keep all. Default 80. */
  topDb?: number | null;
  /** 10 for power (default), 20 for magnitude (torchaudio AmplitudeToDB stype 'magnitude'). */
  multiplier?: 10 | 20;
}

/**
 * Decibels: multiplier * log10(max(amin, S)) - multiplier * log10(max(amin, ref)), then
 * max(x, max(x) - topDb). Same shape as S. With multiplier 10 this is librosa.power_to_db and
 * torchaudio AmplitudeToDB('power') over a whole spectrogram.
 */
export function powerToDb(S: Float32Array, options: PowerToDbOptions = {}): Float32Array {
  const out = new Float32Array(S.length);
  powerToDbInto(S, out, options);
  return out;
}

/** `powerToDb` writing into `out` (may be S itself). */
export function powerToDbInto(S: Float32Array, out: Float32Array, options: PowerToDbOptions = {}): void {
  const amin = options.amin ?? 1e-10;
  const multiplier = options.multiplier ?? 10;
  const topDb = options.topDb === undefined ? 80 : options.topDb;
  let ref = options.ref ?? 1;
  if (ref === 'max') {
    ref = -Infinity;
    for (let i = 0; i < S.length; i++) if (S[i] > ref) ref = S[i];
  }
  const offset = multiplier * Math.log10(Math.max(amin, ref));
  let peak = -Infinity;
  for (let i = 0; i < S.length; i++) {
    const v = multiplier * Math.log10(Math.max(amin, S[i])) - offset;
    out[i] = v;
    if (v > peak) peak = v;
  }
  if (topDb !== null && S.length > 0) {
    const floor = Math.fround(peak - topDb);
    for (let i = 0; i < out.length; i++) if (out[i] < floor) out[i] = floor;
  }
}

/**
 * A mel spectrogram of fixed settings with its window, FFT tables and filterbank computed once.
 * Not re-entrant (shares work buffers across calls): one plan per thread.
 */
export class MelPlan {
  readonly options: ResolvedMelSpectrogramOptions;
  readonly stft: StftPlan;
  readonly filterbank: SparseFilterbank;

  constructor(options: MelSpectrogramOptions = {}, onWarning?: (message: string) => void) {
    this.options = resolveMelSpectrogramOptions(options);
    const o = this.options;
    this.stft = new StftPlan(o);
    const weights = melFilterbank({ ...o, onWarning });
    this.filterbank = sparsifyFilterbank(weights, o.nMels, this.stft.nFreqs);
  }

  /** [nMels, nFrames] for a signal of nSamples samples. */
  outputShape(nSamples: number): [number, number] {
    return [this.options.nMels, this.stft.frameCount(nSamples)];
  }

  /** Mel spectrogram in the configured scale. Output: row-major [nMels, nFrames]. */
  run(samples: ArrayLike<number>): { data: Float32Array; shape: [number, number] } {
    const [nMels, nFrames] = this.outputShape(samples.length);
    const data = new Float32Array(nMels * nFrames);
    const { weights, start, end, nFreqs } = this.filterbank;
    const o = this.options;
    // ln(x + offset) is applied while the frame is in cache; dB needs the global peak, so it comes after.
    const logOffset = o.scale === 'log' ? o.logOffset : -1;
    this.stft.forEachFrame(samples, (t, spectrum) => {
      for (let m = 0; m < nMels; m++) {
        const row = m * nFreqs;
        let acc = 0;
        for (let k = start[m]; k < end[m]; k++) acc += weights[row + k] * spectrum[k];
        data[m * nFrames + t] = logOffset > 0 ? Math.log(acc + logOffset) : acc;
      }
    });
    if (o.scale === 'db') {
      powerToDbInto(data, data, { ref: o.dbRef, amin: o.dbAmin, topDb: o.dbTopDb, multiplier: o.power === 1 ? 20 : 10 });
    }
    return { data, shape: [nMels, nFrames] };
  }
}

/**
 * Mel spectrogram of a mono signal (see MelSpectrogramOptions for the defaults).
 * Output: row-major Float32Array of shape [nMels, nFrames], nFrames as in `stftFrameCount`.
 * For many signals with the same settings, build one `MelPlan` and call `run`.
 */
export function melSpectrogram(
  samples: ArrayLike<number>,
  options: MelSpectrogramOptions = {},
): { data: Float32Array; shape: [number, number] } {
  return new MelPlan(options).run(samples);
}
