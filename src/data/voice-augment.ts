/**
 * Waveform augmentation for voices the data lacks: a pitch shift that keeps the tempo and a
 * formant (vocal-tract-length) warp that keeps the pitch. FSDD's six speakers are adult men; a
 * child or a woman differs from them in both f0 and formant positions, and a speed perturbation
 * moves the two together while changing the duration. These two move each one alone. Pure: a new
 * Float32Array out, the input untouched. docs/augmentation.md gives their cost.
 */
import FFT = require('fft.js');
import type { Resampler } from '../audio/resample';
import { MelbookError } from '../errors';
import { speedPerturb } from './augment-waveform';

/** WSOLA frame length, in seconds: two pitch periods of a 100 Hz voice; longer frames smear onsets more. */
const STRETCH_FRAME_S = 0.02;
/** How far WSOLA may move a frame to keep the waveform continuous, in seconds: half a period of 80 Hz, enough to line up any phase. */
const STRETCH_TOLERANCE_S = 0.00625;

/** A periodic Hann window: at 50 % overlap its copies sum to exactly 1. */
function periodicHann(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n));
}

/**
 * Time-stretch by WSOLA (Verhelst & Roelands 1993): output frames are laid at a fixed hop and
 * each input frame is taken near its nominal position, moved within ±6.25 ms to the offset whose
 * waveform best continues the previous frame (largest cross-correlation), so periods line up and
 * the pitch stays. `stretch` > 1 makes the clip longer (slower).
 * @returns a new Float32Array of `round(samples.length * stretch)` samples.
 */
export function timeStretch(samples: Float32Array, stretch: number, rateHz: number): Float32Array {
  if (!(stretch > 0) || !Number.isFinite(stretch)) throw new MelbookError(`timeStretch: stretch must be a positive number (1 = unchanged), got ${stretch}`);
  checkRate('timeStretch', rateHz);
  const frame = 2 * Math.max(2, Math.round((STRETCH_FRAME_S * rateHz) / 2));
  const hop = frame / 2;
  const tolerance = Math.max(1, Math.round(STRETCH_TOLERANCE_S * rateHz));
  const outLength = Math.round(samples.length * stretch);
  // Zeros after the clip, so frames near the end have a full window to read.
  const x = new Float32Array(samples.length + 2 * frame);
  x.set(samples);
  const window = periodicHann(frame);
  const out = new Float64Array(outLength + frame);
  const maxStart = x.length - frame - hop;
  let prev = 0;
  for (let k = 0; k * hop < outLength; k++) {
    const nominal = Math.min(maxStart, Math.round((k * hop) / stretch));
    const start = k === 0 ? 0 : bestOffset(x, prev + hop, nominal, tolerance, frame, maxStart);
    for (let i = 0; i < frame; i++) out[k * hop + i] += window[i] * x[start + i];
    prev = start;
  }
  return Float32Array.from(out.subarray(0, outLength));
}

/** The start in [nominal - tolerance, nominal + tolerance] whose frame best matches x[target..]. */
function bestOffset(x: Float32Array, target: number, nominal: number, tolerance: number, frame: number, maxStart: number): number {
  let best = Math.max(0, Math.min(maxStart, nominal));
  let bestScore = -Infinity;
  const lo = Math.max(0, nominal - tolerance);
  const hi = Math.min(maxStart, nominal + tolerance);
  for (let s = lo; s <= hi; s++) {
    let score = 0;
    // Every other sample: half the cost, and 4 kHz is still above every f0.
    for (let i = 0; i < frame; i += 2) score += x[s + i] * x[target + i];
    if (score > bestScore) {
      bestScore = score;
      best = s;
    }
  }
  return best;
}

/**
 * Shift the pitch by `semitones` with the duration kept: stretch the clip by r = 2^(semitones/12)
 * (WSOLA, pitch unchanged), then play it r times faster by resampling (`speedPerturb`), which
 * raises every frequency by r and brings the length back. The formants move with the pitch, as
 * in a speed perturbation; add `formantWarp(1 / r)` to keep them.
 * @returns a new Float32Array of about `samples.length` samples (within a few samples: the
 *   resampling ratio is rounded to 1 / rateHz).
 */
export async function pitchShift(samples: Float32Array, semitones: number, rateHz: number, resampler: Resampler): Promise<Float32Array> {
  if (!Number.isFinite(semitones) || Math.abs(semitones) > 12) throw new MelbookError(`pitchShift: semitones must be a number from -12 to 12, got ${semitones}`);
  checkRate('pitchShift', rateHz);
  if (semitones === 0) return samples.slice();
  const r = 2 ** (semitones / 12);
  return speedPerturb(timeStretch(samples, r, rateHz), r, resampler, { baseRateHz: rateHz });
}

/**
 * Spectral-envelope half-width, in Hz: half the harmonic spacing of a 160 Hz voice (FSDD's range),
 * so a harmonic is always in reach; wider blurs the formant peaks and the warp then moves them less.
 */
const ENVELOPE_HALF_WIDTH_HZ = 60;
/** Largest gain the warp puts on any bin (20 dB), so a valley of the envelope does not blow up the noise in it. */
const MAX_GAIN = 10;

