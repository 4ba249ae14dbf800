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
 */
import { ConfigError } from '../errors';

export const MEL_SCALES = ['htk', 'slaney'] as const;
export type MelScale = (typeof MEL_SCALES)[number];
export type MelNorm = null | 'slaney';

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
  /** Called with a message for each filter that has no nonzero weight (too many mels for nFft). Default: ignore. */
  onWarning?: (message: string) => void;
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

  const nFreqs = 1 + Math.floor(nFft / 2);
  const binHz = nFreqs > 1 ? Math.floor(sampleRateHz / 2) / (nFreqs - 1) : 0;
  const melMin = hzToMel(fMinHz, scale);
  const melMax = hzToMel(fMaxHz, scale);
  const fPts = new Float64Array(nMels + 2);
  for (let i = 0; i < nMels + 2; i++) fPts[i] = melToHz(melMin + ((melMax - melMin) * i) / (nMels + 1), scale);

  const fb = new Float32Array(nMels * nFreqs);
  for (let m = 0; m < nMels; m++) {
    const lo = fPts[m];
    const mid = fPts[m + 1];
    const hi = fPts[m + 2];
    const enorm = norm === 'slaney' ? 2 / (hi - lo) : 1;
    let any = false;
    for (let k = 0; k < nFreqs; k++) {
      const f = k * binHz;
      const down = (f - lo) / (mid - lo);
      const up = (hi - f) / (hi - mid);
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
