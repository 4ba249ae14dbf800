import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWav } from '../../src/audio/encode';
import { Resampler } from '../../src/audio/resample';
import { loadPipelineConfig, pipelineConfig } from '../../src/config/pipeline';
import { waveformAugmenter } from '../../src/data/augment';
import { readMetadata } from '../../src/data/manifest';
import { seededRandom } from '../../src/data/random';
import { featureKeyFor, preprocess } from '../../src/stages/preprocess';
import { ConfigError } from '../../src/errors';

const SR = 8000;
const augment = { copies: 2, seed: 7, speed: { probability: 1, minFactor: 0.9, maxFactor: 1.1 }, noise: { probability: 1, minSnrDb: 10, maxSnrDb: 20 } };

function config(recordings: string, pre: object = {}) {
  return pipelineConfig({
    data: { recordings, durationS: 0.5 },
    split: { mode: 'official', officialMaxTestTake: 0, validationFraction: 0.25 },
    preprocess: { dir: mkdtempSync(join(tmpdir(), 'melbook-voicef-')), workers: 1, ...pre },
  });
}

test('the feature key of a config that leaves pitch and formant off is the key it had before they existed', () => {
  const cfg = config('r', { augment });
  // Computed before preprocess.augment.pitch/formant were added: the schema now fills them in (off).
  assert.equal(featureKeyFor(cfg.features, cfg.data, cfg.preprocess.augment), '7f2a26a3edfa5594');
  assert.ok('pitch' in cfg.preprocess.augment && cfg.preprocess.augment.pitch.probability === 0);
  const robust = loadPipelineConfig('config/robust.yaml');
  const { pitch: _p, formant: _f, ...before } = robust.preprocess.augment;
  assert.equal(featureKeyFor(robust.features, robust.data, robust.preprocess.augment), featureKeyFor(robust.features, robust.data, before));
});

test('turning pitch or formant on changes the feature key', () => {
  const off = config('r', { augment });
  const pitch = config('r', { augment: { ...augment, pitch: { probability: 0.5 } } });
  const formant = config('r', { augment: { ...augment, formant: { probability: 0.5 } } });
  const keys = [off, pitch, formant].map((c) => featureKeyFor(c.features, c.data, c.preprocess.augment));
  assert.equal(new Set(keys).size, 3);
});

test('waveformAugmenter with pitch and formant on is deterministic per seed and changes the clip', async () => {
  const resampler = new Resampler();
  try {
    const x = Float32Array.from({ length: SR }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 150 * i) / SR) + 0.2 * Math.sin((2 * Math.PI * 750 * i) / SR));
    const perturb = waveformAugmenter({ pitch: { probability: 1 }, formant: { probability: 1 } }, { length: SR, resampler, rateHz: SR });
    assert.ok(perturb);
    const a = await perturb(x, seededRandom(3));
    assert.deepEqual(a, await perturb(x, seededRandom(3)));
    assert.notDeepEqual(a, await perturb(x, seededRandom(4)));
    assert.equal(a.length, SR);
    assert.ok(a.some((v, i) => Math.abs(v - x[i]) > 1e-3));
  } finally {
    resampler.dispose();
  }
});

test('preprocess records pitch in the metadata only when it is on, and names a bad range by its YAML path', async () => {
  const rec = mkdtempSync(join(tmpdir(), 'melbook-voice-'));
  for (let d = 0; d < 2; d++) for (const s of ['ann', 'bob']) for (let t = 0; t < 2; t++) {
    writeFileSync(join(rec, `${d}_${s}_${t}.wav`), encodeWav(Float32Array.from({ length: 2400 }, (_, i) => 0.3 * Math.sin((2 * Math.PI * (120 + 40 * d) * i) / SR)), SR));
  }
  const on = await preprocess(config(rec, { augment: { ...augment, pitch: { probability: 1, minSemitones: 2, maxSemitones: 4 } } }));
  const meta = readMetadata(on.metadataPath);
  assert.deepEqual(meta.augment, on.metadata.augment);
  assert.deepEqual(meta.augment?.pitch, { probability: 1, minSemitones: 2, maxSemitones: 4 });
  assert.equal(meta.augment?.formant, undefined);
  await assert.rejects(
    preprocess(config(rec, { augment: { ...augment, formant: { probability: 1, minFactor: 1.2, maxFactor: 1.1 } } })),
    (e: Error) => e instanceof ConfigError && /preprocess\.augment\.formant\.maxFactor/.test(e.message),
  );
});
