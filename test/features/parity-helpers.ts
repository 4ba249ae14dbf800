/**
 * Shared by the parity tests: where FSDD and the reference arrays live, a PCM16 WAV reader that
 * scales as torchaudio.load does (int16 / 32768), and the error measures the tests assert on.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const REFERENCE_DIR = path.resolve(REPO_ROOT, 'test', 'fixtures', 'reference');
export { FSDD_DIR, FSDD_MISSING, hasFsdd } from '../helpers/fsdd';

/** Mono PCM16 WAV as float32 in [-1, 1): int16 / 32768, exactly what torchaudio.load returns. */
export function readPcm16Mono(file: string): { samples: Float32Array; sampleRateHz: number } {
  const b = readFileSync(file);
  if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${file}: not a RIFF/WAVE file`);
  let pos = 12;
  let rate = 0;
  while (pos + 8 <= b.length) {
    const id = b.toString('ascii', pos, pos + 4);
    const size = b.readUInt32LE(pos + 4);
    if (id === 'fmt ') {
      if (b.readUInt16LE(pos + 8) !== 1 || b.readUInt16LE(pos + 10) !== 1 || b.readUInt16LE(pos + 22) !== 16) throw new Error(`${file}: not mono PCM16`);
      rate = b.readUInt32LE(pos + 12);
    } else if (id === 'data') {
      const n = Math.floor(Math.min(size, b.length - pos - 8) / 2);
      const samples = new Float32Array(n);
      for (let i = 0; i < n; i++) samples[i] = b.readInt16LE(pos + 8 + 2 * i) / 32768;
      return { samples, sampleRateHz: rate };
    }
    pos += 8 + size + (size & 1);
  }
  throw new Error(`${file}: no data chunk`);
}

/** First `length` samples, zero-padded at the end (the yardstick's 1 s fit). */
export function fitToLength(x: Float32Array, length: number): Float32Array {
  const out = new Float32Array(length);
  out.set(x.subarray(0, length));
  return out;
}

/**
 * Element-wise relative error max |a - b| / |b| over the elements of b whose magnitude is at least
 * `floor` times the array's peak magnitude. Below that floor an element carries no weight in any
 * use of the features (and both sides are dominated by float32 rounding of the large bins of the
 * same frame), so the ratio would measure torch's float32 FFT noise, not agreement.
 */
export function maxRelativeError(a: Float32Array, b: Float32Array, floor = 1e-6): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let peak = 0;
  for (let i = 0; i < b.length; i++) peak = Math.max(peak, Math.abs(b[i]));
  let worst = 0;
  for (let i = 0; i < b.length; i++) {
    const ref = Math.abs(b[i]);
    if (ref >= floor * peak && ref > 0) worst = Math.max(worst, Math.abs(a[i] - b[i]) / ref);
  }
  return worst;
}

/** Norm-wise relative error max |a - b| / max |b| over the whole array. */
export function normRelativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let peak = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    peak = Math.max(peak, Math.abs(b[i]));
  }
  return peak > 0 ? diff / peak : diff;
}

/** max |a - b|. */
export function maxAbsoluteError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  for (let i = 0; i < b.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
  return diff;
}
