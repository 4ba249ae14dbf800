import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/errors';
import {
  cacheKey, canonicalJson, createExtractor, melSpectrogram, MelSpectrogram, MeydaFeatures, meydaRowNames, Mfcc, mfcc,
  resolveMeydaFeaturesOptions,
} from '../../src/features';

const tone = (n: number, hz: number, sr = 8000) => Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin((2 * Math.PI * hz * i) / sr) + 0.05 * Math.sin(i * 1.7));

test('the mel extractor defaults are the PyTorch yardstick settings and give 64 x 63 for 1 s at 8 kHz', () => {
  const e = new MelSpectrogram();
  const d = e.describe();
  assert.deepEqual(
    { ...d },
    {
      kind: 'mel', version: 1, sampleRateHz: 8000, nFft: 256, winLength: 256, hopLength: 128, center: true, padMode: 'reflect', power: 2,
      nMels: 64, fMinHz: 0, fMaxHz: 4000, melScale: 'htk', norm: null, scale: 'log', logOffset: 1e-6, dbRef: 1, dbAmin: 1e-10, dbTopDb: 80,
    },
  );
  const x = tone(8000, 440);
  const out = e.extract(x, 8000);
  assert.deepEqual(out.shape, [64, 63]);
  assert.deepEqual(e.outputShape(8000), [64, 63]);
  assert.deepEqual(out.data, melSpectrogram(x).data);
});

test('extractors agree with the pure functions and report their output shape before extracting', () => {
  const x = tone(5000, 300);
  const m = new Mfcc({ nMfcc: 13, nMels: 40 });
  assert.deepEqual(m.extract(x, 8000), mfcc(x, { nMfcc: 13, nMels: 40 }));
  assert.deepEqual(m.outputShape(5000), [13, 40]);
  const y = new MeydaFeatures({ features: ['rms', 'chroma', 'loudness'] });
  const out = y.extract(x, 8000);
  assert.deepEqual(out.shape, y.outputShape(5000));
  assert.deepEqual(out.shape, [1 + 12 + 25, 40]);
  assert.deepEqual(y.rowNames.slice(0, 3), ['rms', 'chroma[0]', 'chroma[1]']);
  assert.equal(y.rowNames[13], 'loudness.total');
});

test('createExtractor builds each kind from a plain spec and rejects unknown kinds', () => {
  assert.ok(createExtractor({ kind: 'mel', nMels: 32 }) instanceof MelSpectrogram);
  assert.ok(createExtractor({ kind: 'mfcc' }) instanceof Mfcc);
  assert.ok(createExtractor({ kind: 'meyda', features: ['zcr'] }) instanceof MeydaFeatures);
  assert.throws(() => createExtractor({ kind: 'wavelet' } as never), (e: unknown) => e instanceof ConfigError && e.path === 'kind');
});

test('cacheKey is a short stable hash that changes with any parameter and ignores key order', () => {
  const a = createExtractor({ kind: 'mel' });
  const b = createExtractor({ kind: 'mel', hopLength: 128, nFft: 256 });
  assert.match(cacheKey(a), /^[0-9a-f]{16}$/);
  assert.equal(cacheKey(a), cacheKey(b));
  assert.notEqual(cacheKey(a), cacheKey(createExtractor({ kind: 'mel', hopLength: 64 })));
  assert.notEqual(cacheKey(a), cacheKey(createExtractor({ kind: 'mel', scale: 'db' })));
  assert.notEqual(cacheKey(a), cacheKey(a, { durationS: 1 }));
  assert.equal(cacheKey(a, { x: 1, y: 2 }), cacheKey(a, { y: 2, x: 1 }));
  assert.equal(canonicalJson({ b: 1, a: { d: [3, { f: 1, e: 2 }], c: null } }), '{"a":{"c":null,"d":[3,{"e":2,"f":1}]},"b":1}');
});

test('extract refuses audio at another sample rate, naming both rates', () => {
  assert.throws(() => new MelSpectrogram().extract(tone(8000, 440), 16000), /sampleRateHz: got 16000; this extractor was built for 8000 Hz audio/);
});

