import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeWav } from '../../src/audio/wav';
import { encodeWav, WAV_FORMATS, type WavFormat } from '../../src/audio/encode';
import { riff, fmtBody, int16Bytes, subFormatGuid } from './riff';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const wavDecoder = require('wav-decoder') as {
  decode: { sync(buffer: ArrayBuffer, opts?: { symmetric?: boolean }): { sampleRate: number; channelData: Float32Array[] } };
};

/** A deterministic test signal in [-1, 1), including both extremes the integer formats can hold. */
function signal(n: number, seed: number): Float32Array {
  const x = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    x[i] = (s / 2147483648) * 2 - 1;
  }
  x[0] = -1;
  x[1] = 0;
  return x;
}

/** Largest decoding error allowed for a format: half an integer step, or float32 rounding. */
const TOLERANCE: Record<WavFormat, number> = {
  pcm8: 0.5 / 128,
  pcm16: 0.5 / 32768,
  pcm24: 0.5 / 8388608,
  pcm32: 1e-7, // below float32 resolution near 1: the Float32Array output is the limit
  float32: 0,
  float64: 0,
};

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

for (const format of WAV_FORMATS) {
  for (const extensible of [false, true]) {
    test(`${format}${extensible ? ' in WAVE_FORMAT_EXTENSIBLE' : ''} round-trips within its quantisation error`, () => {
      const x = signal(1001, 7);
      const decoded = decodeWav(encodeWav(x, 22050, { format, extensible }), 'fixture.wav');
      assert.equal(decoded.sampleRateHz, 22050);
      assert.equal(decoded.channels, 1);
      assert.equal(decoded.frames, 1001);
      assert.equal(decoded.encoding, format.startsWith('pcm') ? 'pcm' : 'float');
      assert.equal(decoded.bitsPerSample, Number(format.replace(/\D+/, '')));
      const err = maxAbsDiff(decoded.samples, x);
      assert.ok(err <= TOLERANCE[format], `max error ${err} > ${TOLERANCE[format]}`);
    });
  }
}

test('integer formats are exact on their own grid and cover the full code range', () => {
  // Codes -2^(b-1) .. 2^(b-1)-1 decode to code / 2^(b-1), so -1 is reachable and +1 is not.
  for (const [format, scale] of [['pcm8', 128], ['pcm16', 32768], ['pcm24', 8388608]] as const) {
    const codes = [-scale, -scale + 1, -1, 0, 1, scale - 1];
    const x = Float32Array.from(codes, (c) => c / scale);
    const decoded = decodeWav(encodeWav(x, 8000, { format }), 'grid.wav');
    assert.deepEqual(Array.from(decoded.samples), Array.from(x), format);
  }
});

test('values beyond full scale are clipped by the integer encoders', () => {
  const decoded = decodeWav(encodeWav(Float32Array.from([1.5, -1.5, 1]), 8000, { format: 'pcm16' }), 'clip.wav');
  assert.deepEqual(Array.from(decoded.samples), [32767 / 32768, -1, 32767 / 32768]);
});

test('float files pass values beyond full scale through unchanged', () => {
  const decoded = decodeWav(encodeWav(Float32Array.from([1.5, -2]), 8000, { format: 'float32' }), 'loud.wav');
  assert.deepEqual(Array.from(decoded.samples), [1.5, -2]);
});

test('several channels are averaged into one, for every format', () => {
  const channels = [signal(257, 1), signal(257, 2), signal(257, 3)];
  const mean = new Float32Array(257).map((_, i) => (channels[0][i] + channels[1][i] + channels[2][i]) / 3);
  for (const format of WAV_FORMATS) {
    const decoded = decodeWav(encodeWav(channels, 16000, { format, extensible: format === 'pcm24' }), 'three.wav');
    assert.equal(decoded.channels, 3);
    assert.equal(decoded.frames, 257);
    assert.ok(maxAbsDiff(decoded.samples, mean) <= TOLERANCE[format] + 1e-7, format);
  }
});

test('stereo with opposite channels downmixes to silence', () => {
  const left = signal(100, 5);
  const right = left.map((v) => -v);
  const decoded = decodeWav(encodeWav([left, right], 8000, { format: 'float32' }), 'opposite.wav');
  assert.ok(decoded.samples.every((v) => v === 0));
});

