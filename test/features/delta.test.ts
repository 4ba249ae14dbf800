import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { deltas, stackDeltas, stackedDeltaShape, type DeltaOptions } from '../../src/features/delta';
import type { FeatureShape } from '../../src/features/normalize';
import { seededRandom } from '../../src/data/random';
import { MelbookError } from '../../src/errors';
import { PYTHON, requireOrSkip } from '../helpers/skip';

function randomMatrix([rows, cols]: FeatureShape, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: rows * cols }, () => random() * 20 - 10);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('the delta of a linear ramp is its slope in every frame, edges included, in both modes and any width', () => {
  const shape: FeatureShape = [3, 20];
  const slopes = [0.5, -2, 0];
  const x = new Float32Array(60);
  for (let r = 0; r < 3; r++) for (let t = 0; t < 20; t++) x[r * 20 + t] = 7 * r + slopes[r] * t;
  for (const width of [3, 5, 9]) {
    const interp = deltas(x, shape, { width });
    for (let r = 0; r < 3; r++) for (let t = 0; t < 20; t++) assert.ok(Math.abs(interp[r * 20 + t] - slopes[r]) < 1e-5, `interp width ${width} row ${r} frame ${t}`);
    const replicate = deltas(x, shape, { width, mode: 'replicate' });
    const n = (width - 1) / 2;
    // Replicate padding flattens the ramp at the ends, so only the inside is the slope.
    for (let r = 0; r < 3; r++) for (let t = n; t < 20 - n; t++) assert.ok(Math.abs(replicate[r * 20 + t] - slopes[r]) < 1e-5);
  }
});

test('the second-order delta of a parabola is its constant second derivative, and of a ramp is zero', () => {
  const shape: FeatureShape = [2, 15];
  const x = new Float32Array(30);
  for (let t = 0; t < 15; t++) {
    x[t] = 0.25 * t * t - t + 3; // second derivative 0.5
    x[15 + t] = 4 * t - 1;
  }
  const d2 = deltas(x, shape, { order: 2, width: 5 });
  for (let t = 0; t < 15; t++) {
    assert.ok(Math.abs(d2[t] - 0.5) < 1e-4, `frame ${t}: ${d2[t]}`);
    assert.ok(Math.abs(d2[15 + t]) < 1e-4);
  }
});

test('stackDeltas puts x, delta and delta-delta one under another in a [rows * (order + 1), cols] matrix', () => {
  const shape: FeatureShape = [4, 12];
  const x = randomMatrix(shape, 3);
  for (const order of [0, 1, 2] as const) {
    const stacked = stackDeltas(x, shape, order, { width: 5 });
    const [rows, cols] = stackedDeltaShape(shape, order);
    assert.equal(rows, 4 * (order + 1));
    assert.equal(stacked.length, rows * cols);
    assert.deepEqual(stacked.subarray(0, x.length), x);
    for (let k = 1; k <= order; k++) {
      assert.deepEqual(stacked.subarray(k * x.length, (k + 1) * x.length), deltas(x, shape, { width: 5, order: k as 1 | 2 }));
    }
  }
});

test('deltas return a new array and leave the input untouched', () => {
  const shape: FeatureShape = [2, 10];
  const x = randomMatrix(shape, 1);
  const copy = x.slice();
  const d = deltas(x, shape);
  assert.ok(d instanceof Float32Array);
  assert.notEqual(d, x);
  assert.deepEqual(x, copy);
});

test('impossible delta settings throw and name the value', () => {
  const x = new Float32Array(20);
  const cases: [DeltaOptions, RegExp][] = [
    [{ width: 4 }, /width must be an odd integer >= 3 frames, got 4/],
    [{ width: 1 }, /got 1/],
    [{ width: 11 }, /needs width <= frames, got width 11 for 10 frames/],
    [{ order: 3 as 1 }, /order must be 1 or 2, got 3/],
    [{ mode: 'nearest' as 'interp' }, /mode must be one of interp, replicate/],
  ];
  for (const [options, message] of cases) assert.throws(() => deltas(x, [2, 10], options), (e: unknown) => e instanceof MelbookError && message.test(e.message));
  assert.throws(() => deltas(x, [3, 10]), /shape \[3, 10\] holds 30 values but the array has 20/);
  // replicate has no width limit: a window wider than the clip is legal there.
  assert.equal(deltas(x, [2, 10], { width: 11, mode: 'replicate' }).length, 20);
});

