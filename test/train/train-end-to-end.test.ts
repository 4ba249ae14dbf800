import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { trainStage } from '../../src/stages/train';
import { pipelineConfig, type PipelineConfigInput } from '../../src/config/pipeline';
import { Predictor } from '../../src/train/predict';
import { Tracker } from '../../src/tracking/tracker';
import { fsddSubset, hasFsdd, FSDD_MISSING, toneCorpus } from '../helpers/corpus';
import { requireOrSkip } from '../helpers/skip';

function config(recordings: string, extra: PipelineConfigInput = {}) {
  const work = mkdtempSync(join(tmpdir(), 'melbook-e2e-'));
  return pipelineConfig({
    data: { recordings },
    preprocess: { dir: join(work, 'features') },
    tracking: { root: join(work, 'runs'), experiment: 'e2e' },
    training: { epochs: 2, backend: 'wasm', earlyStopping: null },
    ...extra,
  });
}

test('training two epochs on two FSDD speakers writes a complete run, evaluates it and predicts from the saved model', { timeout: 600_000 }, async (t) => {
  if (!requireOrSkip(t, hasFsdd(), FSDD_MISSING)) return;
  const cfg = config(fsddSubset(['jackson', 'theo'], 20));
  const lines: string[] = [];
  const r = await trainStage({ config: cfg, log: (l) => lines.push(l) });

  assert.equal(r.training.history.length, 2);
  assert.equal(r.training.backend.name, 'wasm');
  assert.equal(new Set(r.training.tensorsAfterEpoch).size, 1, `tensors after each epoch: ${r.training.tensorsAfterEpoch}`);
  assert.equal(r.evaluation.count, 100, 'takes 0-4 of 10 digits x 2 speakers');
  assert.deepEqual(Object.keys(r.evaluation.perGroup), ['jackson', 'theo']);
  assert.ok(r.evaluation.accuracy > 0.1, `better than chance after 2 epochs: ${r.evaluation.accuracy}`);
  assert.ok(lines.some((l) => /^epoch 2\/2 /.test(l)), 'one progress line per epoch');

  const runDir = join(cfg.tracking.root, r.experimentId, r.runId);
  const meta = readFileSync(join(runDir, 'meta.yaml'), 'utf8');
  assert.match(meta, /^status: 3$/m, 'FINISHED');
  assert.match(meta, /^end_time: \d+$/m);
  const lossLines = readFileSync(join(runDir, 'metrics', 'val_loss'), 'utf8').trim().split('\n');
  assert.equal(lossLines.length, 2);
  assert.match(lossLines[1], /^\d{13} [-\d.e]+ 1$/, 'timestamp value step');
  assert.equal(readFileSync(join(runDir, 'tags', 'melbook.backend'), 'utf8'), 'wasm');
  // The thread count the numbers depend on (results are reproducible per count) is on the run.
  assert.equal(readFileSync(join(runDir, 'tags', 'melbook.backend.threads'), 'utf8'), '1');
  assert.equal(readFileSync(join(runDir, 'tags', 'melbook.backend.fma'), 'utf8'), String(process.env.MELBOOK_FMA !== '0'), 'and whether its kernels fused multiply-adds');
  assert.equal(readFileSync(join(runDir, 'params', 'dataset.inputShape'), 'utf8'), '[64,63,1]');
  for (const f of ['model/model.json', 'model/weights.bin', 'model/melbook.json', 'evaluation/test.json', 'evaluation/test_confusion.json', 'config.json']) {
    assert.ok(existsSync(join(runDir, 'artifacts', f)), `artifact ${f}`);
  }
  assert.ok(existsSync(join(runDir, 'metrics', 'test_speaker_accuracy', 'theo')));

  const predictor = await Predictor.load(join(runDir, 'artifacts', 'model'));
  const files = readdirSync(cfg.data.recordings).slice(0, 3).map((f) => join(cfg.data.recordings, f));
  const preds = await predictor.predict(files, 10);
  const withTta = await predictor.predict(files, 10, [0.9, 1, 1.1]);
  predictor.dispose();
  assert.equal(preds.length, 3);
  for (const p of preds) {
    assert.equal(p.top.length, 10);
    const total = p.top.reduce((a, x) => a + x.probability, 0);
    assert.ok(Math.abs(total - 1) < 1e-4, 'probabilities sum to 1');
    assert.ok(p.top[0].probability >= p.top[1].probability, 'sorted');
  }

  // The same model through the CLI.
  const cli = spawnSync(process.execPath, [join(__dirname, '../../bin/melbook.js'), 'predict', join(runDir, 'artifacts', 'model'), files[0], '--top', '2'], { encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stderr);
  assert.match(cli.stdout, new RegExp(`${files[0].split('/').pop()}: \\d \\d+\\.\\d %, \\d \\d+\\.\\d %`));
  // Two model folders joined by a comma are one ensemble; the same model twice is that model.
  const model = join(runDir, 'artifacts', 'model');
  const ens = spawnSync(process.execPath, [join(__dirname, '../../bin/melbook.js'), 'predict', `${model},${model}`, ...files, '--top', '10', '--tta', '0.9,1,1.1', '--json'], { encoding: 'utf8' });
  assert.equal(ens.status, 0, ens.stderr);
  const fromCli = JSON.parse(ens.stdout) as typeof withTta;
  for (const [i, p] of withTta.entries()) {
    for (const t of p.top) assert.ok(Math.abs(t.probability - fromCli[i].top.find((c) => c.class === t.class)!.probability) < 1e-6);
  }
  assert.notDeepEqual(withTta.map((p) => p.top[0].probability), preds.map((p) => p.top[0].probability), 'test-time augmentation changes the probabilities');
});

test('a run whose training throws ends FAILED with the error recorded', { timeout: 120_000 }, async () => {
  const recordings = toneCorpus();
  const cfg = config(recordings, { data: { recordings, durationS: 0.5 }, split: { officialMaxTestTake: 1, validationFraction: 0 } });
  await assert.rejects(trainStage({ config: cfg, log: () => undefined }), /validation split is empty/);
  const runs = await new Tracker({ root: cfg.tracking.root, gitCommit: null }).listRuns('e2e');
  assert.equal(runs.length, 1);
  assert.equal(runs[0].info.status, 'FAILED');
  assert.match(String(runs[0].data.tags['melbook.error'] ?? JSON.stringify(runs[0].data.tags)), /validation split is empty/);
});

test('every robustness option at once trains, and predict rebuilds exactly the features training saw', { timeout: 600_000 }, async (t) => {
  if (!requireOrSkip(t, hasFsdd(), FSDD_MISSING)) return;
  const { AudioDataset } = await import('../../src/data/dataset');
  const recordings = fsddSubset(['jackson', 'lucas'], 10);
  const cfg = config(recordings, {
    data: { recordings, trimSilence: { topDb: 30, margin: 480 } },
    features: { kind: 'mel', nMels: 32, deltas: { order: 1 } },
    preprocess: { dir: join(mkdtempSync(join(tmpdir(), 'melbook-robust-')), 'features'), augment: { copies: 1, speed: { probability: 1 }, noise: { probability: 0.5 } } },
    training: {
      epochs: 2, backend: 'wasm', earlyStopping: null, normalization: 'utteranceBand',
      augment: { specAugment: { freqMasks: 1, freqMaskWidth: 4, timeMasks: 1, timeMaskWidth: 4 }, timeShift: { maxShiftFrames: 2 }, freqWarp: { probability: 0.8, minFactor: 0.8, maxFactor: 1.2 }, mixup: { alpha: 0.2 } },
    },
  });
  const lines: string[] = [];
  const r = await trainStage({ config: cfg, log: (l) => lines.push(l) });
  assert.equal(r.training.history.length, 2);
  assert.ok(r.training.history.every((h) => Number.isFinite(h.loss) && Number.isFinite(h.val_loss)));
  assert.ok(lines.some((l) => /mixup of training batches, alpha 0.2; loss categoricalCrossentropy/.test(l)));
  assert.ok(lines.some((l) => /1 perturbed copies/.test(l)));
  assert.ok(lines.some((l) => /augmenting the training split: \{"freqWarp":\{"probability":0.8/.test(l)));
  assert.equal(r.preprocess.metadata.inputShape.join(','), '64,63,1', '32 mels and their deltas stacked');
  assert.equal(r.preprocess.metadata.audio.trimSilence?.margin, 480, 'the trim margin reaches the metadata, hence the saved bundle');

  const runDir = join(cfg.tracking.root, r.experimentId, r.runId);
  const predictor = await Predictor.load(join(runDir, 'artifacts', 'model'));
  const ds = AudioDataset.fromPreprocess(r.preprocess);
  for (const entry of ds.entries('test').slice(0, 3)) {
    const served = await predictor.features(entry.source);
    const trained = ds.readClip(entry, 'utteranceBand');
    assert.ok(served.every((v, i) => Math.abs(v - trained[i]) < 1e-4), `${entry.id}: predict's features match the stored, normalised ones`);
  }
  predictor.dispose();
});
