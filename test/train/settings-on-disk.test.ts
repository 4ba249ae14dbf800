/**
 * The settings preprocess writes (metadata.json) and training copies into a model bundle
 * (melbook.json) are checked when read back: a file this version does not write fails with a
 * named error that says how to rebuild it. And predict hears a clip exactly as preprocess did:
 * both go through the one audio chain, so their features are identical.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWav } from '../../src/audio/encode';
import { preprocess } from '../../src/stages/preprocess';
import { pipelineConfig, SEED_MODEL } from '../../src/config/pipeline';
import { readMetadata, METADATA_FILE, type DatasetMetadata } from '../../src/data/manifest';
import { AudioDataset } from '../../src/data/dataset';
import { readBundleMetadata, writeBundleMetadata, BUNDLE_FILE } from '../../src/train/bundle';
import { Predictor } from '../../src/train/predict';
import { buildModel } from '../../src/model/model';
import { saveModel } from '../../src/model/io';
import { StaleBundleError, StaleFileError, StaleMetadataError } from '../../src/errors';

/** A voiced clip: a 0.1 s silent lead-in, a 200 Hz tone with harmonics, a silent tail. */
function clip(hz: number, seconds: number, rate: number): Float32Array {
  const x = new Float32Array(Math.round(seconds * rate));
  for (let i = Math.round(0.1 * rate); i < x.length - Math.round(0.1 * rate); i++) {
    const t = i / rate;
    x[i] = 0.4 * Math.sin(2 * Math.PI * hz * t) + 0.2 * Math.sin(2 * Math.PI * 2.5 * hz * t);
  }
  return x;
}

/**
 * 2 digits x 2 speakers x 3 takes, some at 16 kHz and some stereo, so the chain resamples and
 * downmixes; silence trimming and centre padding are on, so every step of the chain matters.
 */
async function preprocessed() {
  const rec = mkdtempSync(join(tmpdir(), 'melbook-settings-'));
  for (let d = 0; d < 2; d++) for (const s of ['ann', 'bob']) for (let t = 0; t < 3; t++) {
    const rate = t === 1 ? 16000 : 8000;
    const mono = clip(250 + 150 * d + 10 * t, 0.4 + 0.2 * t, rate);
    writeFileSync(join(rec, `${d}_${s}_${t}.wav`), encodeWav(t === 2 ? [mono, mono.map((v) => 0.5 * v)] : mono, rate));
  }
  const config = pipelineConfig({
    data: { recordings: rec, durationS: 0.5, pad: 'center', trimSilence: { topDb: 30, margin: 80 } },
    features: { kind: 'mel', nMels: 32, deltas: { order: 1 } },
    split: { mode: 'random', testFraction: 0.25, validationFraction: 0.25 },
    preprocess: { dir: mkdtempSync(join(tmpdir(), 'melbook-settings-feat-')), workers: 1 },
  });
  return preprocess(config);
}

/** Rewrite a JSON file through `edit`. */
function editJson(file: string, edit: (json: Record<string, any>) => void): void {
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>;
  edit(json);
  writeFileSync(file, JSON.stringify(json));
}

const prep = preprocessed();

test('metadata.json reads back typed: the feature spec and audio settings are what preprocess used', async () => {
  const r = await prep;
  const meta = readMetadata(r.metadataPath);
  assert.equal(meta.features.kind, 'mel');
  if (meta.features.kind !== 'mel') return;
  assert.equal(meta.features.nMels, 32);
  assert.deepEqual(meta.features.deltas, { order: 1, width: 9, mode: 'interp' });
  assert.deepEqual(meta.audio, { sampleRateHz: 8000, durationS: 0.5, pad: 'center', trim: 'start', trimSilence: { topDb: 30, frameLength: 256, hopLength: 64, edges: 'both', margin: 80 } });
  assert.deepEqual(meta.inputShape, [64, 32, 1], 'nMels 32 and their deltas, 1 + floor(4000 / 128) frames, one channel');
});

