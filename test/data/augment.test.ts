import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { featureAugmenter, resolveAugmentOptions, waveformAugmenter } from '../../src/data/augment';
import {
  applyMasks,
  composeTransforms,
  drawSpecAugmentMasks,
  randomFreqWarp,
  shiftFrames,
  specAugment,
  timeShift,
  warpFrequency,
  type ClipTransform,
  type Mask,
} from '../../src/data/augment-features';
import { addNoise, speedPerturb } from '../../src/data/augment-waveform';
import { mixup, mixupLambda, oneHot } from '../../src/data/mixup';
import { seededRandom } from '../../src/data/random';
import { Resampler } from '../../src/audio/resample';
import type { FeatureShape } from '../../src/features/normalize';
import type { ManifestEntry } from '../../src/data/manifest';
import { ConfigError, MelbookError } from '../../src/errors';

const SHAPE: FeatureShape = [16, 40];
/** Features with no zeros and no repeated values, so a mask or a shift shows in every cell. */
function features([rows, cols]: FeatureShape = SHAPE): Float32Array {
  return Float32Array.from({ length: rows * cols }, (_, i) => 1 + i + 0.5 * Math.sin(i));
}
function sine(n: number, hz: number, rateHz = 8000, amplitude = 0.5): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / rateHz));
}

const resampler = new Resampler();
after(() => resampler.dispose());

/** Each augmentation as (input, random) => output, with settings that change every clip. */
const augmentations: Record<string, { input: () => Float32Array; run: (x: Float32Array, random: () => number) => Float32Array | Promise<Float32Array> }> = {
  specAugment: { input: features, run: (x, r) => specAugment(x, SHAPE, r, { freqMasks: 2, freqMaskWidth: 6, timeMasks: 2, timeMaskWidth: 10 }) },
  timeShift: { input: features, run: (x, r) => timeShift(x, SHAPE, r, { maxShiftFrames: 8, fill: -3 }) },
  freqWarp: { input: features, run: (x, r) => randomFreqWarp(x, SHAPE, r, { probability: 1, minFactor: 0.8, maxFactor: 1.2 }) },
  addNoise: { input: () => sine(4000, 440), run: (x, r) => addNoise(x, r, { snrDb: 10 }) },
  waveformAugmenter: {
    input: () => sine(8000, 300),
    run: (x, r) => waveformAugmenter({ speed: { probability: 1 }, noise: { probability: 1 } }, { length: 8000, resampler })!(x, r),
  },
};

for (const [name, { input, run }] of Object.entries(augmentations)) {
  test(`${name} keeps length and dtype, repeats with the same seed, differs with another and never touches its input`, async () => {
    const x = input();
    const copy = x.slice();
    const a = await run(x, seededRandom(1));
    const b = await run(x, seededRandom(1));
    assert.ok(a instanceof Float32Array);
    assert.equal(a.length, x.length);
    assert.notEqual(a, x);
    assert.deepEqual(a, b);
    // Some seed among a few must give another result (a shift of 0 or empty masks can repeat).
    const others = await Promise.all([2, 3, 4].map((seed) => run(x, seededRandom(seed))));
    assert.ok(others.some((o) => o.some((v, i) => v !== a[i])), 'other seeds gave the same output');
    assert.deepEqual(x, copy);
  });
}

test('SpecAugment masks exactly the drawn bands and frames, and nothing else', () => {
  const options = { freqMasks: 2, freqMaskWidth: 5, timeMasks: 3, timeMaskWidth: 7, maskValue: 0 };
  const [rows, cols] = SHAPE;
  for (let seed = 0; seed < 30; seed++) {
    const masks = drawSpecAugmentMasks(SHAPE, seededRandom(seed), options);
    assert.equal(masks.freq.length, 2);
    assert.equal(masks.time.length, 3);
    const covered = (list: Mask[], size: number, maxWidth: number) => {
      const set = new Set<number>();
      for (const { start, width } of list) {
        assert.ok(width >= 0 && width <= maxWidth && start >= 0 && start + width <= size, `mask ${start}+${width} out of bounds`);
        for (let k = start; k < start + width; k++) set.add(k);
      }
      return set;
    };
    const bands = covered(masks.freq, rows, 5);
    const frames = covered(masks.time, cols, 7);
    const y = specAugment(features(), SHAPE, seededRandom(seed), options);
    let zeros = 0;
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
      const masked = bands.has(r) || frames.has(c);
      assert.equal(y[r * cols + c] === 0, masked, `seed ${seed} cell (${r}, ${c})`);
      if (masked) zeros++;
    }
    // Cells zeroed = whole bands + whole frames - their overlap.
    assert.equal(zeros, bands.size * cols + frames.size * rows - bands.size * frames.size);
  }
});

