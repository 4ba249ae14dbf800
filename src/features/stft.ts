/**
 * Short-time Fourier transform to a power (or magnitude) spectrogram, following torch.stft /
 * torchaudio.transforms.Spectrogram:
 *
 * - frames of `nFft` samples every `hopLength` samples; with `center` the signal is first padded
 *   by nFft/2 on both sides (`reflect`: mirrored without repeating the edge sample, as
 *   numpy/torch 'reflect'; `constant`: zeros), so frame t is centred on sample t * hopLength;
 * - a periodic Hann window of `winLength` samples, zero-padded centred to nFft;
 * - one-sided spectrum, nFreqs = 1 + floor(nFft / 2) bins, bin k at k * sampleRate / nFft Hz;
 * - |X|^power, no normalisation.
 *
 * nFrames = 1 + floor((nSamples + 2 * (center ? floor(nFft / 2) : 0) - nFft) / hopLength), and 0 when
 * the (padded) signal is shorter than one frame.
 *
 * Power-of-two nFft (>= 4) uses fft.js's radix-4 real FFT. Any other nFft uses a direct real DFT
 * with precomputed twiddles: exact but O(nFft^2) per frame, so prefer powers of two.
 * All arithmetic is double precision; outputs are stored as float32.
 */
import FFT = require('fft.js');
import { ConfigError } from '../errors';
import { hannWindow, padWindowCentered } from './window';

export const PAD_MODES = ['reflect', 'constant'] as const;
export type PadMode = (typeof PAD_MODES)[number];

export interface StftOptions {
  /** FFT size in samples. Required. Powers of two are fast; other sizes use a slow exact DFT. */
  nFft: number;
  /** Window length in samples, 1 <= winLength <= nFft; the window is zero-padded centred to nFft. Default nFft. */
  winLength?: number;
  /** Hop between frame starts in samples. Default floor(winLength / 2) (torchaudio's default). */
  hopLength?: number;
  /** Pad nFft/2 samples on both sides so frames are centred on t * hopLength. Default true. */
  center?: boolean;
  /** Padding used when `center`: 'reflect' (torch/librosa default) or 'constant' (zeros). Default 'reflect'. */
  padMode?: PadMode;
  /** Exponent of the magnitude: 1 magnitude, 2 power. Default 2. */
  power?: 1 | 2;
}

export type ResolvedStftOptions = Required<StftOptions>;

export function resolveStftOptions(options: StftOptions): ResolvedStftOptions {
  const { nFft } = options;
  if (!Number.isInteger(nFft) || nFft < 1) throw new ConfigError('nFft', nFft, 'expected a positive integer number of samples, e.g. 256');
  const winLength = options.winLength ?? nFft;
  if (!Number.isInteger(winLength) || winLength < 1 || winLength > nFft) {
    throw new ConfigError('winLength', winLength, `expected an integer in [1, nFft = ${nFft}]`);
  }
  const hopLength = options.hopLength ?? Math.max(1, Math.floor(winLength / 2));
  if (!Number.isInteger(hopLength) || hopLength < 1) throw new ConfigError('hopLength', hopLength, 'expected a positive integer number of samples');
  const padMode = options.padMode ?? 'reflect';
  if (!PAD_MODES.includes(padMode)) throw new ConfigError('padMode', padMode, `expected one of ${PAD_MODES.join(', ')}`);
  const power = options.power ?? 2;
  if (power !== 1 && power !== 2) throw new ConfigError('power', power, 'expected 1 (magnitude) or 2 (power)');
  return { nFft, winLength, hopLength, center: options.center ?? true, padMode, power };
}

/** Number of one-sided frequency bins: 1 + floor(nFft / 2). */
export function stftBinCount(nFft: number): number {
  return 1 + Math.floor(nFft / 2);
}

/** Number of frames the STFT gives for `nSamples` samples (see module doc). */
export function stftFrameCount(nSamples: number, options: Pick<ResolvedStftOptions, 'nFft' | 'hopLength' | 'center'>): number {
  const padded = nSamples + (options.center ? 2 * Math.floor(options.nFft / 2) : 0);
  if (padded < options.nFft) return 0;
  return 1 + Math.floor((padded - options.nFft) / options.hopLength);
}

/**
 * Everything an STFT of fixed settings needs, computed once: window, FFT tables and work buffers.
 * Not re-entrant (the buffers are shared between calls); make one plan per thread.
 */
export class StftPlan {
  readonly options: ResolvedStftOptions;
  readonly nFreqs: number;
  private readonly window: Float64Array;
  /** First and one-past-last nonzero sample of the padded window. */
  private readonly winStart: number;
  private readonly winEnd: number;
  private readonly frame: Float64Array;
  private readonly spectrum: Float64Array;
  private readonly fft: FFT | null;
  private readonly fftOut: Float64Array;
  private readonly cosTable: Float64Array | null;
  private readonly sinTable: Float64Array | null;
  private padded = new Float64Array(0);

