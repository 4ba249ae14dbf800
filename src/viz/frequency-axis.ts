/**
 * Where a frequency lies along the rows of a spectrogram, for tick placement. Rows are in
 * "bin units": bin b covers [b, b + 1) and its centre frequency sits at b + 0.5.
 *
 * - mel: nMels + 2 points evenly spaced in mel between mel(fMinHz) and mel(fMaxHz); band b is
 *   centred on point b + 1 (the librosa / torchaudio filterbank layout), with the Hz/mel
 *   formulas of src/features/filterbank.ts, so the ticks follow the filters exactly.
 * - linear: bins evenly spaced from fMinHz (bin 0) to fMaxHz (last bin), as STFT bins
 *   0 .. nFft/2 span 0 Hz .. Nyquist.
 */
import { hzToMel, melToHz, type MelScale } from '../features/filterbank';

export interface FrequencyAxis {
  /** Centre frequency of bin b in Hz. */
  binCentreHz(bin: number): number;
  /** Position of `hz` in bin units (bin b's centre is b + 0.5). */
  binPosition(hz: number): number;
}

/** The frequency layout of `nMels` mel bands between fMinHz and fMaxHz. */
export function melAxis(nMels: number, fMinHz: number, fMaxHz: number, scale: MelScale): FrequencyAxis {
  const lo = hzToMel(fMinHz, scale);
  const hi = hzToMel(fMaxHz, scale);
  const perPoint = (hi - lo) / (nMels + 1);
  return {
    binCentreHz: (bin) => melToHz(lo + perPoint * (bin + 1), scale),
    binPosition: (hz) => (hzToMel(hz, scale) - lo) / perPoint - 1 + 0.5,
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
