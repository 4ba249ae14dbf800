import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWav } from '../../src/audio/encode';
import { preprocess, featureKeyFor } from '../../src/stages/preprocess';
import { pipelineConfig } from '../../src/config/pipeline';
import { readNpySync } from '../../src/features/npy';
import { readManifest } from '../../src/data/manifest';
import { ConfigError } from '../../src/errors';

const SR = 8000;
/** `lead` seconds of silence, then a tone whose pitch depends on the digit, then 0.1 s of silence. */
function word(hz: number, lead: number, seconds: number): Float32Array {
  const out = new Float32Array(Math.round((lead + seconds + 0.1) * SR));
  const start = Math.round(lead * SR);
  for (let i = 0; i < Math.round(seconds * SR); i++) out[start + i] = 0.4 * Math.sin((2 * Math.PI * hz * i) / SR);
  return out;
}

function corpus(): string {
  const dir = mkdtempSync(join(tmpdir(), 'melbook-aug-'));
  for (let d = 0; d < 2; d++) for (const s of ['ann', 'bob']) for (let t = 0; t < 4; t++) {
    writeFileSync(join(dir, `${d}_${s}_${t}.wav`), encodeWav(word(400 + 300 * d, 0.05 * t, 0.2), SR));
  }
  return dir;
}

function config(recordings: string, extra: { data?: object; preprocess?: object } = {}) {
  return pipelineConfig({
    data: { recordings, durationS: 0.5, ...extra.data },
    split: { mode: 'official', officialMaxTestTake: 0, validationFraction: 0.25 },
    preprocess: { dir: mkdtempSync(join(tmpdir(), 'melbook-augf-')), workers: 1, ...extra.preprocess },
  });
}

const augment = { copies: 2, seed: 7, speed: { probability: 1, minFactor: 0.9, maxFactor: 1.1 }, noise: { probability: 1, minSnrDb: 10, maxSnrDb: 20 } };

test('trimSilence aligns every take at the start of the window, whatever its leading silence', async () => {
  const rec = corpus();
  const plain = await preprocess(config(rec));
  const trimmed = await preprocess(config(rec, { data: { trimSilence: { topDb: 30 } } }));
  assert.notEqual(plain.featureKey, trimmed.featureKey, 'trimming is part of the feature key');
  assert.deepEqual(trimmed.metadata.audio.trimSilence, { topDb: 30, frameLength: 256, hopLength: 64, edges: 'both' });
  const frameEnergy = (dir: string, id: string) => {
    const e = readManifest(join(dir, 'manifest.json')).entries.find((x) => x.id === id)!;
    const { data, shape } = readNpySync(join(dir, e.feature));
    return Array.from({ length: shape[1] }, (_, c) => Array.from({ length: shape[0] }, (_, r) => data[r * shape[1] + c]).reduce((a, b) => a + Math.exp(b), 0));
  };
  // Take 3 starts 0.15 s (~9 frames) late as recorded; trimmed, its first loud frame is the one of take 0.
  const firstLoud = (xs: number[]) => xs.findIndex((v) => v > 0.01 * Math.max(...xs));
  const late = firstLoud(frameEnergy(plain.featureDir, '0_ann_3.wav')) - firstLoud(frameEnergy(plain.featureDir, '0_ann_0.wav'));
  assert.ok(late >= 8, `take 3 starts ${late} frames after take 0 as recorded`);
  const offset = firstLoud(frameEnergy(trimmed.featureDir, '0_ann_3.wav')) - firstLoud(frameEnergy(trimmed.featureDir, '0_ann_0.wav'));
  assert.ok(Math.abs(offset) <= 1, `trimmed, take 3 starts ${offset} frames after take 0`);
});

test('waveform augmentation writes seeded copies with the shape and dtype of the original', async () => {
  const rec = corpus();
  const a = await preprocess(config(rec, { preprocess: { augment } }));
  const b = await preprocess(config(rec, { preprocess: { augment } }));
  const c = await preprocess(config(rec, { preprocess: { augment: { ...augment, seed: 8 } } }));
  assert.notEqual(a.featureKey, c.featureKey, 'the augmentation settings are part of the feature key');
  assert.equal(a.metadata.augment?.copies, 2);
  const entries = readManifest(a.manifestPath).entries;
  for (const e of entries) {
    assert.equal(e.copies?.length, 2, e.id);
    const original = readNpySync(join(a.featureDir, e.feature));
    for (const copy of e.copies!) {
      const x = readNpySync(join(a.featureDir, copy));
      assert.deepEqual(x.shape, original.shape);
      assert.ok(x.data instanceof Float32Array);
      assert.notDeepEqual(x.data, original.data, `${copy} is perturbed`);
    }
  }
  const e = entries[3];
  const copyOf = (dir: string) => readNpySync(join(dir, e.copies![1])).data;
  assert.deepEqual(copyOf(a.featureDir), copyOf(b.featureDir), 'same seed, same copy');
  assert.notDeepEqual(copyOf(a.featureDir), copyOf(c.featureDir), 'another seed, another copy');
});

