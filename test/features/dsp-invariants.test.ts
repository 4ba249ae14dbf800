/** Invariants of the DSP functions over a grid of settings, independent of any reference library. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/errors';
import {
  dctMatrix, hannWindow, hzToMel, melFilterbank, melSpectrogram, melToHz, mfcc, powerToDb, sparsifyFilterbank, stft, stftFrameCount,
} from '../../src/features';

/** Deterministic test signal: two tones and a little pseudo-random noise. */
function signal(n: number, seed = 1): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, (_, i) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return 0.5 * Math.sin(0.11 * i) + 0.2 * Math.cos(0.7 * i) + 0.01 * (s / 2147483648 - 0.5);
  });
}

/** Textbook DFT of one frame, for checking the fast path and the window placement. */
function naiveFramePower(x: ArrayLike<number>, start: number, nFft: number, winLength: number, k: number): number {
  const w = hannWindow(winLength);
  const left = Math.floor((nFft - winLength) / 2);
  let re = 0;
  let im = 0;
  for (let j = 0; j < winLength; j++) {
    const v = x[start + left + j] * w[j];
    re += v * Math.cos((2 * Math.PI * k * (left + j)) / nFft);
    im -= v * Math.sin((2 * Math.PI * k * (left + j)) / nFft);
  }
  return re * re + im * im;
}

test('hannWindow is periodic by default (as torch.hann_window) and symmetric on request', () => {
  const p = hannWindow(8);
  assert.equal(p[0], 0);
  assert.ok(Math.abs(p[4] - 1) < 1e-15);
  for (let i = 1; i < 8; i++) assert.ok(Math.abs(p[i] - p[8 - i]) < 1e-15);
  const s = hannWindow(9, false);
  assert.ok(Math.abs(s[8]) < 1e-15 && Math.abs(s[4] - 1) < 1e-15);
  for (let i = 0; i < 8; i++) assert.ok(Math.abs(p[i] - s[i]) < 1e-15, 'periodic N = symmetric N + 1 without its last sample');
});

test('stft shape, non-negativity and values agree with a textbook DFT over a grid of settings', () => {
  const x = signal(1000);
  for (const nFft of [64, 100, 256]) {
    for (const winLength of [nFft, Math.floor(nFft * 0.75)]) {
      for (const hopLength of [32, 50]) {
        for (const center of [false, true]) {
          for (const power of [1, 2] as const) {
            const { data, shape } = stft(x, { nFft, winLength, hopLength, center, power });
            const nFrames = 1 + Math.floor((x.length + (center ? nFft : 0) - nFft) / hopLength);
            assert.deepEqual(shape, [1 + nFft / 2, nFrames]);
            assert.ok(data.every((v) => v >= 0));
            if (center) continue; // uncentred frames index the signal directly
            for (const [t, k] of [[0, 3], [nFrames - 1, nFft / 4], [2, nFft / 2]]) {
              const want = naiveFramePower(x, t * hopLength, nFft, winLength, k);
              const got = data[k * nFrames + t];
              const expected = power === 2 ? want : Math.sqrt(want);
              assert.ok(Math.abs(got - expected) <= 1e-5 * Math.max(1, expected), `nFft ${nFft} win ${winLength} t ${t} k ${k}: ${got} vs ${expected}`);
            }
          }
        }
      }
    }
  }
});

test('centre padding reflects without repeating the edge sample, or pads zeros', () => {
  const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const nFft = 8;
  // Frame 0 of a centred STFT covers padded samples [-4, 4): reflect gives 5 4 3 2 | 1 2 3 4.
  const reflected = Float32Array.from([5, 4, 3, 2, 1, 2, 3, 4]);
  const zeros = Float32Array.from([0, 0, 0, 0, 1, 2, 3, 4]);
  for (const [padMode, frame] of [['reflect', reflected], ['constant', zeros]] as const) {
    const { data, shape } = stft(x, { nFft, hopLength: 4, center: true, padMode });
    for (const k of [0, 1, 4]) {
      const want = naiveFramePower(frame, 0, nFft, nFft, k);
      assert.ok(Math.abs(data[k * shape[1]] - want) < 1e-4, `${padMode} k ${k}`);
    }
  }
  assert.throws(() => stft(new Float32Array(3), { nFft: 8 }), (e: unknown) => e instanceof ConfigError && /too short to reflect-pad/.test(e.message));
  assert.equal(stftFrameCount(3, { nFft: 8, hopLength: 2, center: false }), 0);
});

