/**
 * Band-limited (anti-aliased) sample-rate conversion with libsamplerate's windowed-sinc
 * converters, compiled to WASM by @alexanderolsen/libsamplerate-js.
 *
 * Output length is always `Math.round(n * toHz / fromHz)`, and output sample k sits at input
 * time k * fromHz / toHz (no delay): libsamplerate's own length rounds down and drops the last
 * sample now and then, so we feed a few zeros after the input (the converter assumes silence
 * beyond the ends anyway) and cut the result to length.
 *
 * Cost: every WASM instance costs ~50 ms to create and several MB of memory, so a `Resampler`
 * owns one instance and reuses it for every rate pair and quality (switching rates only
 * re-initialises libsamplerate's small filter state). `resample()` without a `resampler`
 * creates one for the call and destroys it afterwards: fine for a notebook, wasteful in a loop
 * over thousands of files, where you should create one `Resampler` and `dispose()` it at the end.
 *
 * Measured here per second of input on one core: 44.1 -> 8 kHz best 159 ms, medium 50 ms,
 * fastest 12 ms; 16 -> 8 kHz best 54 ms, medium 19 ms, fastest 4.5 ms.
 */
import type { create } from '@alexanderolsen/libsamplerate-js';
import { MelbookError } from '../errors';

/** libsamplerate converter qualities, from one list so the union cannot drift. */
export const RESAMPLE_QUALITIES = ['best', 'medium', 'fastest'] as const;
export type ResampleQuality = (typeof RESAMPLE_QUALITIES)[number];

export interface ResampleOptions {
  /**
   * libsamplerate converter: 'best' (passband to 97% of the lower Nyquist), 'medium' (90%),
   * 'fastest' (80%); all three attenuate aliases by about 97 dB. Default 'medium'.
   */
  quality?: ResampleQuality;
  /** Reuse this resampler's WASM instance instead of creating one for the call. Default: none. */
  resampler?: Resampler;
}

/** libsamplerate's converter ids: SRC_SINC_BEST_QUALITY, SRC_SINC_MEDIUM_QUALITY, SRC_SINC_FASTEST. */
const CONVERTERS: Record<ResampleQuality, ConverterTypeValue> = { best: 0, medium: 1, fastest: 2 };

/** Highest rate libsamplerate-js accepts, Hz. */
const MAX_RATE_HZ = 192_000;
/** The library copies through fixed WASM buffers of 1,008,000 floats; stay below that per call. */
const MAX_FRAMES_PER_CALL = 1_000_000;
/**
 * Input samples of context on each side of a chunk when a long signal is converted in pieces,
 * in units of the lower rate's sample period. libsamplerate's best filter reaches about 143
 * zero crossings each side, so beyond this the chunk boundaries are exact.
 */
const CONTEXT_PERIODS = 256;

type Converter = Awaited<ReturnType<typeof create>>;
type ConverterTypeValue = NonNullable<Parameters<typeof create>[3]>['converterType'];

/** Output length of a conversion: round(n * toHz / fromHz). */
export function resampledLength(n: number, fromHz: number, toHz: number): number {
  return Math.round((n * toHz) / fromHz);
}

/**
 * Resample mono `samples` from `fromHz` to `toHz` (positive integers up to 192000).
 * @returns a new Float32Array of `resampledLength(n, fromHz, toHz)` samples; when the rates are
 *   equal, the input array itself (not a copy).
 */
export async function resample(samples: Float32Array, fromHz: number, toHz: number, options: ResampleOptions = {}): Promise<Float32Array> {
  checkRate('fromHz', fromHz);
  checkRate('toHz', toHz);
  if (fromHz === toHz) return samples;
  if (options.resampler) return options.resampler.resample(samples, fromHz, toHz, options.quality);
  const own = new Resampler();
  try {
    return await own.resample(samples, fromHz, toHz, options.quality);
  } finally {
    own.dispose();
  }
}

/**
 * A reusable converter: one WASM instance for any number of calls, rate pairs and qualities.
 * Call `dispose()` when done (it frees libsamplerate's state; the WASM memory goes with the
 * object). Calls are synchronous inside the WASM module, so concurrent `await`s are safe.
 */
export class Resampler {
  private converter: Promise<Converter> | undefined;
  private disposed = false;