test('SpecAugment draws mask widths over the whole range 0..max, cuts them to the matrix, and writes maskValue', () => {
  const widths = new Set<number>();
  for (let seed = 0; seed < 200; seed++) for (const m of drawSpecAugmentMasks(SHAPE, seededRandom(seed), { timeMasks: 1, timeMaskWidth: 4 }).time) widths.add(m.width);
  assert.deepEqual([...widths].sort(), [0, 1, 2, 3, 4]);
  const wide = drawSpecAugmentMasks([3, 5], seededRandom(1), { freqMasks: 20, freqMaskWidth: 50 });
  assert.ok(wide.freq.every((m) => m.width <= 3 && m.start + m.width <= 3));
  const y = applyMasks(features([3, 5]), [3, 5], { freq: [{ start: 1, width: 1 }], time: [] }, -7);
  assert.deepEqual(Array.from(y.subarray(5, 10)), [-7, -7, -7, -7, -7]);
  assert.ok(y.subarray(0, 5).every((v) => v !== -7));
});

test('timeShift moves every row by one drawn shift without wrapping and fills the opened frames', () => {
  const [rows, cols] = SHAPE;
  const x = features();
  const seen = new Set<number>();
  for (let seed = 0; seed < 40; seed++) {
    const y = timeShift(x, SHAPE, seededRandom(seed), { maxShiftFrames: 5, fill: -9 });
    // Recover the shift from the first and last frame of row 0 (all values distinct), then check every cell.
    const shift: number | undefined = [...Array(11).keys()].map((k) => k - 5).find((s) => y[0] === (s > 0 ? -9 : x[-s]) && y[cols - 1] === (s < 0 ? -9 : x[cols - 1 - s]));
    assert.ok(shift !== undefined, `seed ${seed}: no shift in -5..5 explains the output`);
    seen.add(shift);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
      const source: number = c - shift;
      assert.equal(y[r * cols + c], source >= 0 && source < cols ? x[r * cols + source] : -9);
    }
  }
  assert.deepEqual([...seen].sort((a, b) => a - b), [-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5]);
  assert.deepEqual(Array.from(shiftFrames(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3], 1, 0)), [0, 1, 2, 0, 4, 5]);
  assert.deepEqual(Array.from(shiftFrames(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3], -2, 9)), [3, 9, 9, 6, 9, 9]);
  assert.deepEqual(shiftFrames(x, SHAPE, 0), x);
  assert.ok(shiftFrames(x, SHAPE, cols + 3, 2).every((v) => v === 2));
});

test('warpFrequency moves a band by the factor, interpolates between rows, repeats the top row and keeps time alone', () => {
  // One column per row index: row r holds r in every frame, so a warped row reads its source row.
  const shape: FeatureShape = [10, 3];
  const ramp = Float32Array.from({ length: 30 }, (_, i) => Math.floor(i / 3));
  assert.deepEqual(warpFrequency(ramp, shape, 1), ramp);
  const up = warpFrequency(ramp, shape, 2); // row r reads row r / 2
  for (let r = 0; r < 10; r++) for (let c = 0; c < 3; c++) assert.ok(Math.abs(up[r * 3 + c] - r / 2) < 1e-6, `row ${r}: ${up[r * 3 + c]}`);
  const down = warpFrequency(ramp, shape, 0.5); // row r reads row 2r, rows past the top repeat row 9
  assert.deepEqual(Array.from({ length: 10 }, (_, r) => down[r * 3]), [0, 2, 4, 6, 8, 9, 9, 9, 9, 9]);
  // A peak at band 10 of 32 moves to band 12 with factor 1.2, in every frame alike.
  const peakShape: FeatureShape = [32, 5];
  const peak = new Float32Array(160);
  for (let c = 0; c < 5; c++) peak[10 * 5 + c] = 1;
  const moved = warpFrequency(peak, peakShape, 1.2);
  for (let c = 0; c < 5; c++) {
    const column = Array.from({ length: 32 }, (_, r) => moved[r * 5 + c]);
    assert.equal(column.indexOf(Math.max(...column)), 12);
  }
  // Deltas stacked under the bands: each block warps on its own.
  const stacked = Float32Array.from({ length: 60 }, (_, i) => Math.floor(i / 3) % 10);
  const warped = warpFrequency(stacked, [20, 3], 2, 2);
  assert.deepEqual(warped.subarray(0, 30), up);
  assert.deepEqual(warped.subarray(30), up);
  assert.throws(() => warpFrequency(stacked, [20, 3], 2, 3), /20 rows do not split into 3 equal blocks/);
  assert.throws(() => warpFrequency(ramp, shape, 0), /factor must be a positive number/);
});

