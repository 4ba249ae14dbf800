/**
 * Triangular mel filterbanks, as torchaudio.functional.melscale_fbanks and librosa.filters.mel.
 *
 * nMels + 2 points equally spaced on the mel scale between mel(fMinHz) and mel(fMaxHz) are mapped
 * back to Hz: f[0..nMels+1]. Filter m rises linearly from 0 at f[m] to 1 at f[m+1] and falls to 0
 * at f[m+2], evaluated at the FFT bin frequencies k * (sr/2) / (nFreqs - 1). With norm 'slaney'
 * each filter is scaled by 2 / (f[m+2] - f[m]) so all filters have the same area (constant energy
 * per band) instead of the same peak.
 *
 * Bin frequencies use floor(sampleRateHz / 2) as torchaudio does (`sample_rate // 2`); librosa uses
 * sampleRateHz / 2. They only differ for odd sample rates.
 *
 * Arithmetic: by default the filterbank is computed with torchaudio's float32 operations, step for
 * step (including the way torch.linspace fills 8-wide vectors), so most weights equal torchaudio's
 * bit for bit. Rounding the band edges to float32 moves them by ~1e-3 Hz, which changes edge
 * weights by up to ~1e-5 and small mel bins by up to ~1e-4 relative; matching it is what brings the
 * mel spectrogram within 1e-4 of torchaudio. `arithmetic: 'float64'` computes in double precision
 * (as librosa does before casting to float32).
 */
import { ConfigError } from '../errors';

export const MEL_SCALES = ['htk', 'slaney'] as const;
export type MelScale = (typeof MEL_SCALES)[number];
/** Filter normalisations besides none (null): `slaney` gives each filter equal area. */
export const MEL_NORMS = ['slaney'] as const;
export type MelNorm = null | (typeof MEL_NORMS)[number];

/** Slaney (Auditory Toolbox) scale: linear below 1 kHz (200/3 Hz per mel), logarithmic above. */
const SLANEY_F_SP = 200 / 3;
const SLANEY_MIN_LOG_HZ = 1000;
const SLANEY_MIN_LOG_MEL = SLANEY_MIN_LOG_HZ / SLANEY_F_SP; // 15
const SLANEY_LOGSTEP = Math.log(6.4) / 27;

/** Hz to mel. HTK: 2595 log10(1 + f/700) (1000 Hz -> 999.99); Slaney: f / (200/3) below 1 kHz, then log (1000 Hz -> 15). */
export function hzToMel(hz: number, scale: MelScale = 'htk'): number {
  if (scale === 'htk') return 2595 * Math.log10(1 + hz / 700);
  if (hz < SLANEY_MIN_LOG_HZ) return hz / SLANEY_F_SP;
  return SLANEY_MIN_LOG_MEL + Math.log(hz / SLANEY_MIN_LOG_HZ) / SLANEY_LOGSTEP;
}

/** Mel to Hz, the inverse of `hzToMel` for the same scale. */
export function melToHz(mel: number, scale: MelScale = 'htk'): number {
  if (scale === 'htk') return 700 * (10 ** (mel / 2595) - 1);
  if (mel < SLANEY_MIN_LOG_MEL) return SLANEY_F_SP * mel;
  return SLANEY_MIN_LOG_HZ * Math.exp(SLANEY_LOGSTEP * (mel - SLANEY_MIN_LOG_MEL));
}

export interface MelFilterbankOptions {
  /** Sample rate of the signal in Hz. Required. */
  sampleRateHz: number;
  /** FFT size in samples; the filters span nFreqs = 1 + floor(nFft/2) bins. Required. */
  nFft: number;
  /** Number of mel filters (>= 1). Required. */
  nMels: number;
  /** Lower edge of the first filter in Hz. Default 0. */
  fMinHz?: number;
  /** Upper edge of the last filter in Hz, at most the Nyquist frequency. Default sampleRateHz / 2. */
  fMaxHz?: number;
  /** Mel scale formula. Default 'htk' (torchaudio's default; librosa's is 'slaney'). */
  melScale?: MelScale;
  /** null: peak 1 per filter; 'slaney': equal area per filter. Default null. */
  norm?: MelNorm;
  /** 'torch-float32' reproduces torchaudio's float32 steps; 'float64' is exact (librosa). Default 'torch-float32'. */
  arithmetic?: FilterbankArithmetic;
  /** Called with a message for each filter that has no nonzero weight (too many mels for nFft). Default: ignore. */
  onWarning?: (message: string) => void;
}

