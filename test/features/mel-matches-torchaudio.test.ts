/**
 * Parity with torchaudio 0.13 on real FSDD clips, against the arrays that
 * test/fixtures/reference/make_reference.py saved (see index.json for each configuration).
 *
 * How the error is measured, and why:
 * - Linear mel (power or magnitude): element-wise relative error |ours - ref| / ref over the elements
 *   within 60 dB of the array's peak power (power >= 1e-6 * peak; magnitude >= 1e-3 * peak). Below
 *   that, both sides are float32 rounding noise of the frame's loud bins (torch computes in float32:
 *   torch's own float32 result differs from its float64 result by far more than 1e-4 down there).
 * - Log and dB outputs: the absolute difference of ln(x) equals the relative difference of x, so
 *   |Δ ln x| (log) and |Δ dB| * ln(10) / 10 (dB) are the same relative error on the linear scale,
 *   over the same elements within 60 dB of the peak.
 * - MFCC and filterbanks (values cross zero): norm-wise max |ours - ref| / max |ref|.
 * The bound is 1e-4 everywhere. The residue comes from torch's float32 FFT and its float32 pow
 * (1 ulp off the correctly rounded value for ~2 % of arguments), which moves a few band edges.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { MelPlan, type MelSpectrogramOptions, melFilterbank, MfccPlan, type MfccOptions, readNpySync } from '../../src/features';
import { FSDD_DIR, FSDD_MISSING, fitToLength, hasFsdd, normRelativeError, readPcm16Mono, REFERENCE_DIR } from './parity-helpers';
import { requireOrSkip } from '../helpers/skip';

interface IndexEntry<O> { name: string; options: O; output?: 'linear' | 'log' | 'db'; fitLength: number | null; files: Record<string, string> }
interface ReferenceIndex {
  torchaudio: string;
  sampleRateHz: number;
  clips: string[];
  mel: IndexEntry<MelSpectrogramOptions>[];
  mfcc: IndexEntry<MfccOptions>[];
  filterbanks: { name: string; options: { nFft: number; nMels: number }; file: string }[];
}

const TOLERANCE = 1e-4;
const index: ReferenceIndex = JSON.parse(readFileSync(path.join(REFERENCE_DIR, 'index.json'), 'utf8'));

function clip(name: string, fitLength: number | null): Float32Array {
  const { samples, sampleRateHz } = readPcm16Mono(path.join(FSDD_DIR, name));
  assert.equal(sampleRateHz, index.sampleRateHz);
  return fitLength === null ? samples : fitToLength(samples, fitLength);
}

/** Relative error on the linear scale over elements within 60 dB of the peak (see file comment). */
function melRelativeError(ours: Float32Array, ref: Float32Array, output: 'linear' | 'log' | 'db', power: number): { error: number; counted: number } {
  let peak = -Infinity;
  for (const v of ref) peak = Math.max(peak, v);
  let error = 0;
  let counted = 0;
  for (let i = 0; i < ref.length; i++) {
    let e: number;
    if (output === 'linear') {
      if (!(ref[i] > 0 && ref[i] >= peak * (power === 2 ? 1e-6 : 1e-3))) continue;
      e = Math.abs(ours[i] - ref[i]) / ref[i];
    } else if (output === 'log') {
      if (ref[i] < peak + Math.log(1e-6)) continue;
      e = Math.abs(ours[i] - ref[i]);
    } else {
      if (ref[i] < peak - 60) continue;
      e = (Math.abs(ours[i] - ref[i]) * Math.LN10) / 10;
    }
    error = Math.max(error, e);
    counted++;
  }
  return { error, counted };
}

for (const config of index.mel) {
  test(`the ${config.name} mel spectrogram is within ${TOLERANCE} of torchaudio ${index.torchaudio}`, (t) => {
    if (!requireOrSkip(t, hasFsdd(), FSDD_MISSING)) return;
    const plan = new MelPlan(config.options);
    for (const name of index.clips) {
      const ours = plan.run(clip(name, config.fitLength));
      const ref = readNpySync(path.join(REFERENCE_DIR, config.files[name]));
      assert.deepEqual(ours.shape, ref.shape, `${name}: shape`);
      const { error, counted } = melRelativeError(ours.data, ref.data, config.output ?? 'linear', config.options.power ?? 2);
      t.diagnostic(`${name}: max relative error ${error.toExponential(2)} over ${counted} of ${ref.data.length} elements`);
      assert.ok(counted > ref.data.length / 5, `${name}: too few elements within 60 dB of the peak (${counted})`);
      assert.ok(error <= TOLERANCE, `${name}: max relative error ${error} exceeds ${TOLERANCE}`);
    }
  });
}

for (const config of index.mfcc) {
  test(`the ${config.name} MFCCs are within ${TOLERANCE} (norm-wise) of torchaudio`, (t) => {
    if (!requireOrSkip(t, hasFsdd(), FSDD_MISSING)) return;
    const plan = new MfccPlan(config.options);
    for (const name of index.clips) {
      const ours = plan.run(clip(name, config.fitLength));
      const ref = readNpySync(path.join(REFERENCE_DIR, config.files[name]));
      assert.deepEqual(ours.shape, ref.shape, `${name}: shape`);
      const error = normRelativeError(ours.data, ref.data);
      t.diagnostic(`${name}: max |a-b| / max |b| = ${error.toExponential(2)}`);
      assert.ok(error <= TOLERANCE, `${name}: norm-wise relative error ${error} exceeds ${TOLERANCE}`);
    }
  });
}

for (const config of index.filterbanks) {
  test(`the ${config.name} filterbank is the transpose of torchaudio's melscale_fbanks`, (t) => {
    const file = path.join(REFERENCE_DIR, config.file);
    assert.ok(existsSync(file), `${file} is missing; run make_reference.py`);
    const ref = readNpySync(file);
    const [nFreqs, nMels] = ref.shape;
    const ours = melFilterbank({ sampleRateHz: index.sampleRateHz, ...config.options });
    assert.equal(ours.length, nFreqs * nMels);
    const transposed = new Float32Array(nFreqs * nMels);
    for (let f = 0; f < nFreqs; f++) for (let m = 0; m < nMels; m++) transposed[m * nFreqs + f] = ref.data[f * nMels + m];
    const error = normRelativeError(ours, transposed);
    t.diagnostic(`max |a-b| / max |b| = ${error.toExponential(2)}`);
    assert.ok(error <= 1e-5, `norm-wise relative error ${error} exceeds 1e-5`);
  });
}