  /** Same contract as `resample()`; `quality` defaults to 'medium'. */
  async resample(samples: Float32Array, fromHz: number, toHz: number, quality: ResampleQuality = 'medium'): Promise<Float32Array> {
    checkRate('fromHz', fromHz);
    checkRate('toHz', toHz);
    if (!(quality in CONVERTERS)) {
      throw new MelbookError(`resample: unknown quality ${JSON.stringify(quality)}; use one of ${RESAMPLE_QUALITIES.join(', ')}`);
    }
    if (this.disposed) throw new MelbookError('resample: this Resampler was disposed; create a new one');
    if (fromHz === toHz) return samples;
    // The library is 2 MB of JS with the WASM inlined: load it on first use, not on import.
    this.converter ??= import('@alexanderolsen/libsamplerate-js').then((lib) =>
      lib.create(1, fromHz, toHz, { converterType: CONVERTERS[quality] }),
    );
    const converter = await this.converter;
    if (this.disposed) throw new MelbookError('resample: this Resampler was disposed while starting; create a new one');
    // From here on everything is synchronous, so no other call can switch the rates under us.
    configure(converter, fromHz, toHz, CONVERTERS[quality]);
    return convert(converter, samples, fromHz, toHz);
  }

  /** Free the WASM converter. Idempotent; later `resample` calls throw. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const pending = this.converter;
    this.converter = undefined;
    // A converter still being created is destroyed as soon as it exists.
    void pending?.then((c) => c.destroy(), () => undefined);
  }
}

/**
 * Each setter re-initialises libsamplerate's state, so only touch what changed. The wrapper's
 * `ratio` field is set only by its constructor, yet it decides whether a call fits the WASM
 * buffers (else the wrapper silently switches to its stateful chunked path), so update it too.
 */
function configure(c: Converter, fromHz: number, toHz: number, type: ConverterTypeValue): void {
  if (c.converterType !== type) c.converterType = type;
  if (c.inputSampleRate !== fromHz) c.inputSampleRate = fromHz;
  if (c.outputSampleRate !== toHz) c.outputSampleRate = toHz;
  c.ratio = toHz / fromHz;
}

/**
 * Convert a whole signal. Short signals go through libsamplerate's `simple` API in one call;
 * long ones are cut into chunks that start on input samples whose output time is an integer
 * (multiples of fromHz / gcd), each converted with enough context on both sides that the
 * stitched result equals a one-piece conversion.
 */
function convert(c: Converter, x: Float32Array, fromHz: number, toHz: number): Float32Array {
  const outLength = resampledLength(x.length, fromHz, toHz);
  const ratio = toHz / fromHz;
  // Zeros after the end let libsamplerate produce the last (rounded-up) output sample.
  const tail = Math.ceil(1 / ratio) + 2;
  const padded = x.length + tail;
  if (Math.max(padded, Math.ceil(padded * ratio)) <= MAX_FRAMES_PER_CALL) return simpleExact(c, x, tail, outLength);

  const g = gcd(fromHz, toHz);
  const stepIn = fromHz / g; // input samples per aligned step
  const stepOut = toHz / g; // output samples per aligned step
  const context = roundUp(Math.ceil(CONTEXT_PERIODS * Math.max(1, fromHz / toHz)), stepIn);
  // Largest aligned chunk whose input plus context and tail, and whose output, fit one call.
  const core = Math.floor((MAX_FRAMES_PER_CALL / Math.max(1, ratio) - tail - 2 * context) / stepIn) * stepIn;
  if (core <= 0) {
    throw new MelbookError(
      `resample: cannot convert ${x.length} samples from ${fromHz} Hz to ${toHz} Hz in aligned chunks ` +
        `(the rates share only a factor of ${g}); resample in shorter pieces or via an intermediate rate`,
    );
  }
  const out = new Float32Array(outLength);
  for (let start = 0; start < x.length; start += core) {
    const from = Math.max(0, start - context);
    const to = Math.min(x.length, start + core + context);
    const piece = simpleExact(c, x.subarray(from, to), tail, resampledLength(to - from, fromHz, toHz));
    const offset = (from / stepIn) * stepOut; // output index of the piece's first sample
    const first = (start / stepIn) * stepOut;
    const last = Math.min(outLength, ((start + core) / stepIn) * stepOut);
    out.set(piece.subarray(first - offset, last - offset), first);
  }
  return out;
}

/** One `simple` call on `x` plus `tail` zeros, cut (or, never in practice, zero-padded) to `length`. */
function simpleExact(c: Converter, x: Float32Array, tail: number, length: number): Float32Array {
  const padded = new Float32Array(x.length + tail);
  padded.set(x);
  const y = c.simple(padded);
  if (y.length >= length) return y.subarray(0, length).slice();
  const out = new Float32Array(length);
  out.set(y);
  return out;
}

function checkRate(name: string, hz: number): void {
  if (!Number.isInteger(hz) || hz < 1 || hz > MAX_RATE_HZ) {
    throw new MelbookError(`resample: ${name} must be an integer from 1 to ${MAX_RATE_HZ} Hz, got ${hz}`);
  }
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function roundUp(n: number, step: number): number {
  return Math.ceil(n / step) * step;
}
