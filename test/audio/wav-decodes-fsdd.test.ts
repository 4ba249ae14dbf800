import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeWav } from '../../src/audio/wav';
import { FSDD_DIR as RECORDINGS, FSDD_MISSING, hasFsdd } from '../helpers/fsdd';
import { requireOrSkip } from '../helpers/skip';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const wavDecoder = require('wav-decoder') as {
  decode: { sync(buffer: ArrayBuffer, opts?: { symmetric?: boolean }): { sampleRate: number; channelData: Float32Array[] } };
};


function listWavs(): string[] {
  return readdirSync(RECORDINGS).filter((f) => f.endsWith('.wav')).sort();
}

test('every FSDD recording decodes, quickly', (t) => {
  if (!requireOrSkip(t, hasFsdd(), FSDD_MISSING)) return;
  const files = listWavs();
  assert.ok(files.length >= 3000, `expected the 3,000 FSDD files, found ${files.length}`);
  const bytes = files.map((f) => readFileSync(path.join(RECORDINGS, f)));
  const start = performance.now();
  let frames = 0;
  for (let i = 0; i < files.length; i++) {
    const decoded = decodeWav(bytes[i], files[i]);
    assert.ok(decoded.frames > 0, files[i]);
    frames += decoded.frames;
  }
  const ms = performance.now() - start;
  t.diagnostic(`decoded ${files.length} files (${frames} frames, ${(frames / 8000).toFixed(0)} s of audio) in ${ms.toFixed(0)} ms`);
  // A per-sample-allocation decoder takes seconds; ours takes tens of milliseconds.
  assert.ok(ms < 2000, `decoding FSDD took ${ms.toFixed(0)} ms`);
});

test('FSDD recordings decode exactly as wav-decoder (symmetric scaling) decodes them', (t) => {
  if (!requireOrSkip(t, hasFsdd(), FSDD_MISSING)) return;
  const files = listWavs();
  const picks = [0, 1, 777, 1500, 2222, files.length - 1].map((i) => files[i]);
  for (const f of picks) {
    const bytes = readFileSync(path.join(RECORDINGS, f));
    const ours = decodeWav(bytes, f);
    const ref = wavDecoder.decode.sync(Uint8Array.from(bytes).buffer, { symmetric: true });
    assert.equal(ours.encoding, 'pcm', f);
    assert.equal(ours.bitsPerSample, 16, f);
    assert.equal(ours.sampleRateHz, ref.sampleRate, f);
    assert.equal(ours.channels, ref.channelData.length, f);
    assert.deepEqual(ours.samples, ref.channelData[0], f);
  }
});
