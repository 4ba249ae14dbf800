/**
 * Mel-frequency cepstral coefficients as torchaudio.transforms.MFCC and librosa.feature.mfcc:
 * a DCT-II over the mel axis of the log-mel spectrogram (in dB by default:
 * AmplitudeToDB('power', top_db = 80), i.e. 10 log10 whatever the spectrogram power).
 */
import { ConfigError } from '../errors';
import { MEL_OUTPUT_SCALES, type MelOutputScale, MelPlan, type MelSpectrogramOptions, type ResolvedMelSpectrogramOptions, powerToDbInto, resolveMelSpectrogramOptions } from './mel';

export const DCT_NORMS = ['ortho', null] as const;
export type DctNorm = (typeof DCT_NORMS)[number];

/** The MFCC defaults that differ from the mel spectrogram's (`MEL_DEFAULTS`), declared once. */
export const MFCC_DEFAULTS = { nMfcc: 20, scale: 'db', dctNorm: 'ortho' } as const;

/**
 * DCT-II matrix. Output: row-major Float32Array of shape [nMfcc, nMels] (torchaudio's create_dct
 * returns the transpose). Row k: cos(pi / nMels * (n + 0.5) * k); 'ortho' scales by sqrt(2 / nMels)
 * and row 0 by a further 1/sqrt(2), making the full nMels x nMels matrix orthonormal (scipy
 * dct(type=2, norm='ortho')); null scales by 2 (scipy's unnormalised DCT-II).
 */
export function dctMatrix(nMfcc: number, nMels: number, norm: DctNorm = 'ortho'): Float32Array {
  if (!Number.isInteger(nMels) || nMels < 1) throw new ConfigError('nMels', nMels, 'expected an integer >= 1');
  if (!Number.isInteger(nMfcc) || nMfcc < 1 || nMfcc > nMels) throw new ConfigError('nMfcc', nMfcc, `expected an integer in [1, nMels = ${nMels}]`);
  const out = new Float32Array(nMfcc * nMels);
  for (let k = 0; k < nMfcc; k++) {
    const scale = norm === 'ortho' ? Math.sqrt(2 / nMels) * (k === 0 ? Math.SQRT1_2 : 1) : 2;
    for (let n = 0; n < nMels; n++) out[k * nMels + n] = scale * Math.cos((Math.PI / nMels) * (n + 0.5) * k);
  }
  return out;
}

export interface MfccOptions extends MelSpectrogramOptions {
  /** Number of coefficients kept, 1 <= nMfcc <= nMels. Default 20. */
  nMfcc?: number;
  /** DCT normalisation: 'ortho' (librosa and torchaudio default) or null. Default 'ortho'. */
  dctNorm?: DctNorm;
  /**
   * Log applied to the mel power before the DCT: 'db' = 10 log10 with dbAmin, dbRef, dbTopDb
   * (torchaudio MFCC, librosa mfcc); 'log' = ln(x + logOffset) (torchaudio log_mels = True);
   * 'linear' = none. Default 'db'.
   */
  scale?: MelOutputScale;
}

export type ResolvedMfccOptions = ResolvedMelSpectrogramOptions & { nMfcc: number; dctNorm: DctNorm };

export function resolveMfccOptions(options: MfccOptions = {}): ResolvedMfccOptions {
  const mel = resolveMelSpectrogramOptions({ ...options, scale: options.scale ?? MFCC_DEFAULTS.scale });
  const nMfcc = options.nMfcc ?? MFCC_DEFAULTS.nMfcc;
  if (!Number.isInteger(nMfcc) || nMfcc < 1 || nMfcc > mel.nMels) throw new ConfigError('nMfcc', nMfcc, `expected an integer in [1, nMels = ${mel.nMels}]`);
  const dctNorm = options.dctNorm === undefined ? MFCC_DEFAULTS.dctNorm : options.dctNorm;
  if (!DCT_NORMS.includes(dctNorm)) throw new ConfigError('dctNorm', dctNorm, "expected 'ortho' or null");
  if (!MEL_OUTPUT_SCALES.includes(mel.scale)) throw new ConfigError('scale', mel.scale, `expected one of ${MEL_OUTPUT_SCALES.join(', ')}`);
  return { ...mel, nMfcc, dctNorm };
}

/** MFCC of fixed settings with the mel plan and DCT matrix computed once. One per thread. */
export class MfccPlan {
  readonly options: ResolvedMfccOptions;
  private readonly mel: MelPlan;
  private readonly dct: Float32Array;

  constructor(options: MfccOptions = {}, onWarning?: (message: string) => void) {
    this.options = resolveMfccOptions(options);
    this.mel = new MelPlan({ ...this.options, scale: 'linear' }, onWarning);
    this.dct = dctMatrix(this.options.nMfcc, this.options.nMels, this.options.dctNorm);
  }

  /** [nMfcc, nFrames] for a signal of nSamples samples. */
  outputShape(nSamples: number): [number, number] {
    return [this.options.nMfcc, this.mel.outputShape(nSamples)[1]];
  }

  /** MFCCs. Output: row-major [nMfcc, nFrames]. */
  run(samples: ArrayLike<number>): { data: Float32Array; shape: [number, number] } {
    const o = this.options;
    const { data: mel, shape } = this.mel.run(samples);
    const nFrames = shape[1];
    if (o.scale === 'db') powerToDbInto(mel, mel, { ref: o.dbRef, amin: o.dbAmin, topDb: o.dbTopDb, multiplier: 10 });
    else if (o.scale === 'log') for (let i = 0; i < mel.length; i++) mel[i] = Math.log(mel[i] + o.logOffset);
    return { data: applyDct(this.dct, o.nMfcc, o.nMels, mel, nFrames), shape: [o.nMfcc, nFrames] };
  }
}

/** [nMfcc, nMels] x [nMels, nFrames] -> [nMfcc, nFrames]. */
function applyDct(dct: Float32Array, nMfcc: number, nMels: number, mel: Float32Array, nFrames: number): Float32Array {
  const out = new Float32Array(nMfcc * nFrames);
  const acc = new Float64Array(nFrames);
  for (let k = 0; k < nMfcc; k++) {
    acc.fill(0);
    for (let m = 0; m < nMels; m++) {
      const w = dct[k * nMels + m];
      const row = m * nFrames;
      for (let t = 0; t < nFrames; t++) acc[t] += w * mel[row + t];
    }
    out.set(acc, k * nFrames);
  }
  return out;
}

/** MFCCs of a mono signal. Output: row-major Float32Array of shape [nMfcc, nFrames]. */
export function mfcc(samples: ArrayLike<number>, options: MfccOptions = {}): { data: Float32Array; shape: [number, number] } {
  return new MfccPlan(options).run(samples);
}
