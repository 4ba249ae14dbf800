import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { AudioDataset, normalize } from '../../src/data/dataset';
import { preprocess } from '../../src/stages/preprocess';
import { pipelineConfig } from '../../src/config/pipeline';
import { toneCorpus } from '../helpers/corpus';

let featureDir = '';
before(async () => {
  await tf.setBackend('cpu');
  const config = pipelineConfig({
    data: { recordings: toneCorpus(), durationS: 0.5 },
    split: { officialMaxTestTake: 1, validationFraction: 0.25 },
    preprocess: { dir: mkdtempSync(join(tmpdir(), 'melbook-ds-')), workers: 1 },
  });
  featureDir = (await preprocess(config)).featureDir;
});

async function collect(ds: tf.data.Dataset<{ xs: tf.Tensor; ys: tf.Tensor }>) {
  const shapes: number[][] = [];
  const labels: number[] = [];
  const firstValues: number[] = [];
  await ds.forEachAsync((b) => {
    shapes.push(b.xs.shape);
    labels.push(...(b.ys.dataSync() as Float32Array));
    firstValues.push(b.xs.dataSync()[0]);
    tf.dispose([b.xs, b.ys]);
  });
  return { shapes, labels, firstValues };
}

test('batches have the metadata input shape and the requested batch size', async () => {
  const ds = AudioDataset.open(featureDir);
  assert.deepEqual(ds.inputShape, [64, 32, 1]);
  const { shapes, labels } = await collect(ds.dataset('train', { batchSize: 5 }));
  const n = ds.size('train');
  assert.equal(labels.length, n);
  assert.equal(shapes.length, Math.ceil(n / 5));
  assert.deepEqual(shapes[0], [5, 64, 32, 1]);
  assert.equal(shapes.at(-1)![0], n % 5 || 5, 'the last batch holds the remainder');
});

test('labels are class indices that match the manifest', async () => {
  const ds = AudioDataset.open(featureDir);
  const { labels } = await collect(ds.dataset('test', { batchSize: 4 }));
  assert.deepEqual(labels, ds.entries('test').map((e) => e.labelIndex));
  assert.deepEqual(ds.classNames, ['0', '1', '2']);
});

test('no clip is in two splits and the splits cover the manifest', () => {
  const ds = AudioDataset.open(featureDir);
  const ids = ['train', 'validation', 'test'].flatMap((s) => ds.entries(s as 'train').map((e) => e.id));
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(ids.length, ds.manifest.entries.length);
});

test('the training order is shuffled with the seed, anew each epoch, and the same seed repeats it', async () => {
  const ds = AudioDataset.open(featureDir);
  const a = ds.dataset('train', { batchSize: 1, seed: 3 });
  const e1 = (await collect(a)).firstValues;
  const e2 = (await collect(a)).firstValues;
  const again = (await collect(ds.dataset('train', { batchSize: 1, seed: 3 }))).firstValues;
  assert.deepEqual(e1, again, 'same seed, same first epoch');
  assert.notDeepEqual(e1, e2, 'the second epoch is another permutation');
  assert.deepEqual([...e1].sort(), [...e2].sort(), 'each epoch visits every clip once');
  const plain = (await collect(ds.dataset('validation', { batchSize: 1 }))).firstValues;
  const plain2 = (await collect(ds.dataset('validation', { batchSize: 1 }))).firstValues;
  assert.deepEqual(plain, plain2, 'validation is not shuffled');
});

test('a windowed shuffle buffer still visits every clip once', async () => {
  const ds = AudioDataset.open(featureDir);
  const { labels } = await collect(ds.dataset('train', { batchSize: 3, shuffleBuffer: 4 }));
  assert.deepEqual([...labels].sort(), ds.entries('train').map((e) => e.labelIndex).sort());
});

test('global normalisation uses the training statistics: training features get mean 0 and std 1', () => {
  const ds = AudioDataset.open(featureDir);
  const { xs } = ds.load('train');
  const mean = xs.mean().dataSync()[0];
  const std = tf.moments(xs).variance.sqrt().dataSync()[0];
  tf.dispose(xs);
  assert.ok(Math.abs(mean) < 1e-4, `mean ${mean}`);
  assert.ok(Math.abs(std - 1) < 1e-3, `std ${std}`);
  const raw = new Float32Array([ds.metadata.normalization.mean]);
  assert.ok(Math.abs(normalize(raw, ds.metadata)[0]) < 1e-6);
});