export const FILTERBANK_ARITHMETICS = ['torch-float32', 'float64'] as const;
export type FilterbankArithmetic = (typeof FILTERBANK_ARITHMETICS)[number];

const identity = (x: number): number => x;

/**
 * n evenly spaced values from a to b as torch.linspace computes them in float32 on an x86 CPU:
 * step = (b - a) / (n - 1); the first half counts up from a, the second half down from b. The
 * vectorised kernel (8 floats per vector, two vectors per iteration, compiled with FMA) computes
 * each vector's first value with one fused multiply-add and adds j * step for the others; the
 * tail that does not fill two vectors is computed one element at a time. Verified against torch
 * 1.13 (AVX2). With `round` = identity this is an exact double-precision linspace.
 */
function linspace(a: number, b: number, n: number, round: (x: number) => number): Float64Array {
  const out = new Float64Array(n);
  if (n === 1) {
    out[0] = round(a);
    return out;
  }
  const start = round(a);
  const end = round(b);
  const step = round((end - start) / (n - 1));
  const half = Math.floor(n / 2);
  // step * i is exact in double (24-bit mantissa times i < 2^29), so round(x +- step * i) is one fused rounding.
  const fused = (i: number): number => (i < half ? round(start + step * i) : round(end - step * (n - i - 1)));
  const separate = (i: number): number => (i < half ? round(start + round(step * i)) : round(end - round(step * (n - i - 1))));
  const VEC = 8;
  const vecEnd = round === identity ? 0 : Math.floor(n / (2 * VEC)) * 2 * VEC;
  for (let i = 0; i < n; i++) {
    if (i < vecEnd) {
      const base = i - (i % VEC);
      out[i] = round(fused(base) + round(step * (i - base)));
    } else out[i] = separate(i);
  }
  return out;
}

/**
 * Mel filterbank. Output: row-major Float32Array of shape [nMels, nFreqs] (one filter per row).
 * torchaudio's melscale_fbanks returns the transpose, [nFreqs, nMels]; librosa's mel matches this.
 */