test('an odd-sized unknown chunk and its pad byte before data are skipped', () => {
  const codes = [0, 1000, -1000, 32767, -32768];
  const bytes = riff([
    { id: 'fmt ', body: fmtBody({ tag: 1, channels: 1, rateHz: 8000, bits: 16 }) },
    { id: 'LIST', body: Uint8Array.from([73, 78, 70, 79, 1, 2, 3]) }, // 7 bytes, then 1 pad byte
    { id: 'cue ', body: new Uint8Array(4) },
    { id: 'data', body: int16Bytes(codes) },
  ]);
  const decoded = decodeWav(bytes, 'odd.wav');
  assert.deepEqual(Array.from(decoded.samples), codes.map((c) => c / 32768));
});

test('an odd-sized 8-bit data chunk may end the file without its pad byte', () => {
  const bytes = riff([
    { id: 'fmt ', body: fmtBody({ tag: 1, channels: 1, rateHz: 8000, bits: 8 }) },
    { id: 'data', body: Uint8Array.from([128, 255, 0]), pad: false },
  ]);
  assert.deepEqual(Array.from(decodeWav(bytes, 'nopad.wav').samples), [0, 127 / 128, -1]);
});

test('chunks before fmt, and trailing bytes after data, are ignored', () => {
  const bytes = riff([
    { id: 'JUNK', body: new Uint8Array(28) },
    { id: 'fmt ', body: fmtBody({ tag: 1, channels: 2, rateHz: 44100, bits: 16 }) },
    { id: 'data', body: int16Bytes([100, 300, -200, -400]) },
    { id: 'id3 ', body: new Uint8Array(10) },
  ]);
  const withJunk = new Uint8Array(bytes.length + 3);
  withJunk.set(bytes);
  const decoded = decodeWav(withJunk, 'junk.wav');
  assert.equal(decoded.sampleRateHz, 44100);
  assert.deepEqual(Array.from(decoded.samples), [200 / 32768, -300 / 32768]);
});

test('a data chunk placed before the fmt chunk is still found (the spec puts fmt first)', () => {
  const bytes = riff([
    { id: 'data', body: int16Bytes([-16384, 16384]) },
    { id: 'fmt ', body: fmtBody({ tag: 1, channels: 1, rateHz: 8000, bits: 16 }) },
  ]);
  assert.deepEqual(Array.from(decodeWav(bytes, 'late-fmt.wav').samples), [-0.5, 0.5]);
});

test('extensible 24-bit samples in 32-bit containers are read by their container', () => {
  // 24 valid bits left-justified in 4 bytes: the low byte is zero.
  const body = new Uint8Array(8);
  const v = new DataView(body.buffer);
  v.setInt32(0, 0x40000000, true); // +0.5
  v.setInt32(4, -0x80000000, true); // -1
  const bytes = riff([
    { id: 'fmt ', body: fmtBody({ tag: 0xfffe, channels: 1, rateHz: 48000, bits: 32, validBits: 24, guid: subFormatGuid(1) }) },
    { id: 'data', body },
  ]);
  const decoded = decodeWav(bytes, 'ext24in32.wav');
  assert.equal(decoded.bitsPerSample, 32);
  assert.deepEqual(Array.from(decoded.samples), [0.5, -1]);
});

test('bytes at an odd offset of a larger buffer decode the same as aligned bytes', () => {
  // Covers both the aligned Int16Array fast path and the DataView path for 16-bit PCM.
  for (const format of ['pcm16', 'pcm24', 'float32'] as const) {
    const file = encodeWav([signal(64, 3), signal(64, 4)], 8000, { format });
    const shifted = new Uint8Array(file.length + 5);
    shifted.set(file, 5);
    const a = decodeWav(file, 'a.wav').samples;
    const b = decodeWav(shifted.subarray(5), 'b.wav').samples;
    assert.deepEqual(Array.from(b), Array.from(a), format);
  }
});

test('an empty data chunk decodes to zero frames', () => {
  const decoded = decodeWav(encodeWav(new Float32Array(0), 8000), 'empty-data.wav');
  assert.equal(decoded.frames, 0);
  assert.equal(decoded.samples.length, 0);
});

test('encodeWav output matches wav-decoder for plain PCM16 and float32', () => {
  const x = signal(500, 11);
  for (const format of ['pcm16', 'float32'] as const) {
    const bytes = encodeWav([x, x.map((v) => v / 2)], 11025, { format });
    const ref = wavDecoder.decode.sync(bytes.slice().buffer, { symmetric: true });
    assert.equal(ref.sampleRate, 11025);
    const mean = ref.channelData[0].map((v, i) => (v + ref.channelData[1][i]) / 2);
    assert.equal(maxAbsDiff(decodeWav(bytes, 'x.wav').samples, mean), 0, format);
  }
});
