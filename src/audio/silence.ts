/**
 * Leading and trailing silence removal, in the spirit of `librosa.effects.trim`: a frame is
 * silent when its RMS is more than `topDb` below the loudest frame of the clip, and the clip is
 * cut from the start of the first non-silent frame to the end of the last one.
 *
 * Why: FSDD speakers leave very different gaps before and after the digit (mean leading silence
 * 0 ms for nicolas, 88 ms for lucas). With end padding to a fixed length, the same word then
 * starts at different frames and ends in different amounts of digital silence depending on who
 * recorded it, which a model trained on other speakers learns as a cue. Trimming aligns every
 * word at the start of the window. The threshold is relative, so it does not depend on the
 * recording level (theo's clips peak ~20 dB below jackson's).
 */
import { MelbookError } from '../errors';

export interface TrimSilenceOptions {
  /** A frame is silent when its RMS is more than this many dB below the loudest frame. Default 30 dB. */
  topDb?: number;
  /** RMS frame length in samples (32 ms at 8 kHz). Default 256. */
  frameLength?: number;
  /** Samples between RMS frames; the cut points fall on this grid. Default 64. */
  hopLength?: number;
  /**
   * Which silence goes: `both` (leading and trailing, as librosa) or `start` (leading only:
   * aligns the word onset and keeps a quiet ending, such as the fricatives of "six"). Default `both`.
   */
  edges?: TrimEdges;
  /**
   * Samples kept on each side of the non-silent range (clipped to the clip). Weak fricative
   * onsets (the /s/ of "six", the /f/ of "five") sit 30-40 dB below the vowel, so a bare cut
   * drops them; 480 samples (60 ms at 8 kHz) keeps them while words still start at about the
   * same frame. Default 0.
   */
  margin?: number;
}

export const TRIM_EDGES = ['both', 'start'] as const;
export type TrimEdges = (typeof TRIM_EDGES)[number];

export type ResolvedTrimSilenceOptions = Required<TrimSilenceOptions>;

/** Defaults of `TrimSilenceOptions`, declared once. */
export const TRIM_SILENCE_DEFAULTS = { topDb: 30, frameLength: 256, hopLength: 64, edges: 'both', margin: 0 } as const satisfies ResolvedTrimSilenceOptions;

export function resolveTrimSilenceOptions(options: TrimSilenceOptions = {}): ResolvedTrimSilenceOptions {
  const d = TRIM_SILENCE_DEFAULTS;
  const r = { topDb: options.topDb ?? d.topDb, frameLength: options.frameLength ?? d.frameLength, hopLength: options.hopLength ?? d.hopLength, edges: options.edges ?? d.edges, margin: options.margin ?? d.margin };
  if (!TRIM_EDGES.includes(r.edges)) throw new MelbookError(`trimSilence: edges must be one of ${TRIM_EDGES.join(', ')}, got ${JSON.stringify(r.edges)}`);
  if (!(r.topDb > 0) || !Number.isFinite(r.topDb)) throw new MelbookError(`trimSilence: topDb must be a positive number of dB, got ${r.topDb}`);
  for (const k of ['frameLength', 'hopLength'] as const) {
    if (!Number.isInteger(r[k]) || r[k] < 1) throw new MelbookError(`trimSilence: ${k} must be a positive integer number of samples, got ${r[k]}`);
  }
  if (!Number.isInteger(r.margin) || r.margin < 0) throw new MelbookError(`trimSilence: margin must be a whole number of samples >= 0, got ${r.margin}`);
  return r;
}

/**
 * The `[start, end)` sample range that `trimSilence` keeps, with librosa's conventions: frame k
 * is centred on sample k * hopLength (zeros beyond the ends), start = first non-silent frame *
 * hopLength, end = min(n, (last non-silent frame + 1) * hopLength), then widened by `margin` on
 * each side within the clip. An all-zero or empty clip keeps everything.
 */
export function nonSilentRange(samples: Float32Array, options: TrimSilenceOptions = {}): [start: number, end: number] {
  const { topDb, frameLength, hopLength, edges, margin } = resolveTrimSilenceOptions(options);
  const n = samples.length;
  if (n === 0) return [0, 0];
  const frames = 1 + Math.floor(n / hopLength);
  const half = Math.floor(frameLength / 2);
  const power = new Float64Array(frames);
  let max = 0;
  for (let f = 0; f < frames; f++) {
    const a = Math.max(0, f * hopLength - half);
    const b = Math.min(n, f * hopLength - half + frameLength);
    let s = 0;
    for (let i = a; i < b; i++) s += samples[i] * samples[i];
    power[f] = s / frameLength; // zero padding counts as samples, as librosa's centred RMS
    if (power[f] > max) max = power[f];
  }
  if (max === 0) return [0, n];
  // RMS in dB relative to the loudest frame: 10 log10(p / max) > -topDb  <=>  p > max * 10^(-topDb/10)
  const threshold = max * 10 ** (-topDb / 10);
  let first = 0;
  while (power[first] <= threshold) first++;
  let last = frames - 1;
  while (power[last] <= threshold) last--;
  return [Math.max(0, first * hopLength - margin), edges === 'start' ? n : Math.min(n, (last + 1) * hopLength + margin)];
}

/** The clip without its leading and trailing silence; a new array. */
export function trimSilence(samples: Float32Array, options: TrimSilenceOptions = {}): Float32Array {
  const [start, end] = nonSilentRange(samples, options);
  return samples.slice(start, end);
}