test('a metadata.json this version does not write is a StaleMetadataError naming the file, the key and `melbook preprocess`', async () => {
  const r = await prep;
  const cases: [string, (m: Record<string, any>) => void, RegExp][] = [
    ['a renamed mel count', (m) => { m.features.nBins = m.features.nMels; delete m.features.nMels; }, /features: Unrecognized key.*nBins|features\.nMels: Required/],
    ['another feature implementation version', (m) => { m.features.version = 0; }, /features\.version/],
    ['a pad mode that no longer exists', (m) => { m.audio.pad = 'middle'; }, /audio\.pad/],
    ['no audio settings at all', (m) => { delete m.audio; }, /audio: Required/],
  ];
  for (const [what, edit, problem] of cases) {
    const dir = mkdtempSync(join(tmpdir(), 'melbook-stale-meta-'));
    const file = join(dir, METADATA_FILE);
    writeFileSync(file, readFileSync(r.metadataPath));
    editJson(file, edit);
    assert.throws(() => readMetadata(file), (err: unknown) => {
      assert.ok(err instanceof StaleMetadataError && err instanceof StaleFileError, `${what}: ${String(err)}`);
      assert.equal(err.file, file);
      assert.match(err.problem, problem, what);
      assert.ok(err.message.startsWith(`${file}: `), err.message);
      assert.match(err.message, /run `melbook preprocess` again/);
      return true;
    });
  }
});

test('opening a feature folder with stale metadata fails the same way', async () => {
  const r = await prep;
  const saved = readFileSync(r.metadataPath);
  try {
    editJson(r.metadataPath, (m) => { delete m.features.kind; });
    assert.throws(() => AudioDataset.open(r.featureDir), StaleMetadataError);
  } finally {
    writeFileSync(r.metadataPath, saved);
  }
});

test('a model bundle reads back what training wrote; a stale one is a StaleBundleError that says to retrain', async () => {
  const r = await prep;
  const dir = mkdtempSync(join(tmpdir(), 'melbook-stale-bundle-'));
  const written = writeBundleMetadata(dir, { metadata: r.metadata, normalization: 'global', bestEpoch: 3, backend: 'cpu' });
  assert.deepEqual(readBundleMetadata(dir), written);
  editJson(join(dir, BUNDLE_FILE), (b) => { b.features.melScale = 'bark'; });
  assert.throws(() => readBundleMetadata(dir), (err: unknown) => {
    assert.ok(err instanceof StaleBundleError, String(err));
    assert.equal(err.file, join(dir, BUNDLE_FILE));
    assert.match(err.problem, /features\.melScale/);
    assert.match(err.message, /retrain with `melbook train`/);
    return true;
  });
  await assert.rejects(Predictor.load(dir), StaleBundleError);
});

test('predict computes exactly the features preprocess stored for the same clip', async () => {
  const r = await prep;
  const meta: DatasetMetadata = r.metadata;
  const dataset = AudioDataset.fromPreprocess(r);
  const modelDir = mkdtempSync(join(tmpdir(), 'melbook-parity-model-'));
  const model = buildModel(SEED_MODEL, meta.inputShape, meta.classNames.length, { seed: 0 });
  await saveModel(model, modelDir);
  model.dispose();
  writeBundleMetadata(modelDir, { metadata: meta, normalization: 'utterance', bestEpoch: 0, backend: 'cpu' });
  const predictor = await Predictor.load(modelDir);
  try {
    assert.equal(dataset.manifest.entries.length, 12);
    for (const entry of dataset.manifest.entries) {
      const fromPredict = await predictor.features(dataset.sourceOf(entry)!);
      const fromPreprocess = dataset.readClip(entry, 'utterance');
      assert.deepEqual(fromPredict, fromPreprocess, `${entry.id} (source ${entry.sourceRateHz} Hz)`);
    }
  } finally {
    predictor.dispose();
  }
});
