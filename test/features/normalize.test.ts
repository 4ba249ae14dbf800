import { test } from 'node:test';
import assert from 'node:assert/strict';
import { perUtteranceNormalize, type FeatureShape } from '../../src/features/normalize';
import { seededRandom } from '../../src/data/random';
import { MelbookError } from '../../src/errors';

/** Rows with very different offsets and spreads, like log-mel bands of a loud and a quiet band. */
function bands([rows, cols]: FeatureShape, seed: number): Float32Array {
  const random = seededRandom(seed);
  const x = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) x[r * cols + c] = -40 + 10 * r + (1 + r) * (random() * 2 - 1);
  return x;
}

function stats(x: ArrayLike<number>, start: number, end: number): { mean: number; std: number } {
  let sum = 0;
  for (let i = start; i < end; i++) sum += x[i];
  const mean = sum / (end - start);
  let sq = 0;
  for (let i = start; i < end; i++) sq += (x[i] - mean) ** 2;
  return { mean, std: Math.sqrt(sq / (end - start)) };
}

test('perRow CMVN gives every mel band mean 0 and standard deviation 1 over its frames', () => {
  const shape: FeatureShape = [8, 63];
  const y = perUtteranceNormalize(bands(shape, 1), shape, { mode: 'perRow' });
  for (let r = 0; r < 8; r++) {
    const { mean, std } = stats(y, r * 63, (r + 1) * 63);
    assert.ok(Math.abs(mean) < 1e-5, `row ${r} mean ${mean}`);
    assert.ok(Math.abs(std - 1) < 1e-5, `row ${r} std ${std}`);
  }
});

test('global CMVN gives the whole clip mean 0 and std 1 but keeps the differences between bands', () => {
  const shape: FeatureShape = [8, 63];
  const x = bands(shape, 2);
  const y = perUtteranceNormalize(x, shape, { mode: 'global' });
  const all = stats(y, 0, y.length);
  assert.ok(Math.abs(all.mean) < 1e-5);
  assert.ok(Math.abs(all.std - 1) < 1e-5);
  // One affine map for the whole clip: band 7 stays above band 0.
  assert.ok(stats(y, 7 * 63, 8 * 63).mean > stats(y, 0, 63).mean + 1);
  const { mean, std } = stats(x, 0, x.length);
  for (const i of [0, 100, 503]) assert.ok(Math.abs(y[i] - (x[i] - mean) / std) < 1e-4);
});

test('the default mode is perRow, and scaleVariance false only removes the mean', () => {
  const shape: FeatureShape = [3, 40];
  const x = bands(shape, 3);
  assert.deepEqual(perUtteranceNormalize(x, shape), perUtteranceNormalize(x, shape, { mode: 'perRow' }));
  const y = perUtteranceNormalize(x, shape, { scaleVariance: false });
  for (let r = 0; r < 3; r++) {
    const before = stats(x, r * 40, (r + 1) * 40);
    const after = stats(y, r * 40, (r + 1) * 40);
    assert.ok(Math.abs(after.mean) < 1e-5);
    assert.ok(Math.abs(after.std - before.std) < 1e-4);
  }
});

test('a constant row becomes zeros, not NaN', () => {
  const shape: FeatureShape = [2, 5];
  const x = Float32Array.from([3, 3, 3, 3, 3, 1, 2, 3, 4, 5]);
  const y = perUtteranceNormalize(x, shape);
  assert.deepEqual(Array.from(y.subarray(0, 5)), [0, 0, 0, 0, 0]);
  assert.ok(y.every(Number.isFinite));
});

test('CMVN returns a new Float32Array and never touches its input', () => {
  const shape: FeatureShape = [4, 10];
  const x = bands(shape, 4);
  const copy = x.slice();
  for (const mode of ['global', 'perRow'] as const) {
    const y = perUtteranceNormalize(x, shape, { mode });
    assert.ok(y instanceof Float32Array);
    assert.equal(y.length, x.length);
    assert.notEqual(y, x);
  }
  assert.deepEqual(x, copy);
});

test('a wrong shape, mode or epsilon throws and names the value', () => {
  const x = new Float32Array(12);
  const fails = (f: () => unknown, message: RegExp) => assert.throws(f, (e: unknown) => e instanceof MelbookError && message.test(e.message));
  fails(() => perUtteranceNormalize(x, [5, 3]), /shape \[5, 3\] holds 15 values but the array has 12/);
  fails(() => perUtteranceNormalize(x, [0, 12] as unknown as FeatureShape), /positive integers, got \[0, 12\]/);
  fails(() => perUtteranceNormalize(x, [3, 4], { mode: 'perCol' as 'perRow' }), /mode must be one of global, perRow, got "perCol"/);
  fails(() => perUtteranceNormalize(x, [3, 4], { epsilon: -1 }), /epsilon must be a finite number >= 0, got -1/);
});