/**
 * One Python process computes every reference (importing torch costs seconds): scipy's
 * savgol_filter(mode="interp") for each (width, order), and torchaudio's compute_deltas once and
 * twice for each width. A library that does not import is reported as missing, not as a failure.
 */
const SAVGOL_CASES = [[9, 1], [5, 1], [3, 1], [9, 2], [7, 2]] as const;
const TORCH_WIDTHS = [5, 3, 9] as const;
const SHAPE: FeatureShape = [6, 23];
const X = randomMatrix(SHAPE, 11);
let references: { scipy?: number[][]; torch?: number[][][]; missing: string[] } | undefined;
function pythonReferences(): NonNullable<typeof references> {
  if (references) return references;
  const script = `import json, sys
out = {"missing": []}
try:
    import numpy as np
except ImportError:
    print(json.dumps({"missing": ["numpy"]})); sys.exit(0)
d = json.load(sys.stdin)
x = np.array(d["x"], dtype=np.float32).reshape(d["shape"])
try:
    from scipy.signal import savgol_filter
    out["scipy"] = [savgol_filter(x.astype(np.float64), w, polyorder=o, deriv=o, axis=-1, mode="interp").ravel().tolist() for w, o in d["savgol"]]
except ImportError:
    out["missing"].append("scipy")
try:
    import torch, torchaudio.functional as F
    def twice(w):
        d1 = F.compute_deltas(torch.from_numpy(x), win_length=w)
        return [d1.ravel().tolist(), F.compute_deltas(d1, win_length=w).ravel().tolist()]
    out["torch"] = [twice(w) for w in d["torch"]]
except ImportError:
    out["missing"].append("torch/torchaudio")
print(json.dumps(out))
`;
  const input = JSON.stringify({ x: Array.from(X), shape: SHAPE, savgol: SAVGOL_CASES, torch: TORCH_WIDTHS });
  const run = spawnSync(PYTHON, ['-c', script], { input, encoding: 'utf8' });
  references = run.status === 0 ? JSON.parse(run.stdout) : { missing: [`${PYTHON} (${run.error?.message ?? run.stderr.trim().split('\n').pop()})`] };
  return references!;
}

test('interp deltas match scipy.signal.savgol_filter(mode="interp"), the function librosa.feature.delta calls', (t) => {
  const { scipy, missing } = pythonReferences();
  if (!requireOrSkip(t, scipy !== undefined, `needs ${PYTHON} with numpy and scipy (apt-get install python3-scipy); missing: ${missing.join(', ')}`) || !scipy) return;
  SAVGOL_CASES.forEach(([width, order], i) => {
    const diff = maxAbsDiff(deltas(X, SHAPE, { width, order }), Float32Array.from(scipy[i]));
    assert.ok(diff < 1e-5, `width ${width} order ${order}: max |diff| ${diff}`);
  });
});

test('replicate deltas match torchaudio.functional.compute_deltas, once and applied twice', (t) => {
  const { torch, missing } = pythonReferences();
  if (!requireOrSkip(t, torch !== undefined, `needs ${PYTHON} with torch and torchaudio (apt-get install python3-torchaudio); missing: ${missing.join(', ')}`) || !torch) return;
  TORCH_WIDTHS.forEach((width, i) => {
    for (const order of [1, 2] as const) {
      const diff = maxAbsDiff(deltas(X, SHAPE, { width, order, mode: 'replicate' }), Float32Array.from(torch[i][order - 1]));
      assert.ok(diff < 1e-5, `width ${width} order ${order}: max |diff| ${diff}`);
    }
  });
});
