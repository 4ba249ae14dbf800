import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { resample, resampledLength, Resampler, RESAMPLE_QUALITIES } from '../../src/audio/resample';
import { MelbookError } from '../../src/errors';

const shared = new Resampler();
after(() => shared.dispose());

function sine(n: number, hz: number, rateHz: number, amplitude = 0.5): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / rateHz));
}

/** RMS of the middle half, away from the edges where the filter sees the implicit silence. */
function middleRms(x: Float32Array): number {
  const a = Math.floor(x.length / 4);
  const b = Math.floor((3 * x.length) / 4);
  let s = 0;
  for (let i = a; i < b; i++) s += x[i] * x[i];
  return Math.sqrt(s / (b - a));
}

const db = (ratio: number) => 20 * Math.log10(ratio);

/** The naive resampler this module replaces: linear interpolation, no low-pass filter. */
function linearInterpolation(x: Float32Array, fromHz: number, toHz: number): Float32Array {
  const out = new Float32Array(resampledLength(x.length, fromHz, toHz));
  for (let k = 0; k < out.length; k++) {
    const t = (k * fromHz) / toHz;
    const i = Math.floor(t);
    const f = t - i;
    out[k] = (1 - f) * x[i] + f * (x[Math.min(i + 1, x.length - 1)] ?? 0);
  }
  return out;
}

for (const [fromHz, toHz, toneHz] of [
  [16000, 8000, 1000],
  [8000, 16000, 1000],
  [22050, 16000, 2500],
  [44100, 8000, 440],
] as const) {
  test(`a ${toneHz} Hz sine resampled ${fromHz} -> ${toHz} Hz keeps its amplitude and frequency`, async () => {
    const x = sine(Math.round(0.25 * fromHz), toneHz, fromHz);
    const y = await resample(x, fromHz, toHz, { resampler: shared });
    const expected = sine(y.length, toneHz, toHz);
    // Compare sample by sample in the middle: same amplitude, frequency and phase (no delay).
    let maxErr = 0;
    for (let k = Math.floor(y.length / 4); k < Math.floor((3 * y.length) / 4); k++) maxErr = Math.max(maxErr, Math.abs(y[k] - expected[k]));
    assert.ok(maxErr < 1e-3, `max deviation from the ideal sine ${maxErr}`);
    assert.ok(Math.abs(db(middleRms(y) / middleRms(expected))) < 0.01, 'amplitude changed');
  });
}

for (const quality of RESAMPLE_QUALITIES) {
  test(`a tone above the new Nyquist is attenuated by at least 40 dB (${quality})`, async () => {
    for (const [fromHz, toHz, toneHz] of [
      [16000, 8000, 6000],
      [22050, 16000, 9500],
    ] as const) {
      const x = sine(Math.round(0.25 * fromHz), toneHz, fromHz);
      const y = await resample(x, fromHz, toHz, { quality, resampler: shared });
      const attenuation = -db(middleRms(y) / middleRms(x));
      assert.ok(attenuation >= 40, `${fromHz} -> ${toHz} Hz, ${toneHz} Hz tone: only ${attenuation.toFixed(1)} dB`);
    }
  });
}

test('linear interpolation fails the same anti-aliasing check, so the check is meaningful', () => {
  for (const [fromHz, toHz, toneHz] of [
    [16000, 8000, 6000],
    [22050, 16000, 9500],
  ] as const) {
    const x = sine(Math.round(0.25 * fromHz), toneHz, fromHz);
    const attenuation = -db(middleRms(linearInterpolation(x, fromHz, toHz)) / middleRms(x));
    assert.ok(attenuation < 40, `linear interpolation reached ${attenuation.toFixed(1)} dB`);
  }
});

test('output length is round(n * to / from) for short and odd lengths', async () => {
  for (const [fromHz, toHz] of [[44100, 8000], [8000, 44100], [16000, 8000], [22050, 16000], [8000, 16000]] as const) {
    for (const n of [0, 1, 2, 3, 7, 100, 1001, 6001]) {
      const y = await resample(new Float32Array(n).fill(0.1), fromHz, toHz, { quality: 'fastest', resampler: shared });
      assert.equal(y.length, Math.round((n * toHz) / fromHz), `${fromHz} -> ${toHz}, n = ${n}`);
      assert.equal(y.length, resampledLength(n, fromHz, toHz));
    }
  }
});

test('an impulse lands at the corresponding output time (no delay)', async () => {
  for (const [fromHz, toHz, at] of [[8000, 16000, 300], [16000, 8000, 600], [44100, 8000, 4410]] as const) {
    const x = new Float32Array(2 * at);
    x[at] = 1;
    const y = await resample(x, fromHz, toHz, { resampler: shared });
    let peak = 0;
    for (let k = 1; k < y.length; k++) if (Math.abs(y[k]) > Math.abs(y[peak])) peak = k;
    assert.equal(peak, Math.round((at * toHz) / fromHz), `${fromHz} -> ${toHz}`);
  }
});