test('streaming creates no leaked tensors', async () => {
  const ds = AudioDataset.open(featureDir);
  const before = tf.memory().numTensors;
  await collect(ds.dataset('train', { batchSize: 4 }));
  assert.equal(tf.memory().numTensors, before);
});

test('the class balance lists clips per class and split', () => {
  const rows = AudioDataset.open(featureDir).classBalance();
  assert.equal(rows.length, 3);
  for (const r of rows) assert.equal(r.total, 16);
  assert.equal(rows.reduce((a, r) => a + r.test, 0), 12);
});

test('a missing feature folder says to run preprocess', () => {
  assert.throws(() => AudioDataset.open('/nonexistent/features/x'), /melbook preprocess/);
});

test('an augmentation transform changes training batches only, reproducibly with the seed', async () => {
  const ds = AudioDataset.open(featureDir);
  const { featureAugmenter } = await import('../../src/data/augment');
  const [rows, cols] = ds.metadata.featureShape;
  const transform = featureAugmenter({ specAugment: { freqMasks: 2, freqMaskWidth: 8, timeMasks: 2, timeMaskWidth: 6 }, freqWarp: { probability: 1, minFactor: 0.8, maxFactor: 1.2 } }, [rows, cols]);
  const sum = async (split: 'train' | 'validation', withTransform: boolean, seed = 1) => {
    let total = 0;
    await ds.dataset(split, { batchSize: 64, seed, shuffle: false, transform: withTransform ? transform : undefined }).forEachAsync((b) => {
      total += b.xs.sum().dataSync()[0];
      tf.dispose([b.xs, b.ys]);
    });
    return total;
  };
  assert.notEqual(await sum('train', true), await sum('train', false), 'training features are masked');
  assert.equal(await sum('train', true, 1), await sum('train', true, 1), 'same seed, same masks');
  assert.equal(await sum('validation', true), await sum('validation', false), 'validation is never augmented');
});

