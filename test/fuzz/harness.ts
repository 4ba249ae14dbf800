/**
 * Shared by the fuzz tests: the run budget, byte-level mutations of valid files, and the one
 * property every parser must keep (a value, or a named melbook error; nothing else).
 *
 * Budget: `MELBOOK_FUZZ_RUNS` inputs per property (default 1500) within `MELBOOK_FUZZ_SECONDS`
 * per property (default 2.5 s; 0 = no limit), so `npm test` stays quick and `npm run fuzz`
 * goes long. `MELBOOK_FUZZ_SEED` replays a failure fast-check reported.
 */
import fc from 'fast-check';
import { MelbookError } from '../../src/errors';

const RUNS = Number(process.env.MELBOOK_FUZZ_RUNS ?? 1500);
const SECONDS = Number(process.env.MELBOOK_FUZZ_SECONDS ?? (process.env.MELBOOK_FUZZ_RUNS ? 0 : 2.5));
const SEED = process.env.MELBOOK_FUZZ_SEED;

/** fast-check parameters for one property; `share` scales the run count (e.g. 0.5 for a slow one). */
export function fuzzParameters(share = 1): fc.Parameters<unknown> {
  return {
    numRuns: Math.max(1, Math.round(RUNS * share)),
    ...(SECONDS > 0 ? { interruptAfterTimeLimit: SECONDS * 1000 * share, markInterruptAsFailure: false } : {}),
    ...(SEED !== undefined ? { seed: Number(SEED) } : {}),
  };
}

/** A test timeout that covers the budget: generous when runs are unbounded in time. */
export const FUZZ_TEST_TIMEOUT_MS = SECONDS > 0 ? 120_000 : 24 * 3_600_000;

/**
 * Run `parse`; it may return anything or throw a MelbookError subclass. Any other exception
 * (TypeError, RangeError, a plain Error) is rethrown with the input's size, failing the property.
 */
export function valueOrMelbookError<T>(parse: () => T): T | MelbookError {
  try {
    return parse();
  } catch (error) {
    if (error instanceof MelbookError) return error;
    throw error;
  }
}

/** Field values that break size arithmetic: 0, odd, sign bits, 2^32 - 1. */
const HOSTILE_U32 = [0, 1, 3, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff];

type Mutation = (bytes: Uint8Array) => Uint8Array;

/** One byte-level change of a file: flip, overwrite, truncate, splice, duplicate, or a hostile u16/u32 field. */
export function mutation(): fc.Arbitrary<Mutation> {
  const at = fc.nat();
  return fc.oneof(
    fc.tuple(at, fc.integer({ min: 1, max: 255 })).map(([i, x]): Mutation => (b) => edit(b, (c) => { if (c.length) c[i % c.length] ^= x; })),
    fc.tuple(at, fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([i, xs]): Mutation => (b) => edit(b, (c) => { if (c.length) c.set(xs.subarray(0, c.length - (i % c.length)), i % c.length); })),
    at.map((n): Mutation => (b) => b.slice(0, n % (b.length + 1))),
    fc.tuple(at, fc.uint8Array({ maxLength: 64 })).map(([i, xs]): Mutation => (b) => splice(b, i % (b.length + 1), 0, xs)),
    fc.tuple(at, at).map(([i, n]): Mutation => (b) => splice(b, i % (b.length + 1), n % 64, new Uint8Array())),
    fc.tuple(at, at, at).map(([i, j, n]): Mutation => (b) => splice(b, i % (b.length + 1), 0, b.slice(j % (b.length + 1), (j % (b.length + 1)) + (n % 128)))),
    fc.tuple(fc.integer({ min: 0, max: 96 }), fc.constantFrom(...HOSTILE_U32), fc.boolean()).map(([i, v, wide]): Mutation => (b) => edit(b, (c) => {
      const view = new DataView(c.buffer, c.byteOffset, c.byteLength);
      if (wide && i + 4 <= c.length) view.setUint32(i, v >>> 0, true);
      else if (!wide && i + 2 <= c.length) view.setUint16(i, v & 0xffff, true);
    })),
  );
}

/** A valid file put through 1 to `max` mutations. */
export function mutated(valid: fc.Arbitrary<Uint8Array>, max = 4): fc.Arbitrary<Uint8Array> {
  return fc.tuple(valid, fc.array(mutation(), { minLength: 1, maxLength: max })).map(([b, ms]) => ms.reduce((x, m) => m(x), b));
}

function edit(bytes: Uint8Array, change: (copy: Uint8Array) => void): Uint8Array {
  const copy = bytes.slice();
  change(copy);
  return copy;
}

function splice(bytes: Uint8Array, start: number, remove: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length - Math.min(remove, bytes.length - start) + insert.length);
  out.set(bytes.subarray(0, start), 0);
  out.set(insert, start);
  out.set(bytes.subarray(start + remove), start + insert.length);
  return out;
}
