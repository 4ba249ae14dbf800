/**
 * Fuzzing the WAV decoder: valid files of every supported format, mutated at the byte level,
 * and random chunk lists decode to audio or fail with AudioDecodeError, never anything else;
 * size fields far beyond the file are refused before anything is allocated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeWav } from '../../src/audio/wav';
import { encodeWav, WAV_FORMATS } from '../../src/audio/encode';
import { AudioDecodeError } from '../../src/errors';
import { riff, fmtBody, subFormatGuid } from '../audio/riff';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParameters, mutated, valueOrMelbookError } from './harness';

/** A valid WAV: 0-40 frames of 1-3 channels in any supported format, plain or extensible. */
const validWav = fc
  .tuple(fc.constantFrom(...WAV_FORMATS), fc.boolean(), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 192000 }))
  .map(([format, extensible, channels, frames, rate]) => {
    const chans = Array.from({ length: channels }, (_, c) => Float32Array.from({ length: frames }, (_, i) => Math.sin(i + c)));
    return encodeWav(channels === 1 ? chans[0] : chans, rate, { format, extensible });
  });

/** A RIFF file of arbitrary chunks: fmt bodies with any field values, data, junk, lying sizes. */
const chunkSoup = fc
  .array(
    fc.oneof(
      fc.record({ tag: fc.oneof(fc.constantFrom(1, 3, 0xfffe, 7), fc.nat(0xffff)), channels: fc.nat(9), rateHz: fc.nat(), bits: fc.constantFrom(0, 1, 8, 12, 16, 20, 24, 32, 64, 65535), blockAlign: fc.option(fc.nat(0xffff), { nil: undefined }), guidTag: fc.constantFrom(1, 3, 2) })
        .map((f) => ({ id: 'fmt ', body: fmtBody({ ...f, guid: subFormatGuid(f.guidTag) }) })),
      fc.uint8Array({ maxLength: 64 }).map((body) => ({ id: 'data', body })),
      fc.tuple(fc.constantFrom('LIST', 'fact', 'junk', 'data', 'fmt '), fc.uint8Array({ maxLength: 24 })).map(([id, body]) => ({ id, body })),
    ).chain((c) => fc.record({ id: fc.constant(c.id), body: fc.constant(c.body), declaredSize: fc.option(fc.constantFrom(0, 1, c.body.length + 1, 0x7fffffff, 0xffffffff), { nil: undefined }), pad: fc.boolean() })),
    { maxLength: 5 },
  )
  .map((chunks) => riff(chunks));

function decodesOrRefuses(bytes: Uint8Array): void {
  const r = valueOrMelbookError(() => decodeWav(bytes, 'fuzz.wav'));
  if (r instanceof Error) {
    assert.ok(r instanceof AudioDecodeError, `${r.name}: ${r.message}`);
    return;
  }
  assert.equal(r.samples.length, r.frames);
  assert.ok(r.frames * r.channels * (r.bitsPerSample / 8) <= bytes.length, 'no more frames than the file holds');
}

test('valid WAV files of every format decode to the frames they hold', { timeout: FUZZ_TEST_TIMEOUT_MS }, () => {
  fc.assert(fc.property(validWav, (bytes) => {
    const r = decodeWav(bytes, 'fuzz.wav');
    assert.equal(r.samples.length, r.frames);
  }), fuzzParameters(0.3));
});

test('mutated WAV files (flipped, truncated, spliced, hostile size fields) decode or throw AudioDecodeError', { timeout: FUZZ_TEST_TIMEOUT_MS }, () => {
  fc.assert(fc.property(mutated(validWav), decodesOrRefuses), fuzzParameters());
});

test('RIFF files of arbitrary chunks and field values decode or throw AudioDecodeError', { timeout: FUZZ_TEST_TIMEOUT_MS }, () => {
  fc.assert(fc.property(chunkSoup, decodesOrRefuses), fuzzParameters());
});

test('random bytes, with or without a RIFF/WAVE header, decode or throw AudioDecodeError', { timeout: FUZZ_TEST_TIMEOUT_MS }, () => {
  const header = Uint8Array.from([0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x41, 0x56, 0x45]);
  fc.assert(fc.property(fc.boolean(), fc.uint8Array({ maxLength: 128 }), (withHeader, tail) => {
    decodesOrRefuses(withHeader ? Uint8Array.from([...header, ...tail]) : tail);
  }), fuzzParameters(0.5));
});

test('a data chunk claiming 4 GB in a tiny file is refused without allocating it', () => {
  const fmt = { id: 'fmt ', body: fmtBody({ tag: 1, channels: 1, rateHz: 8000, bits: 16 }) };
  const before = process.memoryUsage().arrayBuffers;
  for (const size of [0xffffffff, 0xfffffffe, 0x80000000]) {
    const bytes = riff([fmt, { id: 'data', body: new Uint8Array(16), declaredSize: size }]);
    assert.throws(() => decodeWav(bytes, 'huge.wav'), (e: unknown) => e instanceof AudioDecodeError && /truncated data chunk \(expected \d+ bytes, found 16\)/.test(e.message));
  }
  assert.ok(process.memoryUsage().arrayBuffers - before < 16 << 20, 'nothing near the claimed size was allocated');
});