/**
 * Vocal-tract-length warp on the linear spectrum (VTLP, Jaitly & Hinton 2013, applied in Hz):
 * per STFT frame (64 ms at 8 kHz, hop 1/4), the spectral envelope E (the log magnitude's running
 * maximum over ±80 Hz, smoothed: a curve over the harmonic peaks) is replaced by E(f / factor): each bin is multiplied by
 * E(f / factor) / E(f), phase kept, then overlap-added back. The harmonics stay where they are
 * (f0 unchanged) while the formants move by `factor` (> 1: a shorter vocal tract, as of a woman
 * or child). The output has the input's RMS.
 * @returns a new Float32Array of `samples.length` samples.
 */
export function formantWarp(samples: Float32Array, factor: number, rateHz: number): Float32Array {
  if (!(factor >= 0.5 && factor <= 2)) throw new MelbookError(`formantWarp: factor must be from 0.5 to 2 (1 = unchanged), got ${factor}`);
  checkRate('formantWarp', rateHz);
  if (factor === 1 || samples.length === 0) return samples.slice();
  const nFft = 2 ** Math.max(4, Math.round(Math.log2(0.064 * rateHz)));
  const hop = nFft / 4;
  const halfWidth = Math.max(1, Math.round((ENVELOPE_HALF_WIDTH_HZ * nFft) / rateHz));
  const window = periodicHann(nFft);
  const fft = new FFT(nFft);
  const spectrum = fft.createComplexArray() as number[];
  const back = fft.createComplexArray() as number[];
  const frame = new Float64Array(nFft);
  // Half a frame of zeros either side, so every sample is covered by four frames.
  const padded = new Float64Array(samples.length + 2 * nFft);
  padded.set(samples, nFft / 2);
  const out = new Float64Array(padded.length);
  const norm = new Float64Array(padded.length);
  for (let start = 0; start + nFft <= padded.length; start += hop) {
    for (let i = 0; i < nFft; i++) frame[i] = padded[start + i] * window[i];
    fft.realTransform(spectrum, frame);
    fft.completeSpectrum(spectrum);
    applyWarp(spectrum, nFft, factor, halfWidth);
    fft.inverseTransform(back, spectrum);
    for (let i = 0; i < nFft; i++) {
      out[start + i] += back[2 * i] * window[i];
      norm[start + i] += window[i] * window[i];
    }
  }
  const result = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const j = i + nFft / 2;
    result[i] = norm[j] > 1e-8 ? out[j] / norm[j] : 0;
  }
  return matchRms(result, samples);
}

/** Multiply the bins of one full complex spectrum by E(f / factor) / E(f), mirrored for the negative frequencies. */
function applyWarp(spectrum: number[], nFft: number, factor: number, halfWidth: number): void {
  const nBins = nFft / 2 + 1;
  const env = logEnvelope(spectrum, nBins, halfWidth);
  for (let k = 0; k < nBins; k++) {
    const src = k / factor;
    const lo = Math.min(nBins - 1, Math.floor(src));
    const hi = Math.min(nBins - 1, lo + 1);
    const warped = env[lo] + (src - lo) * (env[hi] - env[lo]);
    const gain = src > nBins - 1 ? 0 : Math.min(MAX_GAIN, Math.exp(warped - env[k]));
    spectrum[2 * k] *= gain;
    spectrum[2 * k + 1] *= gain;
    if (k > 0 && k < nBins - 1) {
      spectrum[2 * (nFft - k)] *= gain;
      spectrum[2 * (nFft - k) + 1] *= gain;
    }
  }
}

/**
 * The spectral envelope of bins 0..nBins-1 in natural log: the largest log magnitude within
 * ±halfWidth bins (so the envelope runs over the harmonic peaks, not the valleys between them),
 * then averaged over ±halfWidth/2 bins (prefix sums) to smooth the steps of the maximum.
 */
function logEnvelope(spectrum: number[], nBins: number, halfWidth: number): Float64Array {
  const log = new Float64Array(nBins);
  for (let k = 0; k < nBins; k++) log[k] = Math.log(Math.hypot(spectrum[2 * k], spectrum[2 * k + 1]) + 1e-9);
  const prefix = new Float64Array(nBins + 1);
  for (let k = 0; k < nBins; k++) {
    let max = -Infinity;
    for (let j = Math.max(0, k - halfWidth); j <= Math.min(nBins - 1, k + halfWidth); j++) max = Math.max(max, log[j]);
    prefix[k + 1] = prefix[k] + max;
  }
  const smooth = Math.max(1, halfWidth >> 1);
  const env = new Float64Array(nBins);
  for (let k = 0; k < nBins; k++) {
    const lo = Math.max(0, k - smooth);
    const hi = Math.min(nBins, k + smooth + 1);
    env[k] = (prefix[hi] - prefix[lo]) / (hi - lo);
  }
  return env;
}

/** `x` scaled in place to the RMS of `reference` (unchanged when either is silent). */
function matchRms(x: Float32Array, reference: Float32Array): Float32Array {
  let a = 0;
  let b = 0;
  for (let i = 0; i < x.length; i++) a += x[i] * x[i];
  for (let i = 0; i < reference.length; i++) b += reference[i] * reference[i];
  if (a > 0 && b > 0) {
    const scale = Math.sqrt(b / a);
    for (let i = 0; i < x.length; i++) x[i] *= scale;
  }
  return x;
}

function checkRate(fn: string, rateHz: number): void {
  if (!Number.isInteger(rateHz) || rateHz < 1000 || rateHz > 192_000) throw new MelbookError(`${fn}: rateHz must be an integer number of Hz from 1000 to 192000, got ${rateHz}`);
}