test('randomFreqWarp draws two numbers per clip, warps with its probability and a factor in range', () => {
  const x = features();
  const off = randomFreqWarp(x, SHAPE, seededRandom(1), { probability: 0 });
  assert.deepEqual(off, x);
  assert.notEqual(off, x);
  const r = seededRandom(9);
  const [, roll] = [r(), r()];
  const factor = 0.8 + roll * 0.4;
  assert.deepEqual(randomFreqWarp(x, SHAPE, seededRandom(9), { probability: 1, minFactor: 0.8, maxFactor: 1.2 }), warpFrequency(x, SHAPE, factor));
});

test('addNoise hits the requested SNR within 0.5 dB on a long sine, and leaves silence alone', () => {
  const x = sine(80_000, 440);
  const power = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v * v, 0) / a.length;
  for (const snrDb of [-5, 0, 10, 20, 40]) {
    const y = addNoise(x, seededRandom(snrDb + 100), { snrDb });
    const noise = y.map((v, i) => v - x[i]);
    const measured = 10 * Math.log10(power(x) / power(noise));
    assert.ok(Math.abs(measured - snrDb) < 0.5, `asked ${snrDb} dB, got ${measured.toFixed(3)} dB`);
  }
  // The noise is white Gaussian: mean ~0, and about 68 % of samples within one std.
  const noise = addNoise(x, seededRandom(9), { snrDb: 0 }).map((v, i) => v - x[i]);
  const std = Math.sqrt(power(noise));
  assert.ok(Math.abs(noise.reduce((s, v) => s + v, 0) / noise.length) < 0.02 * std);
  const within = noise.filter((v) => Math.abs(v) < std).length / noise.length;
  assert.ok(Math.abs(within - 0.6827) < 0.01, `fraction within 1 std: ${within}`);
  const silence = new Float32Array(100);
  const out = addNoise(silence, seededRandom(1), { snrDb: 10 });
  assert.deepEqual(out, silence);
  assert.notEqual(out, silence);
  assert.throws(() => addNoise(x, seededRandom(1), { snrDb: NaN }), /snrDb must be a finite number of dB, got NaN/);
});

test('speedPerturb by a factor f shortens the clip to n / f and raises a tone by f', async () => {
  const zeroCrossings = (a: Float32Array) => a.reduce((n, v, i) => n + (i > 0 && Math.sign(v) !== Math.sign(a[i - 1]) && v !== 0 ? 1 : 0), 0);
  const x = sine(8000, 500);
  for (const factor of [0.9, 1.1, 1.25]) {
    const y = await speedPerturb(x, factor, resampler);
    assert.equal(y.length, Math.round(8000 / factor));
    // Zero crossings per second of the new clip: 2 * 500 * factor.
    const hz = zeroCrossings(y.subarray(200, y.length - 200)) / 2 / ((y.length - 400) / 8000);
    assert.ok(Math.abs(hz - 500 * factor) < 5, `factor ${factor}: ${hz.toFixed(1)} Hz`);
  }
  const same = await speedPerturb(x, 1, resampler);
  assert.deepEqual(same, x);
  assert.notEqual(same, x);
  await assert.rejects(speedPerturb(x, 0, resampler), /factor must be a positive number \(1 = unchanged\), got 0/);
});

test('mixup mixes clips and one-hot labels by lambda, and its labels still sum to 1', () => {
  const xa = Float32Array.from([1, 2, 3]);
  const xb = Float32Array.from([3, 2, 1]);
  const { x, y } = mixup(xa, oneHot(2, 4), xb, oneHot(0, 4), 0.25);
  assert.deepEqual(Array.from(x), [2.5, 2, 1.5]);
  assert.deepEqual(Array.from(y), [0.75, 0, 0.25, 0]);
  assert.deepEqual(mixup(xa, [0.5, 0.5], xb, [1, 0], 1).x, xa);
  assert.deepEqual(Array.from(xa), [1, 2, 3]);
  assert.throws(() => mixup(xa, [1], xb, [1], 1.5), /lambda must be in \[0, 1\], got 1.5/);
  assert.throws(() => mixup(xa, [1], xb.subarray(1), [1], 0.5), /differ in length \(3 vs 2\)/);
  assert.throws(() => oneHot(4, 4), /integer in 0..3, got 4/);
});