test('meyda features: scalar rows match their definitions on each frame (rect window)', () => {
  const x = tone(4000, 500);
  const e = new MeydaFeatures({ features: ['rms', 'zcr', 'energy'], center: false, nFft: 256, hopLength: 256, windowingFunction: 'rect' });
  const { data, shape } = e.extract(x, 8000);
  assert.deepEqual(shape, [3, 15]);
  for (let t = 0; t < shape[1]; t++) {
    const frame = x.subarray(t * 256, t * 256 + 256);
    const energy = frame.reduce((a, v) => a + v * v, 0);
    let zcr = 0;
    for (let i = 1; i < 256; i++) if ((frame[i - 1] >= 0) !== (frame[i] >= 0)) zcr++;
    assert.ok(Math.abs(data[t] - Math.sqrt(energy / 256)) < 1e-5, 'rms');
    assert.equal(data[shape[1] + t], zcr, 'zcr');
    assert.ok(Math.abs(data[2 * shape[1] + t] - energy) < 1e-3, 'energy');
  }
});

test('meyda plans with different settings do not leak filterbanks into each other', () => {
  const x = tone(4000, 700);
  const small = new MeydaFeatures({ features: ['mfcc'], nFft: 256, melBands: 20, nMfcc: 13 });
  const large = new MeydaFeatures({ features: ['mfcc'], nFft: 512, melBands: 40, nMfcc: 13 });
  const first = small.extract(x, 8000);
  large.extract(x, 8000);
  assert.deepEqual(small.extract(x, 8000), first);
  assert.deepEqual(new MeydaFeatures({ features: ['mfcc'], nFft: 256, melBands: 20, nMfcc: 13 }).extract(x, 8000), first);
});

test('meyda options are validated with the offending path', () => {
  assert.throws(() => resolveMeydaFeaturesOptions({ features: ['rms', 'spectralFlux' as never] }), /features\.1: got "spectralFlux"; expected one of/);
  assert.throws(() => resolveMeydaFeaturesOptions({ features: ['rms'], nFft: 300 }), /nFft: got 300; meyda needs a power-of-two frame length/);
  assert.throws(() => resolveMeydaFeaturesOptions({ features: [] }), /features: got \[\]/);
  assert.deepEqual(meydaRowNames(resolveMeydaFeaturesOptions({ features: ['zcr', 'mfcc'], nMfcc: 2 })), ['zcr', 'mfcc[0]', 'mfcc[1]']);
});

test('deltas stack under the features as extra rows, with their own cache key', async () => {
  const { createExtractor, cacheKey } = await import('../../src/features/extractor');
  const { deltas: deltaOf } = await import('../../src/features/delta');
  const x = Float32Array.from({ length: 8000 }, (_, i) => Math.sin((2 * Math.PI * (300 + i / 20) * i) / 8000) * 0.3);
  const plain = createExtractor({ kind: 'mel', sampleRateHz: 8000, deltas: null });
  const withDeltas = createExtractor({ kind: 'mel', sampleRateHz: 8000, deltas: { order: 2, width: 5 } });
  const a = plain.extract(x, 8000);
  const b = withDeltas.extract(x, 8000);
  assert.deepEqual(b.shape, [a.shape[0] * 3, a.shape[1]]);
  assert.deepEqual(withDeltas.outputShape(8000), b.shape);
  assert.deepEqual(b.data.subarray(0, a.data.length), a.data, 'the features themselves come first');
  const d1 = deltaOf(a.data, [a.shape[0], a.shape[1]], { width: 5, order: 1 });
  assert.deepEqual(b.data.subarray(a.data.length, 2 * a.data.length), d1);
  assert.notEqual(cacheKey(plain), cacheKey(withDeltas));
  assert.equal(cacheKey(plain), cacheKey(createExtractor({ kind: 'mel', sampleRateHz: 8000 })), 'deltas: null keeps the old key');
  assert.deepEqual(withDeltas.describe().deltas, { order: 2, width: 5, mode: 'interp' });
  // The bundle re-creates the extractor from describe(): same features.
  const { version: _v, ...spec } = withDeltas.describe();
  void _v;
  assert.deepEqual(createExtractor(spec as never).extract(x, 8000).data, b.data);
});