test('hzToMel and melToHz give the known values and invert each other on both scales', () => {
  assert.ok(Math.abs(hzToMel(1000, 'htk') - 999.9855) < 1e-3);
  assert.ok(Math.abs(hzToMel(1000, 'slaney') - 15) < 1e-12);
  assert.ok(Math.abs(hzToMel(500, 'slaney') - 7.5) < 1e-12);
  assert.ok(Math.abs(hzToMel(700, 'htk') - 2595 * Math.log10(2)) < 1e-9);
  for (const scale of ['htk', 'slaney'] as const) {
    for (const hz of [0, 60, 999, 1000, 1001, 4000, 11025]) assert.ok(Math.abs(melToHz(hzToMel(hz, scale), scale) - hz) < 1e-8 * Math.max(1, hz), `${scale} ${hz}`);
  }
});

test('filterbank rows are triangles inside [fMin, fMax]; slaney norm gives each row the same area', () => {
  for (const melScale of ['htk', 'slaney'] as const) {
    for (const [sampleRateHz, nFft, nMels, fMinHz, fMaxHz] of [[8000, 256, 40, 0, 4000], [16000, 512, 64, 300, 7000], [22050, 2048, 128, 0, 11025]]) {
      const nFreqs = 1 + nFft / 2;
      const binHz = Math.floor(sampleRateHz / 2) / (nFreqs - 1);
      const plain = melFilterbank({ sampleRateHz, nFft, nMels, fMinHz, fMaxHz, melScale });
      const normed = melFilterbank({ sampleRateHz, nFft, nMels, fMinHz, fMaxHz, melScale, norm: 'slaney' });
      assert.equal(plain.length, nMels * nFreqs);
      const { start, end } = sparsifyFilterbank(plain, nMels, nFreqs);
      const areas: number[] = [];
      for (let m = 0; m < nMels; m++) {
        const row = plain.subarray(m * nFreqs, (m + 1) * nFreqs);
        assert.ok(row.every((w) => w >= 0 && w <= 1 + 1e-6), 'weights in [0, 1]');
        for (let k = 0; k < nFreqs; k++) if (k * binHz < fMinHz - 1e-6 || k * binHz > fMaxHz + 1e-6) assert.equal(row[k], 0);
        assert.ok(row.subarray(0, start[m]).every((w) => w === 0) && row.subarray(end[m]).every((w) => w === 0));
        // Slaney norm scales each row by a constant: 2 / (f[m+2] - f[m]).
        const ratio = normed[m * nFreqs + (start[m] + end[m] - 1 >> 1)] / row[(start[m] + end[m] - 1) >> 1];
        for (let k = start[m]; k < end[m]; k++) if (row[k] > 1e-3) assert.ok(Math.abs(normed[m * nFreqs + k] / row[k] - ratio) < 1e-4 * ratio);
        const lo = melToHz(hzToMel(fMinHz, melScale) + (m * (hzToMel(fMaxHz, melScale) - hzToMel(fMinHz, melScale))) / (nMels + 1), melScale);
        const hi = melToHz(hzToMel(fMinHz, melScale) + ((m + 2) * (hzToMel(fMaxHz, melScale) - hzToMel(fMinHz, melScale))) / (nMels + 1), melScale);
        assert.ok(Math.abs(ratio - 2 / (hi - lo)) < 1e-4 * ratio);
        // The continuous triangle has area (hi - lo) / 2, so normed rows integrate to ~1 / binHz per bin width.
        areas.push(normed.subarray(m * nFreqs, (m + 1) * nFreqs).reduce((a, b) => a + b, 0) * binHz);
      }
      // Rows wide enough to be sampled well have area ~1 (Riemann sum of a unit-area triangle).
      const wide = areas.filter((_, m) => end[m] - start[m] >= 8);
      assert.ok(wide.length > 0);
      for (const a of wide) assert.ok(Math.abs(a - 1) < 0.05, `${melScale} sr ${sampleRateHz}: area ${a}`);
    }
  }
});