  constructor(options: StftOptions) {
    this.options = resolveStftOptions(options);
    const { nFft, winLength } = this.options;
    this.nFreqs = stftBinCount(nFft);
    this.window = padWindowCentered(hannWindow(winLength, true), nFft);
    this.winStart = Math.floor((nFft - winLength) / 2);
    this.winEnd = this.winStart + winLength;
    this.frame = new Float64Array(nFft);
    this.spectrum = new Float64Array(this.nFreqs);
    const pow2 = nFft >= 4 && (nFft & (nFft - 1)) === 0;
    this.fft = pow2 ? new FFT(nFft) : null;
    this.fftOut = new Float64Array(pow2 ? 2 * nFft : 0);
    this.cosTable = pow2 ? null : Float64Array.from({ length: nFft }, (_, m) => Math.cos((2 * Math.PI * m) / nFft));
    this.sinTable = pow2 ? null : Float64Array.from({ length: nFft }, (_, m) => Math.sin((2 * Math.PI * m) / nFft));
  }

  frameCount(nSamples: number): number {
    return stftFrameCount(nSamples, this.options);
  }

  /**
   * Compute each frame's one-sided |X|^power spectrum and hand it to `onFrame(t, spectrum)`.
   * `spectrum` (length nFreqs) is reused for every frame: copy what you keep.
   * Returns the number of frames.
   */
  forEachFrame(samples: ArrayLike<number>, onFrame: (t: number, spectrum: Float64Array) => void): number {
    const { hopLength } = this.options;
    const nFrames = this.frameCount(samples.length);
    if (nFrames === 0) return 0;
    const signal = this.padSignal(samples);
    const { frame, window, winStart, winEnd, spectrum } = this;
    for (let t = 0; t < nFrames; t++) {
      const offset = t * hopLength;
      for (let j = winStart; j < winEnd; j++) frame[j] = signal[offset + j] * window[j];
      this.transform();
      onFrame(t, spectrum);
    }
    return nFrames;
  }

  /** The signal with centre padding applied, in a buffer reused across calls. */
  private padSignal(samples: ArrayLike<number>): Float64Array {
    const pad = this.options.center ? Math.floor(this.options.nFft / 2) : 0;
    const total = samples.length + 2 * pad;
    if (this.padded.length < total) this.padded = new Float64Array(total);
    padSignalInto(samples, pad, this.options.padMode, this.padded);
    return this.padded;
  }

  /** `this.frame` -> `this.spectrum` as |X_k|^power for k in [0, nFreqs). */
  private transform(): void {
    const { frame, spectrum, nFreqs } = this;
    const squared = this.options.power === 2;
    if (this.fft) {
      const out = this.fftOut;
      this.fft.realTransform(out, frame);
      for (let k = 0; k < nFreqs; k++) {
        const re = out[2 * k];
        const im = out[2 * k + 1];
        const p = re * re + im * im;
        spectrum[k] = squared ? p : Math.sqrt(p);
      }
      return;
    }
    const n = frame.length;
    const cos = this.cosTable!;
    const sin = this.sinTable!;
    for (let k = 0; k < nFreqs; k++) {
      let re = 0;
      let im = 0;
      let m = 0; // (k * j) mod n, advanced incrementally
      for (let j = 0; j < n; j++) {
        re += frame[j] * cos[m];
        im -= frame[j] * sin[m];
        m += k;
        if (m >= n) m -= n;
      }
      const p = re * re + im * im;
      spectrum[k] = squared ? p : Math.sqrt(p);
    }
  }
}

/**
 * Write `samples` padded by `pad` samples on both sides into `out[0 .. n + 2 pad)`.
 * 'reflect' mirrors without repeating the edge sample (numpy/torch: x[-i] = x[i]) and needs
 * n > pad; 'constant' pads with zeros. `out` may be longer; the rest is left untouched.
 */
export function padSignalInto(samples: ArrayLike<number>, pad: number, padMode: PadMode, out: Float64Array | Float32Array): void {
  const n = samples.length;
  const total = n + 2 * pad;
  if (out.length < total) throw new RangeError(`padSignalInto: output of ${out.length} samples cannot hold ${total}`);
  for (let i = 0; i < n; i++) out[pad + i] = samples[i];
  if (pad === 0) return;
  if (padMode === 'reflect') {
    if (n <= pad) {
      throw new ConfigError('padMode', padMode, `a signal of ${n} samples is too short to reflect-pad by ${pad} (nFft / 2); use padMode 'constant' or a longer signal`);
    }
    for (let i = 1; i <= pad; i++) {
      out[pad - i] = samples[i];
      out[pad + n - 1 + i] = samples[n - 1 - i];
    }
  } else {
    out.fill(0, 0, pad);
    out.fill(0, pad + n, total);
  }
}

/**
 * Power (power 2) or magnitude (power 1) spectrogram of a mono signal.
 * Output: row-major Float32Array of shape [nFreqs = 1 + floor(nFft/2), nFrames] (frequency major).
 */
export function stft(samples: ArrayLike<number>, options: StftOptions): { data: Float32Array; shape: [number, number] } {
  const plan = new StftPlan(options);
  const nFrames = plan.frameCount(samples.length);
  const nFreqs = plan.nFreqs;
  const data = new Float32Array(nFreqs * nFrames);
  plan.forEachFrame(samples, (t, spectrum) => {
    for (let k = 0; k < nFreqs; k++) data[k * nFrames + t] = spectrum[k];
  });
  return { data, shape: [nFreqs, nFrames] };
}
