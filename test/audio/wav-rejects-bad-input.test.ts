import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeWav } from '../../src/audio/wav';
import { encodeWav } from '../../src/audio/encode';
import { AudioDecodeError } from '../../src/errors';
import { riff, fmtBody, int16Bytes, subFormatGuid, ascii } from './riff';

const FILE = 'recordings/7_x.wav';

/** Assert that decoding throws AudioDecodeError for FILE whose reason matches `reason`. */
function rejects(bytes: Uint8Array, reason: RegExp): void {
  assert.throws(
    () => decodeWav(bytes, FILE),
    (err: unknown) => {
      assert.ok(err instanceof AudioDecodeError, `expected AudioDecodeError, got ${String(err)}`);
      assert.equal(err.file, FILE);
      assert.match(err.reason, reason);
      assert.ok(err.message.startsWith(`${FILE}: `), err.message);
      return true;
    },
  );
}

const pcm16Fmt = (channels = 1) => ({ id: 'fmt ', body: fmtBody({ tag: 1, channels, rateHz: 8000, bits: 16 }) });

test('a zero-byte file is rejected as empty', () => {
  rejects(new Uint8Array(0), /^empty file \(0 bytes\)$/);
});

test('a text file named .wav is rejected, quoting its first characters', () => {
  rejects(Uint8Array.from(ascii('digit seven, take 0\n')), /^not a RIFF\/WAVE file: it starts with text "digit seven, tak"/);
});

test('an MP3 file named .wav is recognised as MP3', () => {
  rejects(Uint8Array.from([...ascii('ID3'), 4, 0, 0, 0, 0, 0, 0]), /not a RIFF\/WAVE file: this looks like MP3 data/);
  rejects(Uint8Array.from([0xff, 0xfb, 0x90, 0x64, 0, 0, 0, 0]), /this looks like MP3 data/);
});

test('binary garbage is rejected, showing its first bytes', () => {
  rejects(Uint8Array.from([0, 1, 2, 3, 200, 201, 202, 203, 9]), /not a RIFF\/WAVE file: it starts with bytes 00 01 02 03 c8 c9 ca cb$/);
});

test('a RIFF file that is not WAVE names its form type', () => {
  rejects(riff([{ id: 'avih', body: new Uint8Array(4) }], 'AVI '), /RIFF file of type "AVI ", not a WAVE file/);
});

