import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { nonSilentRange, trimSilence } from '../../src/audio/silence';
import { MelbookError } from '../../src/errors';
import { PYTHON, requireOrSkip } from '../helpers/skip';

/** `lead` zeros, `n` samples of a 440 Hz tone at amplitude `a`, then `tail` zeros (8 kHz). */
function padded(lead: number, n: number, tail: number, a = 0.5): Float32Array {
  const x = new Float32Array(lead + n + tail);
  for (let i = 0; i < n; i++) x[lead + i] = a * Math.sin((2 * Math.PI * 440 * i) / 8000);
  return x;
}

test('leading and trailing silence are cut on the hop grid, the word kept whole', () => {
  const x = padded(640, 2000, 960);
  const [start, end] = nonSilentRange(x, { topDb: 30, frameLength: 256, hopLength: 64 });
  // Frame k is centred on sample 64k and spans 256 samples: frame 9 is the first to reach sample 640.
  assert.equal(start, 576);
  // Frame 43 (samples 2624..2880) is the last to reach the tone, which ends at 2640: end = 44 * 64.
  assert.equal(end, 2816);
  const y = trimSilence(x, { topDb: 30, frameLength: 256, hopLength: 64 });
  assert.equal(y.length, end - start);
  assert.deepEqual(Array.from(y.subarray(640 - start, 640 - start + 10)), Array.from(x.subarray(640, 650)));
});

test('the threshold is relative: a clip 40 dB quieter is cut at the same points', () => {
  const loud = padded(800, 1500, 700, 0.5);
  const quiet = padded(800, 1500, 700, 0.005);
  assert.deepEqual(nonSilentRange(quiet), nonSilentRange(loud));
});

test('quiet noise below topDb counts as silence, louder noise does not', () => {
  const x = padded(1000, 2000, 1000, 0.5);
  for (let i = 0; i < 1000; i++) x[i] = 0.5 * 10 ** (-40 / 20) * (i % 2 ? 1 : -1); // 40 dB below the tone
  assert.ok(nonSilentRange(x, { topDb: 30 })[0] > 700);
  assert.equal(nonSilentRange(x, { topDb: 50 })[0], 0);
});

test('silent and empty clips come back whole; the input is never written', () => {
  assert.deepEqual(nonSilentRange(new Float32Array(500)), [0, 500]);
  assert.deepEqual(nonSilentRange(new Float32Array(0)), [0, 0]);
  const x = padded(300, 300, 300);
  const copy = x.slice();
  trimSilence(x);
  assert.deepEqual(x, copy);
});

test('a clip shorter than one frame is one frame', () => {
  const x = padded(10, 50, 10);
  assert.deepEqual(nonSilentRange(x, { frameLength: 256 }), [0, 70]);
});

test('bad options name the option and the value', () => {
  assert.throws(() => trimSilence(new Float32Array(10), { topDb: 0 }), (e: Error) => e instanceof MelbookError && /topDb.*got 0/.test(e.message));
  assert.throws(() => trimSilence(new Float32Array(10), { hopLength: 1.5 }), /hopLength.*got 1.5/);
});

test('the cut points match librosa.effects.trim (numpy port) on noisy clips of any level', (t) => {
  const cases = Array.from({ length: 12 }, (_, i) => {
    let seed = 1 + i;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const [lead, n, tail] = [Math.floor(rand() * 2000), 1 + Math.floor(rand() * 3000), Math.floor(rand() * 2000)];
    const level = 0.001 + 0.5 * rand();
    const y = Array.from({ length: lead + n + tail }, (_, k) => (rand() - 0.5) * 2e-4 + (k >= lead && k < lead + n ? level * (rand() - 0.5) : 0));
    return { y: Float32Array.from(y), topDb: [20, 30, 40, 60][i % 4] };
  });
  const py = spawnSync(PYTHON, [join(__dirname, '../fixtures/reference/trim_silence_ref.py')], {
    input: JSON.stringify(cases.map((c) => ({ y: Array.from(c.y), topDb: c.topDb }))), encoding: 'utf8', maxBuffer: 1 << 26,
  });
  const numpyMissing = py.status !== 0 && /No module named 'numpy'|ENOENT/.test(`${py.stderr}${py.error}`);
  if (!requireOrSkip(t, !numpyMissing, `${PYTHON} cannot import numpy (apt-get install python3-numpy)`)) return;
  assert.equal(py.status, 0, py.stderr);
  const expected = JSON.parse(py.stdout) as [number, number][];
  cases.forEach((c, i) => assert.deepEqual(nonSilentRange(c.y, { topDb: c.topDb }), expected[i], `case ${i}`));
});

test('edges start cuts only the leading silence', () => {
  const x = padded(640, 2000, 960);
  assert.deepEqual(nonSilentRange(x, { edges: 'start' }), [576, x.length]);
  assert.throws(() => nonSilentRange(x, { edges: 'end' as 'start' }), /edges must be one of both, start, got "end"/);
});

test('margin widens the cut on both sides, never past the clip', () => {
  const x = padded(640, 2000, 960);
  assert.deepEqual(nonSilentRange(x, { margin: 100 }), [476, 2916]);
  assert.deepEqual(nonSilentRange(x, { margin: 5000 }), [0, x.length]);
  assert.deepEqual(nonSilentRange(x, { margin: 100, edges: 'start' }), [476, x.length]);
  assert.throws(() => nonSilentRange(x, { margin: -1 }), /margin must be a whole number of samples >= 0, got -1/);
  assert.throws(() => nonSilentRange(x, { margin: 1.5 }), /margin must be a whole number of samples >= 0, got 1\.5/);
});