test('too many mels for the FFT size warn through onWarning; impossible settings throw ConfigError', () => {
  const warnings: string[] = [];
  melFilterbank({ sampleRateHz: 8000, nFft: 64, nMels: 64, onWarning: (m) => warnings.push(m) });
  assert.ok(warnings.length > 0);
  assert.match(warnings[0], /has all zero weights: nMels = 64 is too high for nFft = 64/);
  const silent: string[] = [];
  melFilterbank({ sampleRateHz: 8000, nFft: 256, nMels: 64, onWarning: (m) => silent.push(m) });
  assert.deepEqual(silent, []);
  const bad = (opts: Partial<Parameters<typeof melFilterbank>[0]>, path: string, text: RegExp) =>
    assert.throws(() => melFilterbank({ sampleRateHz: 8000, nFft: 256, nMels: 40, ...opts }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.path, path);
      assert.match(e.message, text);
      return true;
    });
  bad({ fMaxHz: 5000 }, 'fMaxHz', /got 5000; expected at most the Nyquist frequency 4000 Hz/);
  bad({ fMinHz: 3000, fMaxHz: 2000 }, 'fMinHz', /expected fMinHz below fMaxHz = 2000 Hz/);
  bad({ fMinHz: 2000, fMaxHz: 2000 }, 'fMinHz', /below fMaxHz/);
  bad({ nMels: 0 }, 'nMels', /integer >= 1/);
});

test('melSpectrogram shapes and non-negativity over a grid; log and dB scales follow their formulas', () => {
  const x = signal(4000);
  for (const nFft of [128, 256, 512]) {
    for (const hopLength of [64, 128]) {
      for (const nMels of [20, 40]) {
        for (const center of [true, false]) {
          const opts = { nFft, hopLength, nMels, center, scale: 'linear' as const };
          const lin = melSpectrogram(x, opts);
          assert.deepEqual(lin.shape, [nMels, stftFrameCount(x.length, { nFft, hopLength, center })]);
          assert.ok(lin.data.every((v) => v >= 0 && Number.isFinite(v)));
          const log = melSpectrogram(x, { ...opts, scale: 'log' });
          for (let i = 0; i < lin.data.length; i += 37) assert.ok(Math.abs(log.data[i] - Math.log(lin.data[i] + 1e-6)) < 1e-5);
          const db = melSpectrogram(x, { ...opts, scale: 'db', dbTopDb: null });
          for (let i = 0; i < lin.data.length; i += 37) assert.ok(Math.abs(db.data[i] - 10 * Math.log10(Math.max(1e-10, lin.data[i]))) < 1e-3);
        }
      }
    }
  }
});

test('powerToDb applies ref, amin and topDb as librosa.power_to_db', () => {
  const S = new Float32Array([1, 10, 100, 1e-12, 0]);
  assert.deepEqual(Array.from(powerToDb(S, { topDb: null })), [0, 10, 20, -100, -100]);
  assert.deepEqual(Array.from(powerToDb(S)), [0, 10, 20, -60, -60]);
  assert.deepEqual(Array.from(powerToDb(S, { ref: 'max', topDb: 25 })), [-20, -10, 0, -25, -25]);
  assert.deepEqual(Array.from(powerToDb(S, { ref: 10, amin: 1e-5, topDb: null })), [-10, 0, 10, -60, -60]);
  assert.deepEqual(Array.from(powerToDb(new Float32Array([1, 100]), { multiplier: 20 })), [0, 40]);
});

test('the orthonormal DCT matrix has orthonormal rows and mfcc has shape [nMfcc, nFrames]', () => {
  const n = 32;
  const d = dctMatrix(n, n, 'ortho');
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += d[a * n + i] * d[b * n + i];
      assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-5);
    }
  }
  const out = mfcc(signal(8000), { nMfcc: 13 });
  assert.deepEqual(out.shape, [13, 63]);
  assert.ok(out.data.every(Number.isFinite));
  assert.throws(() => mfcc(signal(8000), { nMfcc: 80, nMels: 64 }), /nMfcc: got 80; expected an integer in \[1, nMels = 64\]/);
});