test('perturbed copies are drawn for the training split only, and every version of a clip keeps its label', async () => {
  const { writeNpySync, readNpySync } = await import('../../src/features/npy');
  const { cpSync, readFileSync, writeFileSync } = await import('node:fs');
  // A copy of the feature folder whose entries each have two "copies" filled with a marker value.
  const dir = mkdtempSync(join(tmpdir(), 'melbook-copies-'));
  cpSync(featureDir, dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { entries: { feature: string; labelIndex: number; copies?: string[] }[] };
  for (const e of manifest.entries) {
    const { shape } = readNpySync(join(dir, e.feature));
    e.copies = [1, 2].map((j) => {
      const file = e.feature.replace(/\.npy$/, `.aug${j}.npy`);
      writeNpySync(join(dir, file), new Float32Array(shape[0] * shape[1]).fill(1000 * j + e.labelIndex), shape);
      return file;
    });
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  const ds = AudioDataset.open(dir);
  const versions = async (split: 'train' | 'validation' | 'test', options: { copies?: boolean; seed?: number } = {}) => {
    const seen: number[] = [];
    await ds.dataset(split, { batchSize: 8, normalization: 'none', ...options }).forEachAsync((b) => {
      const n = b.ys.shape[0];
      const x = b.xs.dataSync();
      const y = b.ys.dataSync();
      const size = x.length / n;
      for (let k = 0; k < n; k++) {
        const v = x[k * size];
        if (v >= 1000) assert.equal(v % 1000, y[k], 'a copy has its own clip label');
        seen.push(v >= 1000 ? Math.floor(v / 1000) : 0);
      }
      tf.dispose([b.xs, b.ys]);
    });
    return seen;
  };
  const train = await versions('train');
  assert.equal(train.length, ds.size('train'), 'one version per clip per epoch: an epoch is as long as without copies');
  assert.ok(train.includes(0) && train.includes(1) && train.includes(2), `originals and both copies are drawn: ${train}`);
  assert.deepEqual(await versions('train', { seed: 3 }), await versions('train', { seed: 3 }), 'same seed, same draws');
  assert.ok((await versions('train', { copies: false })).every((v) => v === 0), 'copies: false reads originals only');
  for (const split of ['validation', 'test'] as const) {
    assert.ok((await versions(split)).every((v) => v === 0), `${split} never reads a copy`);
    assert.ok((await versions(split, { copies: true })).every((v) => v === 0), `${split} never reads a copy, even when asked`);
  }
});

test('utterance normalisation gives every clip mean 0 and std 1; utteranceBand every band of every clip', async () => {
  const ds = AudioDataset.open(featureDir);
  const [rows, cols] = ds.metadata.featureShape;
  for (const e of ds.entries('test')) {
    const x = ds.readClip(e, 'utterance');
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    const std = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length);
    assert.ok(Math.abs(mean) < 1e-4 && Math.abs(std - 1) < 1e-3, `${e.id}: mean ${mean}, std ${std}`);
    const b = ds.readClip(e, 'utteranceBand');
    for (const r of [0, Math.floor(rows / 2), rows - 1]) {
      const row = b.subarray(r * cols, (r + 1) * cols);
      const m = row.reduce((a, v) => a + v, 0) / cols;
      assert.ok(Math.abs(m) < 1e-4, `${e.id} band ${r}: mean ${m}`);
    }
  }
  // Loudness is gone: the same clip 20 dB louder (log power + ln 100) normalises to the same features.
  const { normalizeClip } = await import('../../src/data/dataset');
  const e = ds.entries('train')[0];
  const raw = ds.readClip(e, 'none');
  const louder = raw.map((v) => v + Math.log(100));
  const a = normalizeClip(raw, 'utterance', ds.metadata);
  const b = normalizeClip(louder, 'utterance', ds.metadata);
  assert.ok(a.every((v, i) => Math.abs(v - b[i]) < 1e-4));
  assert.throws(() => normalizeClip(raw, 'perClip' as 'none', ds.metadata), /normalization must be one of global, utterance, utteranceBand, none, got "perClip"/);
});

test('mixup gives soft one-hot labels on training batches only and needs labels: oneHot', async () => {
  const ds = AudioDataset.open(featureDir);
  const classes = ds.classNames.length;
  const rows = async (split: 'train' | 'validation', mixupAlpha: number) => {
    const out: number[][] = [];
    await ds.dataset(split, { batchSize: 8, labels: 'oneHot', mixupAlpha, seed: 2 }).forEachAsync((b) => {
      assert.deepEqual(b.ys.shape, [b.xs.shape[0], classes]);
      const y = b.ys.dataSync();
      for (let k = 0; k < b.ys.shape[0]; k++) out.push(Array.from(y.subarray(k * classes, (k + 1) * classes)));
      tf.dispose([b.xs, b.ys]);
    });
    return out;
  };
  const mixed = await rows('train', 0.4);
  assert.ok(mixed.every((r) => Math.abs(r.reduce((a, b) => a + b, 0) - 1) < 1e-6));
  assert.ok(mixed.some((r) => r.some((v) => v > 0 && v < 1)), 'some labels are soft');
  for (const r of await rows('validation', 0.4)) assert.deepEqual(r.filter((v) => v !== 0), [1], 'validation labels stay one-hot');
  assert.throws(() => ds.dataset('train', { mixupAlpha: 0.4 }), /labels: 'oneHot'/);
});

test('sourceOf finds a clip under the absolute recordings folder when its relative source does not resolve', async () => {
  const { existsSync } = await import('node:fs');
  const ds = AudioDataset.open(featureDir);
  const entry = ds.entries('train')[0];
  assert.ok(ds.metadata.recordingsDir && existsSync(ds.metadata.recordingsDir), 'preprocess records the recordings folder');
  assert.equal(ds.sourceOf(entry), entry.source);
  // As seen from another working directory: the relative source no longer resolves.
  const moved = { ...entry, source: join('no-such-dir', entry.id) };
  assert.equal(ds.sourceOf(moved), join(ds.metadata.recordingsDir!, entry.id));
  const gone = AudioDataset.fromPreprocess({ featureDir, metadata: { ...ds.metadata, recordingsDir: '/nonexistent' }, manifest: ds.manifest });
  assert.equal(gone.sourceOf(moved), undefined);
});
