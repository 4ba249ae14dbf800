import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readdirSync, existsSync, readFileSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { encodeWav } from '../../src/audio/encode';
import { preprocess, featureKeyFor } from '../../src/stages/preprocess';
import { pipelineConfig } from '../../src/config/pipeline';
import { readNpySync } from '../../src/features/npy';
import { readManifest, readMetadata } from '../../src/data/manifest';
import { requirePython } from '../helpers/skip';

const SR = 8000;
function tone(hz: number, seconds: number, rate = SR): Float32Array {
  const out = new Float32Array(Math.round(seconds * rate));
  for (let i = 0; i < out.length; i++) out[i] = 0.5 * Math.sin((2 * Math.PI * hz * i) / rate);
  return out;
}

/** 3 digits x 2 speakers x 8 takes of tones, plus one clip at 16 kHz. */
function makeCorpus(): string {
  const dir = mkdtempSync(join(tmpdir(), 'melbook-prep-'));
  for (let d = 0; d < 3; d++) for (const s of ['ann', 'bob']) for (let t = 0; t < 8; t++) {
    writeFileSync(join(dir, `${d}_${s}_${t}.wav`), encodeWav(tone(300 + 200 * d + 10 * t, 0.3 + 0.05 * t), SR));
  }
  writeFileSync(join(dir, '2_ann_9.wav'), encodeWav(tone(700, 0.5, 16000), 16000));
  return dir;
}

function config(recordings: string, out: string, extra: Record<string, unknown> = {}) {
  return pipelineConfig({
    data: { recordings, durationS: 0.5 },
    split: { mode: 'official', officialMaxTestTake: 1, validationFraction: 0.2 },
    preprocess: { dir: out, workers: 1 },
    ...extra,
  });
}

test('preprocess writes one .npy per clip, the manifest and the metadata, with shapes from the extractor', async () => {
  const rec = makeCorpus();
  const out = mkdtempSync(join(tmpdir(), 'melbook-feat-'));
  const r = await preprocess(config(rec, out));
  assert.equal(r.total, 49);
  assert.equal(r.skipped.length, 0);
  const npys = readdirSync(join(r.featureDir, 'clips')).filter((f) => f.endsWith('.npy'));
  assert.equal(npys.length, 49);
  const meta = readMetadata(r.metadataPath);
  // 0.5 s at 8 kHz = 4000 samples; centred frames: 1 + floor(4000 / 128) = 32.
  assert.deepEqual(meta.featureShape, [64, 32]);
  assert.deepEqual(meta.inputShape, [64, 32, 1]);
  assert.deepEqual(meta.classNames, ['0', '1', '2']);
  assert.equal(meta.counts.total, 49);
  assert.equal(meta.counts.bySplit.test, 12, 'takes 0 and 1 of 3 digits x 2 speakers');
  const manifest = readManifest(r.manifestPath);
  for (const e of manifest.entries) {
    const arr = readNpySync(join(r.featureDir, e.feature));
    assert.deepEqual(arr.shape, e.shape);
    assert.match(e.sourceSha256, /^[0-9a-f]{64}$/);
  }
  const resampled = manifest.entries.find((e) => e.id === '2_ann_9.wav')!;
  assert.equal(resampled.sourceRateHz, 16000);
  assert.deepEqual(resampled.shape, [64, 32], 'a 16 kHz clip is resampled to the configured rate');
});

test('normalisation statistics come from the training split only', async () => {
  const rec = makeCorpus();
  const out = mkdtempSync(join(tmpdir(), 'melbook-feat-'));
  const r = await preprocess(config(rec, out));
  const manifest = readManifest(r.manifestPath);
  let sum = 0;
  let n = 0;
  for (const e of manifest.entries.filter((x) => x.split === 'train')) {
    const { data } = readNpySync(join(r.featureDir, e.feature));
    for (const v of data) { sum += v; n++; }
  }
  assert.ok(Math.abs(r.metadata.normalization.mean - sum / n) < 1e-6);
  assert.equal(r.metadata.normalization.count, n);
});

test('bad files are skipped with their reason, and strict mode is left to the caller', async () => {
  const rec = makeCorpus();
  writeFileSync(join(rec, '1_ann_20.wav'), new Uint8Array(0));
  writeFileSync(join(rec, '1_bob_20.wav'), 'this is not audio at all');
  const truncated = encodeWav(tone(440, 0.3), SR);
  writeFileSync(join(rec, '0_ann_20.wav'), truncated.subarray(0, truncated.length - 100));
  const mulaw = Buffer.from(encodeWav(tone(440, 0.1), SR, { format: 'pcm8' }));
  mulaw.writeUInt16LE(7, 20); // format tag: mu-law
  writeFileSync(join(rec, '0_bob_20.wav'), mulaw);
  writeFileSync(join(rec, 'notes.wav'), encodeWav(tone(440, 0.1), SR));
  const out = mkdtempSync(join(tmpdir(), 'melbook-feat-'));
  const r = await preprocess(config(rec, out));
  const reasons = Object.fromEntries(r.skipped.map((s) => [s.file.split('/').pop(), s.reason]));
  assert.match(reasons['1_ann_20.wav'], /empty|zero/i);
  assert.match(reasons['1_bob_20.wav'], /RIFF|not a WAV/i);
  assert.match(reasons['0_ann_20.wav'], /truncated/i);
  assert.match(reasons['0_bob_20.wav'], /mu-law/i);
  assert.match(reasons['notes.wav'], /data\.pattern/);
  assert.equal(r.metadata.counts.total, 49, 'good clips are all kept');
  const report = JSON.parse(readFileSync(r.reportPath, 'utf8'));
  assert.equal(report.skipped.length, 5, 'the report lists every skipped file');
});

