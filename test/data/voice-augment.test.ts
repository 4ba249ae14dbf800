import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Resampler } from '../../src/audio/resample';
import { formantWarp, pitchShift, timeStretch } from '../../src/data/voice-augment';
import { MelbookError } from '../../src/errors';

const RATE = 8000;
const FORMANTS_HZ = [700, 1200, 2600];

/** Gain of a cascade of resonances (formant, bandwidth ~ 80 Hz) at `f`: the vowel's spectral envelope. */
function envelope(f: number, formants = FORMANTS_HZ): number {
  let g = 1;
  for (const fc of formants) g *= 1 / Math.sqrt((1 - (f / fc) ** 2) ** 2 + ((f * 80) / fc ** 2) ** 2);
  return g;
}

/** A synthetic vowel: harmonics of f0 (Hz) up to 3.8 kHz, shaped by the formants, `durationS` long in the middle of `totalS` of silence. */
function vowel(f0: number, durationS = 0.5, totalS = 1): Float32Array {
  const out = new Float32Array(Math.round(totalS * RATE));
  const start = Math.round(((totalS - durationS) / 2) * RATE);
  const n = Math.round(durationS * RATE);
  for (let h = 1; h * f0 < 3800; h++) {
    const a = envelope(h * f0);
    for (let i = 0; i < n; i++) out[start + i] += a * Math.sin((2 * Math.PI * h * f0 * i) / RATE);
  }
  const peak = out.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return out.map((v) => (0.5 * v) / peak);
}

/** f0 in Hz by the autocorrelation peak between 60 and 500 Hz, refined by a parabola, over the middle 0.2 s. */
function f0Of(x: Float32Array): number {
  const mid = Math.floor(x.length / 2);
  const seg = x.subarray(mid - 800, mid + 800);
  const ac = (lag: number) => {
    let s = 0;
    for (let i = 0; i + lag < seg.length; i++) s += seg[i] * seg[i + lag];
    return s / (seg.length - lag);
  };
  const acs = Array.from({ length: 135 }, (_, lag) => (lag < 16 ? -Infinity : ac(lag)));
  const max = Math.max(...acs);
  // The first local maximum near the highest: the period, not a multiple of it.
  let best = 16;
  while (!(acs[best] >= 0.9 * max && acs[best] >= acs[best + 1])) best++;
  const [a, b, c] = [ac(best - 1), ac(best), ac(best + 1)];
  return RATE / (best + (0.5 * (a - c)) / (a - 2 * b + c));
}

/** Seconds between the first and last sample whose 2 ms RMS is above a tenth of the loudest. */
function activeDuration(x: Float32Array): number {
  const w = 16;
  const rms = Array.from({ length: Math.floor(x.length / w) }, (_, k) => Math.sqrt(x.subarray(k * w, (k + 1) * w).reduce((s, v) => s + v * v, 0) / w));
  const max = Math.max(...rms);
  const on = rms.map((r, k) => (r > max / 10 ? k : -1)).filter((k) => k >= 0);
  return ((on[on.length - 1] - on[0] + 1) * w) / RATE;
}

/** Frequency (Hz) of the formant peak in [loHz, hiHz] of a vowel of `f0` Hz, from its time-averaged spectrum. */
function envelopePeak(x: Float32Array, f0: number, loHz: number, hiHz: number): number {
  const n = 1024;
  const mag = new Float64Array(n / 2 + 1);
  for (let start = 0; start + n <= x.length; start += n / 4) {
    for (let k = 0; k <= n / 2; k++) {
      let re = 0;
      let im = 0;
      for (let i = 0; i < n; i += 1) {
        const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
        re += w * x[start + i] * Math.cos((2 * Math.PI * k * i) / n);
        im -= w * x[start + i] * Math.sin((2 * Math.PI * k * i) / n);
      }
      mag[k] += Math.hypot(re, im);
    }
  }
  // The strongest harmonic in the band, refined by a parabola through the log magnitudes of its neighbours one f0 away.
  const at = (hz: number) => Math.log(Math.max(...Array.from({ length: 7 }, (_, j) => mag[Math.round((hz * n) / RATE) + j - 3])));
  let bestHz = 0;
  for (let h = Math.ceil(loHz / f0); h * f0 <= hiHz; h++) if (bestHz === 0 || at(h * f0) > at(bestHz)) bestHz = h * f0;
  const [a, b, c] = [at(bestHz - f0), at(bestHz), at(bestHz + f0)];
  return bestHz + (f0 * 0.5 * (a - c)) / (a - 2 * b + c);
}