export function melFilterbank(options: MelFilterbankOptions): Float32Array {
  const { sampleRateHz, nFft, nMels } = options;
  const fMinHz = options.fMinHz ?? 0;
  const nyquist = sampleRateHz / 2;
  const fMaxHz = options.fMaxHz ?? nyquist;
  const scale = options.melScale ?? 'htk';
  const norm = options.norm ?? null;
  if (!(sampleRateHz > 0)) throw new ConfigError('sampleRateHz', sampleRateHz, 'expected a positive sample rate in Hz, e.g. 8000');
  if (!Number.isInteger(nFft) || nFft < 1) throw new ConfigError('nFft', nFft, 'expected a positive integer number of samples');
  if (!Number.isInteger(nMels) || nMels < 1) throw new ConfigError('nMels', nMels, 'expected an integer >= 1');
  if (!MEL_SCALES.includes(scale)) throw new ConfigError('melScale', scale, `expected one of ${MEL_SCALES.join(', ')}`);
  if (norm !== null && norm !== 'slaney') throw new ConfigError('norm', norm, "expected null or 'slaney'");
  if (!(fMinHz >= 0)) throw new ConfigError('fMinHz', fMinHz, 'expected a frequency >= 0 Hz');
  if (!(fMaxHz <= nyquist)) throw new ConfigError('fMaxHz', fMaxHz, `expected at most the Nyquist frequency ${nyquist} Hz (sampleRateHz / 2)`);
  if (!(fMinHz < fMaxHz)) throw new ConfigError('fMinHz', fMinHz, `expected fMinHz below fMaxHz = ${fMaxHz} Hz`);

  const arithmetic = options.arithmetic ?? 'torch-float32';
  if (!FILTERBANK_ARITHMETICS.includes(arithmetic)) throw new ConfigError('arithmetic', arithmetic, `expected one of ${FILTERBANK_ARITHMETICS.join(', ')}`);
  const r = arithmetic === 'float64' ? identity : Math.fround;

  const nFreqs = 1 + Math.floor(nFft / 2);
  const freqs = linspace(0, Math.floor(sampleRateHz / 2), nFreqs, r);
  // The mel limits are Python floats (double) in torchaudio; the points between them are float32.
  const melPts = linspace(hzToMel(fMinHz, scale), hzToMel(fMaxHz, scale), nMels + 2, r);
  const fPts = melPts.map((mel) => melToHzRounded(mel, scale, r));

  const fb = new Float32Array(nMels * nFreqs);
  for (let m = 0; m < nMels; m++) {
    const lo = fPts[m];
    const hi = fPts[m + 2];
    const downDiff = r(fPts[m + 1] - lo);
    const upDiff = r(hi - fPts[m + 1]);
    const enorm = norm === 'slaney' ? r(2 / r(hi - lo)) : 1;
    let any = false;
    for (let k = 0; k < nFreqs; k++) {
      const down = r(r(freqs[k] - lo) / downDiff);
      const up = r(r(hi - freqs[k]) / upDiff);
      const w = Math.max(0, Math.min(down, up));
      if (w > 0) {
        fb[m * nFreqs + k] = w * enorm;
        any = true;
      }
    }
    if (!any) {
      options.onWarning?.(
        `mel filter ${m} of ${nMels} (${lo.toFixed(1)}-${hi.toFixed(1)} Hz) has all zero weights: ` +
          `nMels = ${nMels} is too high for nFft = ${nFft} at ${sampleRateHz} Hz; lower nMels or raise nFft`,
      );
    }
  }
  return fb;
}

/** melToHz with each float operation rounded by `r`, in torchaudio's order of operations. */
function melToHzRounded(mel: number, scale: MelScale, r: (x: number) => number): number {
  if (scale === 'htk') return r(700 * r(r(10 ** r(mel / 2595)) - 1));
  if (mel < SLANEY_MIN_LOG_MEL) return r(r(SLANEY_F_SP) * mel);
  return r(SLANEY_MIN_LOG_HZ * r(Math.exp(r(r(SLANEY_LOGSTEP) * r(mel - SLANEY_MIN_LOG_MEL)))));
}

/**
 * A filterbank stored by row with the nonzero span of each row: filter m is nonzero only on bins
 * [start[m], end[m]), so projecting a spectrum costs about 2 * nFreqs multiply-adds, not nMels * nFreqs.
 */
export interface SparseFilterbank {
  nFilters: number;
  nFreqs: number;
  /** Row-major [nFilters, nFreqs], as given. */
  weights: Float32Array;
  start: Int32Array;
  end: Int32Array;
}

/** Find each row's nonzero span of a [nFilters, nFreqs] filterbank. An empty row gets start = end. */
export function sparsifyFilterbank(weights: Float32Array, nFilters: number, nFreqs: number): SparseFilterbank {
  if (weights.length !== nFilters * nFreqs) throw new RangeError(`sparsifyFilterbank: ${weights.length} weights is not ${nFilters} x ${nFreqs}`);
  const start = new Int32Array(nFilters);
  const end = new Int32Array(nFilters);
  for (let m = 0; m < nFilters; m++) {
    const row = m * nFreqs;
    let s = 0;
    while (s < nFreqs && weights[row + s] === 0) s++;
    let e = nFreqs;
    while (e > s && weights[row + e - 1] === 0) e--;
    start[m] = s;
    end[m] = e;
  }
  return { nFilters, nFreqs, weights, start, end };
}