test('a RIFF header cut short is rejected with its length', () => {
  rejects(Uint8Array.from(ascii('RIFF\x04\x00\x00')), /too short to be a WAV file \(7 bytes/);
});

test('big-endian RIFX is rejected by name', () => {
  rejects(Uint8Array.from(ascii('RIFX\x00\x00\x00\x24WAVE')), /big-endian RIFX is not supported/);
});

test('a file without a fmt chunk is rejected', () => {
  rejects(riff([{ id: 'data', body: int16Bytes([1, 2]) }]), /^missing fmt chunk/);
});

test('a file without a data chunk is rejected', () => {
  rejects(riff([pcm16Fmt(), { id: 'LIST', body: new Uint8Array(6) }]), /^missing data chunk/);
});

test('a truncated data chunk is an error giving expected and found bytes', () => {
  const full = encodeWav(new Float32Array(8000), 8000); // 16000 data bytes
  rejects(full.subarray(0, 44 + 912), /^truncated data chunk \(expected 16000 bytes, found 912\)$/);
});

test('a data chunk whose size was never filled in is reported as such', () => {
  const bytes = riff([pcm16Fmt(), { id: 'data', body: int16Bytes([1, 2, 3]), declaredSize: 0xffffffff }]);
  rejects(bytes, /truncated data chunk \(expected 4294967295 bytes, found 6\) \(size field never filled in/);
});

test('a truncated chunk before the data chunk is an error naming the chunk', () => {
  const bytes = riff([pcm16Fmt(), { id: 'LIST', body: new Uint8Array(4), declaredSize: 100 }]);
  rejects(bytes, /^truncated "LIST" chunk at byte 36 \(expected 100 bytes, found 4\) before the data chunk$/);
});

for (const [tag, name] of [
  [0x0006, 'A-law'],
  [0x0007, 'mu-law'],
  [0x0050, 'MPEG'],
  [0x0055, 'MPEG Layer 3'],
  [0x0002, 'Microsoft ADPCM'],
  [0x0011, 'IMA ADPCM'],
] as const) {
  test(`format tag 0x${tag.toString(16).padStart(4, '0')} is rejected as unsupported codec ${name}, with the fix`, () => {
    const bytes = riff([{ id: 'fmt ', body: fmtBody({ tag, channels: 1, rateHz: 8000, bits: 8 }) }, { id: 'data', body: new Uint8Array(4) }]);
    const hexTag = `0x${tag.toString(16).padStart(4, '0').toUpperCase()}`;
    rejects(bytes, new RegExp(`^unsupported codec ${name} \\(format tag ${hexTag}\\); convert to PCM, e\\.g\\. sox in\\.wav -e signed-integer out\\.wav$`));
  });
}

test('the exact mu-law message from the design reads as specified', () => {
  const bytes = riff([{ id: 'fmt ', body: fmtBody({ tag: 7, channels: 1, rateHz: 8000, bits: 8 }) }, { id: 'data', body: new Uint8Array(2) }]);
  assert.throws(() => decodeWav(bytes, FILE), {
    message: `${FILE}: unsupported codec mu-law (format tag 0x0007); convert to PCM, e.g. sox in.wav -e signed-integer out.wav`,
  });
});

test('an unlisted format tag is an unknown codec', () => {
  const bytes = riff([{ id: 'fmt ', body: fmtBody({ tag: 0x1234, channels: 1, rateHz: 8000, bits: 16 }) }, { id: 'data', body: new Uint8Array(2) }]);
  rejects(bytes, /^unsupported codec \(unknown format tag 0x1234\); convert to PCM/);
});

test('an extensible file with a mu-law sub-format names the codec', () => {
  const bytes = riff([
    { id: 'fmt ', body: fmtBody({ tag: 0xfffe, channels: 1, rateHz: 8000, bits: 8, guid: subFormatGuid(7) }) },
    { id: 'data', body: new Uint8Array(2) },
  ]);
  rejects(bytes, /^unsupported codec mu-law \(format tag 0x0007\)/);
});

test('an extensible file with a foreign sub-format GUID shows the GUID', () => {
  const guid = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
  const bytes = riff([{ id: 'fmt ', body: fmtBody({ tag: 0xfffe, channels: 1, rateHz: 8000, bits: 16, guid }) }, { id: 'data', body: new Uint8Array(2) }]);
  rejects(bytes, /^unsupported WAVE_FORMAT_EXTENSIBLE sub-format GUID 01 02 03 04/);
});

test('an extensible fmt chunk shorter than 40 bytes is rejected', () => {
  const body = fmtBody({ tag: 0xfffe, channels: 1, rateHz: 8000, bits: 16 }).subarray(0, 18);
  rejects(riff([{ id: 'fmt ', body }, { id: 'data', body: new Uint8Array(2) }]), /WAVE_FORMAT_EXTENSIBLE fmt chunk too short \(18 bytes, need 40\)/);
});

test('unsupported bit depths are rejected with the supported ones', () => {
  const pcm48 = riff([{ id: 'fmt ', body: fmtBody({ tag: 1, channels: 1, rateHz: 8000, bits: 48 }) }, { id: 'data', body: new Uint8Array(6) }]);
  rejects(pcm48, /^unsupported bit depth: 48-bit PCM in 6-byte samples \(supported: 8, 16, 24, 32-bit PCM\)$/);
  const float16 = riff([{ id: 'fmt ', body: fmtBody({ tag: 3, channels: 1, rateHz: 8000, bits: 16 }) }, { id: 'data', body: new Uint8Array(2) }]);
  rejects(float16, /^unsupported bit depth: 16-bit float .*\(supported: 32, 64-bit float\)$/);
  const zero = riff([{ id: 'fmt ', body: fmtBody({ tag: 1, channels: 1, rateHz: 8000, bits: 0, blockAlign: 2 }) }, { id: 'data', body: new Uint8Array(2) }]);
  rejects(zero, /^unsupported bit depth: 0-bit PCM/);
});

test('zero channels are rejected', () => {
  const bytes = riff([{ id: 'fmt ', body: fmtBody({ tag: 1, channels: 0, rateHz: 8000, bits: 16, blockAlign: 2 }) }, { id: 'data', body: new Uint8Array(2) }]);
  rejects(bytes, /^zero channels in the fmt chunk$/);
});

test('a zero sample rate is rejected', () => {
  const bytes = riff([{ id: 'fmt ', body: fmtBody({ tag: 1, channels: 1, rateHz: 0, bits: 16 }) }, { id: 'data', body: new Uint8Array(2) }]);
  rejects(bytes, /^zero sample rate in the fmt chunk$/);
});

test('a data size that is not a multiple of the block align is rejected', () => {
  const bytes = riff([pcm16Fmt(2), { id: 'data', body: int16Bytes([1, 2, 3]) }]);
  rejects(bytes, /^data chunk size 6 is not a multiple of the block align 4 \(2 channel\(s\) x 2 bytes\)$/);
});

test('a block align that does not divide into the channels is rejected', () => {
  const bytes = riff([{ id: 'fmt ', body: fmtBody({ tag: 1, channels: 2, rateHz: 8000, bits: 16, blockAlign: 3 }) }, { id: 'data', body: new Uint8Array(6) }]);
  rejects(bytes, /^block align 3 is not a whole number of bytes per channel for 2 channel\(s\)$/);
});

test('a fmt chunk shorter than 16 bytes is rejected', () => {
  const bytes = riff([{ id: 'fmt ', body: new Uint8Array(14) }, { id: 'data', body: new Uint8Array(2) }]);
  rejects(bytes, /^fmt chunk too short \(14 bytes, need at least 16\)$/);
});