test('mixupLambda draws Beta(alpha, alpha): in [0, 1], mean 1/2, piled at the ends for a small alpha', () => {
  const draw = (alpha: number) => {
    const random = seededRandom(7);
    return Array.from({ length: 4000 }, () => mixupLambda(alpha, random));
  };
  for (const alpha of [0.2, 1, 4]) {
    const l = draw(alpha);
    assert.ok(l.every((v) => v >= 0 && v <= 1));
    const mean = l.reduce((s, v) => s + v, 0) / l.length;
    const variance = l.reduce((s, v) => s + (v - mean) ** 2, 0) / l.length;
    assert.ok(Math.abs(mean - 0.5) < 0.02, `alpha ${alpha}: mean ${mean}`);
    // Var of Beta(a, a) = 1 / (4 (2a + 1)).
    const expected = 1 / (4 * (2 * alpha + 1));
    assert.ok(Math.abs(variance - expected) < 0.1 * expected, `alpha ${alpha}: variance ${variance} vs ${expected}`);
  }
  assert.throws(() => mixupLambda(0, Math.random), /alpha must be a positive number, got 0/);
});

test('composeTransforms applies its functions left to right on a copy, sharing one random stream', () => {
  const add: ClipTransform = (x, random) => x.map((v) => v + Math.floor(random() * 10));
  const double: ClipTransform = (x) => x.map((v) => 2 * v);
  const x = Float32Array.from([1, 2]);
  const r1 = seededRandom(3);
  const expected = double(add(x, r1), r1);
  assert.deepEqual(composeTransforms(add, double)(x, seededRandom(3)), expected);
  const copy = composeTransforms()(x, seededRandom(3));
  assert.deepEqual(copy, x);
  assert.notEqual(copy, x);
});

test('every augmentation is off by default, and resolveAugmentOptions names a bad key with its YAML path', () => {
  const r = resolveAugmentOptions();
  assert.equal(r.specAugment.freqMasks + r.specAugment.timeMasks + r.timeShift.maxShiftFrames, 0);
  assert.equal(r.noise.probability + r.speed.probability + r.mixup.alpha + r.freqWarp.probability, 0);
  assert.deepEqual(resolveAugmentOptions(r), r);
  const bad: [Parameters<typeof resolveAugmentOptions>[0], string][] = [
    [{ specAugment: { freqMasks: -1 } }, 'augment.specAugment.freqMasks'],
    [{ specAugment: { timeMaskWidth: 2.5 } }, 'augment.specAugment.timeMaskWidth'],
    [{ timeShift: { maxShiftFrames: -2 } }, 'augment.timeShift.maxShiftFrames'],
    [{ noise: { probability: 1.5 } }, 'augment.noise.probability'],
    [{ noise: { minSnrDb: 20, maxSnrDb: 5 } }, 'augment.noise.maxSnrDb'],
    [{ speed: { minFactor: 0 } }, 'augment.speed.minFactor'],
    [{ speed: { minFactor: 1.1, maxFactor: 0.9 } }, 'augment.speed.maxFactor'],
    [{ mixup: { alpha: -1 } }, 'augment.mixup.alpha'],
    [{ freqWarp: { probability: 2 } }, 'augment.freqWarp.probability'],
    [{ freqWarp: { minFactor: 1.2, maxFactor: 1.1 } }, 'augment.freqWarp.maxFactor'],
  ];
  for (const [options, path] of bad) assert.throws(() => resolveAugmentOptions(options), (e: unknown) => e instanceof ConfigError && e.path === path && e.message.startsWith(path));
  assert.throws(() => resolveAugmentOptions({ mixup: { alpha: -1 } }, 'training.augment'), /^ConfigError: training\.augment\.mixup\.alpha: got -1/);
});