test('normalisation statistics ignore the copies', async () => {
  const rec = corpus();
  const plain = await preprocess(config(rec));
  const augmented = await preprocess(config(rec, { preprocess: { augment } }));
  assert.deepEqual(augmented.metadata.normalization, plain.metadata.normalization);
});

test('a rerun reuses clips whose copies exist and remakes a clip whose copy was deleted', async () => {
  const rec = corpus();
  const cfg = config(rec, { preprocess: { augment } });
  const first = await preprocess(cfg);
  const e = readManifest(first.manifestPath).entries[0];
  const kept = readNpySync(join(first.featureDir, e.copies![0])).data;
  const { rmSync } = await import('node:fs');
  rmSync(join(first.featureDir, e.copies![0]));
  const second = await preprocess(cfg);
  assert.equal(second.written, 1);
  assert.ok(existsSync(join(first.featureDir, e.copies![0])));
  assert.deepEqual(readNpySync(join(first.featureDir, e.copies![0])).data, kept, 'the remade copy is the same');
});

test('a bad augmentation range names its YAML path', async () => {
  const rec = corpus();
  await assert.rejects(
    preprocess(config(rec, { preprocess: { augment: { ...augment, speed: { probability: 1, minFactor: 1.2, maxFactor: 1.1 } } } })),
    (e: Error) => e instanceof ConfigError && /preprocess\.augment\.speed\.maxFactor/.test(e.message),
  );
});

test('the feature key of a config without the new options is unchanged by them', () => {
  const cfg = config('r');
  assert.equal(featureKeyFor(cfg.features, cfg.data), featureKeyFor(cfg.features, cfg.data, { ...augment, copies: 0 }));
});

test('the notebook preview plays exactly the waveform each stored copy was extracted from', async () => {
  const { AudioDataset } = await import('../../src/data/dataset');
  const { augmentationPreview } = await import('../../src/stages/augment-preview');
  const { createExtractor } = await import('../../src/features/extractor');
  const { extractorSpecFromConfig } = await import('../../src/stages/preprocess');
  const cfg = config(corpus(), { data: { trimSilence: { topDb: 30 } }, preprocess: { augment } });
  const prep = await preprocess(cfg);
  const ds = AudioDataset.fromPreprocess(prep);
  const entry = ds.entries('train')[1];
  const training = { ...cfg.training, normalization: 'none' as const, augment: { ...cfg.training.augment, specAugment: { freqMasks: 1, freqMaskWidth: 8, timeMasks: 1, timeMaskWidth: 4, maskValue: 0 } } };
  const p = await augmentationPreview(ds, training, entry, 3);
  assert.equal(p.copies.length, 2);
  assert.equal(p.samples?.length, 4000, 'the original waveform, fitted to 0.5 s');
  const extractor = createExtractor(extractorSpecFromConfig(cfg.features, cfg.data));
  for (const c of p.copies) {
    const again = extractor.extract(c.samples!, SR).data;
    assert.ok(again.every((v, i) => Math.abs(v - c.features[i]) < 1e-5), `${c.file}: the previewed audio gives the stored features`);
  }
  assert.equal(p.featureAugmented?.length, p.original.length);
  assert.notDeepEqual(p.featureAugmented, p.original, 'SpecAugment masked something');
  const again = await augmentationPreview(ds, training, entry, 3);
  assert.deepEqual(again.featureAugmented, p.featureAugmented, 'same seed, same masks');
});

test('showAugmentationPreview shows original, feature-augmented and copies, or says augmentation is off', async () => {
  const { AudioDataset } = await import('../../src/data/dataset');
  const { showAugmentationPreview } = await import('../../src/stages/notebook-stages');
  const { setDisplaySink } = await import('../../src/viz/display');
  const messages: unknown[] = [];
  const previous = setDisplaySink((m) => messages.push(m));
  try {
    const cfg = config(corpus(), { preprocess: { augment } });
    const ds = AudioDataset.fromPreprocess(await preprocess(cfg));
    const training = { ...cfg.training, augment: { ...cfg.training.augment, timeShift: { maxShiftFrames: 3, fill: 0 } } };
    assert.equal(await showAugmentationPreview(ds, training, 1), 4, 'original, time-shifted, two copies');
    assert.equal(messages.length, 4 + 3, 'four spectrograms and three audio players');
    const plain = config(corpus());
    assert.equal(await showAugmentationPreview(AudioDataset.fromPreprocess(await preprocess(plain)), plain.training, 1), 0);
  } finally {
    setDisplaySink(previous);
  }
});
