/**
 * Where a frequency lies along the rows of a spectrogram, for tick placement. Rows are in
 * "bin units": bin b covers [b, b + 1) and its centre frequency sits at b + 0.5.
 *
 * - mel: nBins + 2 points evenly spaced in mel between mel(fMinHz) and mel(fMaxHz); band b is
 *   centred on point b + 1 (the librosa / torchaudio filterbank layout).
 * - linear: bins evenly spaced from fMinHz (bin 0) to fMaxHz (last bin), as STFT bins
 *   0 .. nFft/2 span 0 Hz .. Nyquist.
 *
 * The Hz/mel formulas are repeated here (rather than imported from features) so that viz stays
 * a leaf module; test/viz checks they agree with src/features/filterbank.ts.
 */

export const MEL_SCALE_NAMES = ['htk', 'slaney'] as const;
export type MelScaleName = (typeof MEL_SCALE_NAMES)[number];

const SLANEY_F_SP = 200 / 3;
const SLANEY_MIN_LOG_HZ = 1000;
const SLANEY_MIN_LOG_MEL = SLANEY_MIN_LOG_HZ / SLANEY_F_SP;
const SLANEY_LOGSTEP = Math.log(6.4) / 27;

/** Hz to mel: HTK 2595 log10(1 + f/700); Slaney linear below 1 kHz (200/3 Hz a mel), log above. */
export function hzToMelScale(hz: number, scale: MelScaleName): number {
  if (scale === 'htk') return 2595 * Math.log10(1 + hz / 700);
  if (hz < SLANEY_MIN_LOG_HZ) return hz / SLANEY_F_SP;
  return SLANEY_MIN_LOG_MEL + Math.log(hz / SLANEY_MIN_LOG_HZ) / SLANEY_LOGSTEP;
}

/** Mel to Hz, the inverse of `hzToMelScale`. */
export function melScaleToHz(mel: number, scale: MelScaleName): number {
  if (scale === 'htk') return 700 * (10 ** (mel / 2595) - 1);
  if (mel < SLANEY_MIN_LOG_MEL) return SLANEY_F_SP * mel;
  return SLANEY_MIN_LOG_HZ * Math.exp(SLANEY_LOGSTEP * (mel - SLANEY_MIN_LOG_MEL));
}

export interface FrequencyAxis {
  /** Centre frequency of bin b in Hz. */
  binCentreHz(bin: number): number;
  /** Position of `hz` in bin units (bin b's centre is b + 0.5). */
  binPosition(hz: number): number;
}

/** The frequency layout of `nBins` mel bands between fMinHz and fMaxHz. */
export function melAxis(nBins: number, fMinHz: number, fMaxHz: number, scale: MelScaleName): FrequencyAxis {
  const lo = hzToMelScale(fMinHz, scale);
  const hi = hzToMelScale(fMaxHz, scale);
  const perPoint = (hi - lo) / (nBins + 1);
  return {
    binCentreHz: (bin) => melScaleToHz(lo + perPoint * (bin + 1), scale),
    binPosition: (hz) => (hzToMelScale(hz, scale) - lo) / perPoint - 1 + 0.5,
  };
}

/** The frequency layout of `nBins` evenly spaced bins from fMinHz (bin 0) to fMaxHz (bin nBins - 1). */
export function linearAxis(nBins: number, fMinHz: number, fMaxHz: number): FrequencyAxis {
  const perBin = nBins > 1 ? (fMaxHz - fMinHz) / (nBins - 1) : Math.max(fMaxHz - fMinHz, 1);
  return {
    binCentreHz: (bin) => fMinHz + perBin * bin,
    binPosition: (hz) => (hz - fMinHz) / perBin + 0.5,
  };
}