test('equal rates return the input array itself', async () => {
  const x = sine(100, 440, 8000);
  assert.equal(await resample(x, 8000, 8000), x);
  assert.equal(await shared.resample(x, 16000, 16000), x);
});

test('one Resampler switching rates and qualities gives the same samples as fresh converters', async () => {
  const x = sine(3000, 700, 16000);
  const y1 = await shared.resample(x, 16000, 8000, 'best');
  await shared.resample(x, 16000, 22050, 'fastest'); // switch away and back
  const y2 = await shared.resample(x, 16000, 8000, 'best');
  const fresh = await resample(x, 16000, 8000, { quality: 'best' });
  assert.deepEqual(y2, y1);
  assert.deepEqual(fresh, y1);
});

test('concurrent calls on one Resampler with different rates do not mix up their settings', async () => {
  const r = new Resampler();
  try {
    const x = sine(1600, 500, 16000);
    const [a, b] = await Promise.all([r.resample(x, 16000, 8000), r.resample(x, 16000, 32000)]);
    assert.equal(a.length, 800);
    assert.equal(b.length, 3200);
    assert.deepEqual(a, await resample(x, 16000, 8000));
  } finally {
    r.dispose();
  }
});

test('a signal longer than one WASM call is converted in chunks with seamless joins', async () => {
  // Both outputs below exceed the library's 1,008,000 samples per call (8 -> 16 kHz) or the
  // input does (44.1 -> 8 kHz), so each is cut into aligned chunks; the first join falls inside
  // [from, from + span). Compare that region with a one-call conversion of just the region.
  // Keep the order: downsampling after upsampling on the same Resampler once tripped the
  // wrapper's stale `ratio` field into its own (stateful, tail-dropping) chunking.
  for (const [fromHz, toHz, n, from, span] of [
    [8000, 16000, 600_000, 480_000, 40_000],
    [44100, 8000, 1_100_000, 970_200, 44_100], // from is a multiple of 44100 / gcd = 441
  ] as const) {
    const x = Float32Array.from({ length: n }, (_, i) => 0.3 * Math.sin(i * 0.0131) + 0.2 * Math.sin(i * 0.091) * Math.cos(i * 0.0007));
    const y = await shared.resample(x, fromHz, toHz, 'fastest');
    assert.equal(y.length, resampledLength(n, fromHz, toHz));
    const piece = await shared.resample(x.subarray(from, from + span), fromHz, toHz, 'fastest');
    const offset = (from * toHz) / fromHz;
    const margin = Math.round(piece.length / 20);
    let maxErr = 0;
    for (let k = margin; k < piece.length - margin; k++) maxErr = Math.max(maxErr, Math.abs(piece[k] - y[offset + k]));
    assert.ok(maxErr < 1e-5, `${fromHz} -> ${toHz} Hz: chunked and one-call conversions differ by ${maxErr} around the join`);
  }
});

test('3,000 calls on one Resampler across rate pairs do not grow memory', async () => {
  const r = new Resampler();
  try {
    const x = sine(200, 300, 8000);
    const pairs = [[8000, 16000], [16000, 8000], [22050, 8000]] as const;
    await r.resample(x, 8000, 16000, 'fastest');
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 3000; i++) await r.resample(x, pairs[i % 3][0], pairs[i % 3][1], 'fastest');
    const grownMb = (process.memoryUsage().arrayBuffers - before) / 2 ** 20;
    // One libsamplerate WASM instance is 26 MB; a leak per call would show up as many of them.
    assert.ok(grownMb < 20, `array buffers grew by ${grownMb.toFixed(1)} MB`);
  } finally {
    r.dispose();
  }
});

test('a disposed Resampler refuses work, and dispose is idempotent', async () => {
  const r = new Resampler();
  await r.resample(sine(100, 100, 8000), 8000, 16000);
  r.dispose();
  r.dispose();
  await assert.rejects(r.resample(sine(100, 100, 8000), 8000, 16000), (err: unknown) => err instanceof MelbookError && /disposed/.test(err.message));
});

test('impossible rates and qualities are errors naming the value', async () => {
  await assert.rejects(resample(new Float32Array(4), 0, 8000), /fromHz must be an integer from 1 to 192000 Hz, got 0/);
  await assert.rejects(resample(new Float32Array(4), 8000, 8000.5), /toHz must be an integer .* got 8000\.5/);
  await assert.rejects(resample(new Float32Array(4), 8000, 16000, { quality: 'ultra' as never, resampler: shared }), /unknown quality "ultra"/);
});
