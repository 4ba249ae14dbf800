/**
 * Waveform-level augmentation, on samples before feature extraction: additive noise at a set SNR
 * and speed perturbation by resampling. Pure and seeded like the feature-level ones: a new
 * Float32Array out, the input untouched.
 */
import type { Resampler, ResampleQuality } from '../audio/resample';
import { MelbookError } from '../errors';
import { gaussianSource, type Random } from './random';

export interface AddNoiseOptions {
  /** Signal-to-noise ratio, in dB: 10 log10(signal power / noise power). Required. */
  snrDb: number;
}

/**
 * Add white Gaussian noise to a waveform at `snrDb` against the signal's mean power (over the
 * whole array, padding included). The drawn noise is scaled by its own measured power, as
 * torchaudio.functional.add_noise does, so the SNR is exact rather than exact on average.
 * A silent input (power 0) has no SNR to match: it comes back as an unchanged copy.
 */
export function addNoise(samples: Float32Array, random: Random, options: AddNoiseOptions): Float32Array {
  const { snrDb } = options;
  if (!Number.isFinite(snrDb)) throw new MelbookError(`addNoise: snrDb must be a finite number of dB, got ${snrDb}`);
  const n = samples.length;
  let signalPower = 0;
  for (let i = 0; i < n; i++) signalPower += samples[i] * samples[i];
  signalPower /= n;
  if (!(signalPower > 0)) return samples.slice();
  const normal = gaussianSource(random);
  const noise = new Float64Array(n);
  let noisePower = 0;
  for (let i = 0; i < n; i++) {
    noise[i] = normal();
    noisePower += noise[i] * noise[i];
  }
  noisePower /= n;
  const scale = Math.sqrt(signalPower / (noisePower * 10 ** (snrDb / 10)));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = samples[i] + scale * noise[i];
  return out;
}

export interface SpeedPerturbOptions {
  /**
   * Reference rate for the resampler, in Hz: the clip is treated as recorded at
   * round(baseRateHz * factor) and converted to baseRateHz, so the factor is applied to a
   * resolution of 1 / baseRateHz. Only the ratio matters. Default 8000 (FSDD's rate).
   */
  baseRateHz?: number;
  /** libsamplerate converter quality. Default 'medium'. */
  quality?: ResampleQuality;
}

/**
 * Speed and pitch perturbation (Ko et al. 2015, "Audio augmentation for speech recognition"):
 * play the clip `factor` times faster, which also raises every frequency by `factor` (a shorter
 * vocal tract, roughly). Done by band-limited resampling from rate*factor back to rate.
 * @returns a new Float32Array of about `samples.length / factor` samples (exactly
 *   `round(n * baseRateHz / round(baseRateHz * factor))`): the caller fits it back to the clip
 *   length with `fitLength`, as `waveformAugmenter` does.
 */
export async function speedPerturb(samples: Float32Array, factor: number, resampler: Resampler, options: SpeedPerturbOptions = {}): Promise<Float32Array> {
  const base = options.baseRateHz ?? 8000;
  if (!(factor > 0) || !Number.isFinite(factor)) throw new MelbookError(`speedPerturb: factor must be a positive number (1 = unchanged), got ${factor}`);
  const from = Math.round(base * factor);
  if (!Number.isInteger(base) || base < 1 || from < 1 || from > 192_000) {
    throw new MelbookError(`speedPerturb: baseRateHz ${base} times factor ${factor} must give a rate from 1 to 192000 Hz; use a factor near 1`);
  }
  if (from === base) return samples.slice();
  return resampler.resample(samples, from, base, options.quality ?? 'medium');
}