test('a rerun reuses finished clips; a changed source or parameter is recomputed', async () => {
  const rec = makeCorpus();
  const out = mkdtempSync(join(tmpdir(), 'melbook-feat-'));
  const first = await preprocess(config(rec, out));
  assert.equal(first.written, 49);
  writeFileSync(join(rec, '0_ann_3.wav'), encodeWav(tone(1234, 0.4), SR));
  const second = await preprocess(config(rec, out));
  assert.equal(second.reused, 48);
  assert.equal(second.written, 1);
  const third = await preprocess(config(rec, out, { features: { kind: 'mel', nMels: 32 } }));
  assert.notEqual(third.featureKey, first.featureKey, 'other parameters get another folder');
  assert.equal(third.written, 49);
  assert.deepEqual(third.metadata.featureShape, [32, 32]);
});

test('an interrupted run (journal cut mid-line, a stray temp file) resumes and completes', async () => {
  const rec = makeCorpus();
  const out = mkdtempSync(join(tmpdir(), 'melbook-feat-'));
  const cfg = config(rec, out);
  const first = await preprocess(cfg);
  // Simulate a crash: manifest gone, a half-written journal line, a temp file left behind.
  rmSync(first.manifestPath);
  appendFileSync(join(first.featureDir, '.journal.jsonl'), '{"id":"0_ann_');
  writeFileSync(join(first.featureDir, 'clips', '.0_ann_1.npy.1-deadbeef.tmp'), 'partial');
  const again = await preprocess(cfg);
  assert.equal(again.reused, 49);
  assert.ok(existsSync(again.manifestPath));
});

test('the feature key changes with audio settings, not with the split', () => {
  const a = config('r', 'o');
  const b = config('r', 'o', { split: { mode: 'random' } });
  const c = config('r', 'o', { data: { recordings: 'r', durationS: 0.7 } });
  assert.equal(featureKeyFor(a.features, a.data), featureKeyFor(b.features, b.data));
  assert.notEqual(featureKeyFor(a.features, a.data), featureKeyFor(c.features, c.data));
  // A trim margin of 0 is the trim as it was before the option existed: same key, same folder.
  const trim = { topDb: 30, frameLength: 256, hopLength: 64, edges: 'both' as const };
  const before = featureKeyFor(a.features, { ...a.data, trimSilence: trim as typeof a.data.trimSilence });
  assert.equal(featureKeyFor(a.features, { ...a.data, trimSilence: { ...trim, margin: 0 } }), before);
  assert.notEqual(featureKeyFor(a.features, { ...a.data, trimSilence: { ...trim, margin: 480 } }), before);
});

test('worker threads give the same features as the in-process path', async () => {
  const rec = makeCorpus();
  const one = await preprocess(config(rec, mkdtempSync(join(tmpdir(), 'melbook-feat-'))));
  const cfg = config(rec, mkdtempSync(join(tmpdir(), 'melbook-feat-')));
  const two = await preprocess({ ...cfg, preprocess: { ...cfg.preprocess, workers: 2 }, chunkSize: 8 });
  assert.equal(two.workers, 2);
  const a = readManifest(one.manifestPath).entries;
  const b = readManifest(two.manifestPath).entries;
  assert.deepEqual(a.map((e) => [e.id, e.split, e.sourceSha256]), b.map((e) => [e.id, e.split, e.sourceSha256]));
  const x = readNpySync(join(one.featureDir, a[5].feature)).data;
  const y = readNpySync(join(two.featureDir, b[5].feature)).data;
  assert.deepEqual(x, y);
});

test('numpy loads the .npy files preprocess writes', async (t) => {
  if (!requirePython(t, ['numpy'], 'python3-numpy')) return;
  const rec = makeCorpus();
  const r = await preprocess(config(rec, mkdtempSync(join(tmpdir(), 'melbook-feat-'))));
  const e = readManifest(r.manifestPath).entries[0];
  const file = join(r.featureDir, e.feature);
  const py = spawnSync('/usr/bin/python3', ['-c', 'import numpy, sys; a = numpy.load(sys.argv[1]); print(a.dtype, a.shape, float(a.sum()))', file], { encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  const ours = readNpySync(file).data.reduce((s, v) => s + v, 0);
  const [dtype, ...rest] = py.stdout.trim().split(' ');
  assert.equal(dtype, 'float32');
  assert.match(rest.join(' '), new RegExp(`^\\(${e.shape[0]}, ${e.shape[1]}\\)`));
  assert.ok(Math.abs(Number(rest.at(-1)) - ours) <= 1e-3 * Math.abs(ours));
});
