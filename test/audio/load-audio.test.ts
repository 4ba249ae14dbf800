import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadAudio, Resampler, encodeWav } from '../../src/audio';
import { AudioDecodeError } from '../../src/errors';

let dir = '';
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'melbook-audio-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function sine(n: number, hz: number, rateHz: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin((2 * Math.PI * hz * i) / rateHz));
}

function writeWav(name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

test('a file at the target rate is decoded and padded to the duration', async () => {
  const x = sine(6000, 440, 8000);
  const file = writeWav('short.wav', encodeWav(x, 8000, { format: 'float32' }));
  const loaded = await loadAudio(file, { sampleRateHz: 8000, durationS: 1 });
  assert.equal(loaded.samples.length, 8000);
  assert.equal(loaded.sampleRateHz, 8000);
  assert.equal(loaded.sourceRateHz, 8000);
  assert.equal(loaded.sourceFrames, 6000);
  assert.equal(loaded.channels, 1);
  assert.deepEqual(loaded.samples.subarray(0, 6000), x);
  assert.ok(loaded.samples.subarray(6000).every((v) => v === 0));
});

test('a stereo file at another rate is downmixed, resampled and trimmed', async () => {
  const left = sine(44100, 300, 44100);
  const file = writeWav('stereo.wav', encodeWav([left, left], 44100, { format: 'pcm24', extensible: true }));
  const loaded = await loadAudio(file, { sampleRateHz: 16000, durationS: 0.5, trim: 'end' });
  assert.equal(loaded.channels, 2);
  assert.equal(loaded.sourceRateHz, 44100);
  assert.equal(loaded.sourceFrames, 44100);
  assert.equal(loaded.samples.length, 8000);
  // The last half second of a 300 Hz sine at 16 kHz (away from the very end).
  const full = sine(16000, 300, 16000);
  for (let k = 0; k < 7000; k += 97) assert.ok(Math.abs(loaded.samples[k] - full[8000 + k]) < 1e-3, `sample ${k}`);
});

test('without a duration the full resampled length is kept', async () => {
  const file = writeWav('full.wav', encodeWav(sine(3001, 440, 16000), 16000));
  const r = new Resampler();
  try {
    const loaded = await loadAudio(file, { sampleRateHz: 8000, resampler: r });
    assert.equal(loaded.samples.length, Math.round((3001 * 8000) / 16000));
  } finally {
    r.dispose();
  }
});

test('durations round to whole samples', async () => {
  const file = writeWav('round.wav', encodeWav(sine(100, 440, 8000), 8000));
  assert.equal((await loadAudio(file, { sampleRateHz: 8000, durationS: 0.01234 })).samples.length, Math.round(0.01234 * 8000));
});

test('a missing file is an AudioDecodeError naming the file and the errno, with the cause', async () => {
  const file = path.join(dir, 'nope.wav');
  assert.ok(!existsSync(file));
  await assert.rejects(loadAudio(file, { sampleRateHz: 8000 }), (err: unknown) => {
    assert.ok(err instanceof AudioDecodeError);
    assert.equal(err.file, file);
    assert.equal(err.reason, 'cannot read file (ENOENT)');
    assert.equal((err.cause as NodeJS.ErrnoException).code, 'ENOENT');
    return true;
  });
});

test('a directory named .wav is an AudioDecodeError (EISDIR)', async () => {
  await assert.rejects(loadAudio(dir, { sampleRateHz: 8000 }), (err: unknown) => err instanceof AudioDecodeError && /EISDIR/.test(err.reason));
});

test('a corrupt file is an AudioDecodeError naming the file', async () => {
  const file = writeWav('fake.wav', new TextEncoder().encode('not audio at all'));
  await assert.rejects(loadAudio(file, { sampleRateHz: 8000 }), (err: unknown) => {
    assert.ok(err instanceof AudioDecodeError);
    assert.equal(err.file, file);
    assert.match(err.reason, /not a RIFF\/WAVE file/);
    return true;
  });
});

test('a negative duration is rejected before reading', async () => {
  await assert.rejects(loadAudio(path.join(dir, 'nope.wav'), { sampleRateHz: 8000, durationS: -1 }), /durationS must be a non-negative number of seconds, got -1/);
});
