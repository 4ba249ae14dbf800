/**
 * Fuzzing the .npy decoder: arrays encodeNpy writes, numpy-style headers with any dtype, order
 * and shape text, and byte-level mutations of both decode or fail with NpyFormatError; a header
 * claiming a huge shape is refused before anything is allocated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeNpy, encodeNpy } from '../../src/features/npy';
import { NpyFormatError } from '../../src/errors';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParameters, mutated, valueOrMelbookError } from './harness';

/** A float32 array of rank 0-4 with up to 60 elements, as encodeNpy writes it. */
const encoded = fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 4 }).chain((shape) => {
  const count = shape.reduce((a, b) => a * b, 1);
  return fc.float32Array({ minLength: count, maxLength: count }).map((data) => ({ data, shape, bytes: encodeNpy(data, shape) }));
});

/** A header of any version with a dict literal built from plausible and hostile parts. */
const handWritten = fc
  .record({
    major: fc.constantFrom(1, 2, 3, 4, 0),
    descr: fc.oneof(fc.constantFrom('<f4', '>f8', '|u1', '<i8', '>u8', '<f2', '|b1', '<c8', '<U4', 'O', '<f16', '=i2'), fc.string({ maxLength: 6 })),
    fortran: fc.constantFrom('True', 'False', 'maybe'),
    shape: fc.oneof(
      fc.array(fc.oneof(fc.nat(6), fc.constantFrom(4294967296, 2 ** 53, 1e21)).map(String), { maxLength: 5 }).map((ds) => `(${ds.join(', ')}${ds.length === 1 ? ',' : ''})`),
      fc.string({ maxLength: 12 }),
    ),
    quote: fc.constantFrom("'", '"'),
    body: fc.uint8Array({ maxLength: 256 }),
  })
  .map(({ major, descr, fortran, shape, quote, body }) => {
    const q = (s: string) => `${quote}${s}${quote}`;
    const dict = `{${q('descr')}: ${q(descr)}, ${q('fortran_order')}: ${fortran}, ${q('shape')}: ${shape}, }\n`;
    const text = Buffer.from(dict, major === 3 ? 'utf8' : 'latin1');
    const prefix = major === 1 ? 10 : 12;
    const out = new Uint8Array(prefix + text.length + body.length);
    out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
    const view = new DataView(out.buffer);
    if (major === 1) view.setUint16(8, text.length, true);
    else view.setUint32(8, text.length, true);
    out.set(text, prefix);
    out.set(body, prefix + text.length);
    return out;
  });

function decodesOrRefuses(bytes: Uint8Array): void {
  const r = valueOrMelbookError(() => decodeNpy(bytes, 'fuzz.npy'));
  if (r instanceof Error) {
    assert.ok(r instanceof NpyFormatError, `${r.name}: ${r.message}`);
    return;
  }
  assert.equal(r.data.length, r.shape.reduce((a, b) => a * b, 1), 'the data fills the shape');
  assert.ok(r.data.length <= bytes.length, 'no more elements than the file has bytes');
}

test('arrays encodeNpy writes decode to the same shape and data', { timeout: FUZZ_TEST_TIMEOUT_MS }, () => {
  fc.assert(fc.property(encoded, ({ data, shape, bytes }) => {
    const r = decodeNpy(bytes);
    assert.deepEqual(r.shape, shape);
    assert.deepEqual(new Uint8Array(r.data.buffer), new Uint8Array(data.buffer));
  }), fuzzParameters(0.3));
});

test('mutated .npy files (flipped, truncated, spliced, hostile length fields) decode or throw NpyFormatError', { timeout: FUZZ_TEST_TIMEOUT_MS }, () => {
  fc.assert(fc.property(mutated(encoded.map((e) => e.bytes)), decodesOrRefuses), fuzzParameters());
});

test('hand-written headers of any version, dtype, order and shape text decode or throw NpyFormatError', { timeout: FUZZ_TEST_TIMEOUT_MS }, () => {
  fc.assert(fc.property(fc.oneof(handWritten, mutated(handWritten, 2)), decodesOrRefuses), fuzzParameters());
});

test('a header claiming a huge shape in a tiny file is refused without allocating it', () => {
  const before = process.memoryUsage().arrayBuffers;
  for (const shape of ['(4000000000,)', '(100000, 100000, 100000)', '(99999999999999999999999,)', '(0, 99999999999999999999999)']) {
    const text = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }\n`;
    const bytes = Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, text.length, 0, ...Buffer.from(text, 'latin1'), 1, 2, 3, 4]);
    const r = valueOrMelbookError(() => decodeNpy(bytes, 'huge.npy'));
    assert.ok(r instanceof NpyFormatError, `shape ${shape}: ${r instanceof Error ? r.message : 'decoded'}`);
  }
  assert.ok(process.memoryUsage().arrayBuffers - before < 16 << 20, 'nothing near the claimed size was allocated');
});
