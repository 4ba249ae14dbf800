import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitLength, PAD_MODES, TRIM_MODES } from '../../src/audio/fit';
import { MelbookError } from '../../src/errors';

const ramp = (n: number) => Float32Array.from({ length: n }, (_, i) => i + 1);
const arr = (x: Float32Array) => Array.from(x);

test('by default a short clip gets zeros at the end, like the PyTorch reference', () => {
  assert.deepEqual(arr(fitLength(ramp(3), 6)), [1, 2, 3, 0, 0, 0]);
});

test('by default a long clip keeps its start, like w[:N]', () => {
  assert.deepEqual(arr(fitLength(ramp(6), 4)), [1, 2, 3, 4]);
});

test('pad start puts the zeros before the audio', () => {
  assert.deepEqual(arr(fitLength(ramp(3), 6, { pad: 'start' })), [0, 0, 0, 1, 2, 3]);
});

test('pad center splits the zeros, the odd one after the audio', () => {
  assert.deepEqual(arr(fitLength(ramp(2), 5, { pad: 'center' })), [0, 1, 2, 0, 0]);
  assert.deepEqual(arr(fitLength(ramp(2), 6, { pad: 'center' })), [0, 0, 1, 2, 0, 0]);
});

test('trim end keeps the last samples', () => {
  assert.deepEqual(arr(fitLength(ramp(6), 4, { trim: 'end' })), [3, 4, 5, 6]);
});

test('trim center keeps the middle, dropping the odd extra sample at the end', () => {
  assert.deepEqual(arr(fitLength(ramp(7), 4, { trim: 'center' })), [2, 3, 4, 5]);
  assert.deepEqual(arr(fitLength(ramp(6), 4, { trim: 'center' })), [2, 3, 4, 5]);
});

test('every mode returns exactly the requested length as a new array', () => {
  for (const pad of PAD_MODES) {
    for (const trim of TRIM_MODES) {
      for (const n of [0, 1, 5, 8, 13]) {
        const x = ramp(n);
        const y = fitLength(x, 8, { pad, trim });
        assert.equal(y.length, 8);
        assert.notEqual(y, x);
        // Every kept sample is a contiguous run of the input, in order.
        const kept = arr(y).filter((v) => v !== 0);
        assert.equal(kept.length, Math.min(n, 8));
        kept.forEach((v, i) => i > 0 && assert.equal(v, kept[i - 1] + 1));
      }
    }
  }
});

test('a clip of exactly the right length comes back as an equal copy', () => {
  const x = ramp(5);
  const y = fitLength(x, 5);
  assert.deepEqual(arr(y), arr(x));
  y[0] = 99;
  assert.equal(x[0], 1);
});

test('a negative or fractional length and an unknown mode are errors naming the value', () => {
  assert.throws(() => fitLength(ramp(3), -1), (e: unknown) => e instanceof MelbookError && /got -1/.test(e.message));
  assert.throws(() => fitLength(ramp(3), 2.5), /got 2\.5/);
  assert.throws(() => fitLength(ramp(3), 4, { pad: 'left' as never }), /pad must be one of end, center, start, got "left"/);
  assert.throws(() => fitLength(ramp(3), 2, { trim: 'middle' as never }), /trim must be one of start, center, end, got "middle"/);
});