test('featureAugmenter is the dataset transform hook: undefined when off, else frequency warp, time shift, then SpecAugment', () => {
  assert.equal(featureAugmenter({}, SHAPE), undefined);
  assert.equal(featureAugmenter({ specAugment: { freqMasks: 2 } }, SHAPE), undefined); // width 0 masks nothing
  const options = { timeShift: { maxShiftFrames: 4 }, specAugment: { freqMasks: 1, freqMaskWidth: 3, timeMasks: 1, timeMaskWidth: 5 } };
  const hook = featureAugmenter(options, SHAPE)!;
  const x = features();
  const entry = { id: '3_theo_7.wav' } as ManifestEntry;
  const r = seededRandom(5);
  const expected = specAugment(timeShift(x, SHAPE, r, options.timeShift), SHAPE, r, options.specAugment);
  assert.deepEqual(hook(x, entry, seededRandom(5)), expected);
  assert.throws(() => hook(new Float32Array(10), entry, seededRandom(1)), (e: unknown) => e instanceof MelbookError && /featureAugmenter: shape \[16, 40\] holds 640 values but the array has 10/.test(e.message));
  const withWarp = { ...options, freqWarp: { probability: 1, minFactor: 0.9, maxFactor: 1.1 } };
  const r2 = seededRandom(5);
  const warped = randomFreqWarp(x, SHAPE, r2, withWarp.freqWarp);
  assert.deepEqual(featureAugmenter(withWarp, SHAPE)!(x, entry, seededRandom(5)), specAugment(timeShift(warped, SHAPE, r2, options.timeShift), SHAPE, r2, options.specAugment));
});

test('waveformAugmenter is undefined when off, and otherwise keeps the clip length through speed changes', async () => {
  assert.equal(waveformAugmenter({}, { length: 8000, resampler }), undefined);
  const speedOnly = waveformAugmenter({ speed: { probability: 1, minFactor: 1.2, maxFactor: 1.2 } }, { length: 6000, resampler })!;
  const x = sine(6000, 300);
  const y = await speedOnly(x, seededRandom(1));
  assert.equal(y.length, 6000);
  // 1.2x faster: the 5000 perturbed samples come first, then the zero padding of fitLength.
  assert.ok(y.subarray(5100).every((v) => v === 0));
  assert.ok(y.subarray(100, 4900).some((v) => Math.abs(v) > 0.4));
  // Noise goes on before the padding: a short clip comes out at `length`, its padding silent.
  const noiseOnly = waveformAugmenter({ noise: { probability: 1 } }, { length: 6000, resampler })!;
  const short = sine(4000, 300);
  const z = await noiseOnly(short, seededRandom(2));
  assert.equal(z.length, 6000);
  assert.ok(z.subarray(4000).every((v) => v === 0));
  assert.ok(z.subarray(0, 4000).every((v, i) => v !== short[i] || short[i] === 0));
});

test('mixupBatch mixes each clip with a partner by one lambda and gives soft labels that sum to 1', async () => {
  const { mixupBatch } = await import('../../src/data/mixup');
  const batch = 6;
  const size = 4;
  const xs = Float32Array.from({ length: batch * size }, (_, i) => Math.floor(i / size)); // clip k is all k
  const labels = [0, 1, 2, 0, 1, 2];
  const a = mixupBatch(xs, labels, 3, 0.4, seededRandom(5));
  const b = mixupBatch(xs, labels, 3, 0.4, seededRandom(5));
  assert.deepEqual(a, b, 'same seed, same mix');
  assert.equal(a.xs.length, xs.length);
  assert.ok(a.lambda >= 0 && a.lambda <= 1);
  for (let k = 0; k < batch; k++) {
    const row = Array.from(a.ys.subarray(k * 3, k * 3 + 3));
    assert.ok(Math.abs(row.reduce((s, v) => s + v, 0) - 1) < 1e-6, `labels of clip ${k} sum to 1`);
    assert.ok(row[labels[k]] >= a.lambda - 1e-6, 'the own class keeps at least lambda');
    // x = lambda * k + (1 - lambda) * partner, constant over the clip: the partner is recoverable.
    const v = a.xs[k * size];
    const partner = a.lambda === 1 ? k : (v - a.lambda * k) / (1 - a.lambda);
    assert.ok(Math.abs(partner - Math.round(partner)) < 1e-4, `clip ${k} mixes with a whole clip (${partner})`);
    assert.ok(a.xs.subarray(k * size, (k + 1) * size).every((x) => x === v));
  }
  assert.throws(() => mixupBatch(xs, [0, 1, 2, 0, 1], 3, 0.4, seededRandom(1)), /do not split into 5 clips/);
});