const semitonesBetween = (a: number, b: number) => 12 * Math.log2(b / a);

describe('pitchShift', () => {
  const resampler = new Resampler();
  after(() => resampler.dispose());
  for (const k of [-4, -2, 2, 4]) {
    test(`moves a vowel's f0 by ${k} semitones (±0.3) and keeps its duration (±2 %)`, async () => {
      const x = vowel(120);
      const y = await pitchShift(x, k, RATE, resampler);
      assert.ok(Math.abs(y.length - x.length) / x.length < 0.02, `length ${y.length} vs ${x.length}`);
      const moved = semitonesBetween(f0Of(x), f0Of(y));
      assert.ok(Math.abs(moved - k) <= 0.3, `f0 moved by ${moved.toFixed(3)} semitones, expected ${k}`);
      const d0 = activeDuration(x);
      const d1 = activeDuration(y);
      assert.ok(Math.abs(d1 - d0) / d0 <= 0.02, `active duration ${d1} s vs ${d0} s`);
    });
  }
  test('is deterministic and leaves the input untouched', async () => {
    const x = vowel(150);
    const copy = x.slice();
    assert.deepEqual(await pitchShift(x, 3, RATE, resampler), await pitchShift(x, 3, RATE, resampler));
    assert.deepEqual(x, copy);
  });
  test('refuses a shift beyond an octave, naming the value', async () => {
    await assert.rejects(pitchShift(vowel(120), 13, RATE, resampler), (e: Error) => e instanceof MelbookError && /got 13/.test(e.message));
  });
});

describe('timeStretch', () => {
  test('changes the duration by the factor and keeps f0', () => {
    const x = vowel(130, 0.4, 1);
    const y = timeStretch(x, 1.25, RATE);
    assert.equal(y.length, Math.round(x.length * 1.25));
    assert.ok(Math.abs(activeDuration(y) / activeDuration(x) - 1.25) < 0.04);
    assert.ok(Math.abs(semitonesBetween(f0Of(x), f0Of(y))) < 0.1);
  });
});

describe('formantWarp', () => {
  for (const alpha of [0.85, 1.15]) {
    test(`by ${alpha} moves the formant peaks by about ${alpha} and keeps f0`, () => {
      const x = vowel(100, 0.8, 1);
      const y = formantWarp(x, alpha, RATE);
      assert.equal(y.length, x.length);
      for (const [fc, lo, hi] of [[700, 450, 1000], [2600, 2100, 3300]]) {
        const before = envelopePeak(x, 100, lo, hi);
        const afterHz = envelopePeak(y, 100, lo, hi);
        assert.ok(Math.abs(before / fc - 1) < 0.06, `input peak ${before} Hz near ${fc}`);
        assert.ok(Math.abs(afterHz / before - alpha) < 0.05, `peak near ${fc} Hz moved ${before} -> ${afterHz} Hz, ratio ${(afterHz / before).toFixed(3)}, expected ${alpha}`);
      }
      assert.ok(Math.abs(semitonesBetween(f0Of(x), f0Of(y))) < 0.1, 'f0 unchanged');
    });
  }
  test('by 1 returns a copy, and is deterministic', () => {
    const x = vowel(110);
    assert.deepEqual(formantWarp(x, 1, RATE), x);
    assert.deepEqual(formantWarp(x, 1.1, RATE), formantWarp(x, 1.1, RATE));
  });
  test('refuses a factor outside [0.5, 2]', () => {
    assert.throws(() => formantWarp(vowel(110), 3, RATE), (e: Error) => e instanceof MelbookError && /got 3/.test(e.message));
  });
});
