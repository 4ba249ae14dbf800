import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipelineConfig, type PipelineConfig } from '../../src/config/pipeline';
import { losoSeedEnsemble, trainSeedEnsemble } from '../../src/orchestration/seeds';
import { evaluateEnsemble } from '../../src/stages/evaluate-ensemble';
import { listLosoRuns } from '../../src/stages/loso-report';
import { Predictor, checkSpeedFactors } from '../../src/train/predict';
import { Ensemble } from '../../src/train/ensemble';
import { argmaxRows } from '../../src/train/metrics';
import { Tracker } from '../../src/tracking/tracker';
import { AudioDataset } from '../../src/data/dataset';
import { toneCorpus } from '../helpers/corpus';

const SPEAKERS = ['ann', 'bob', 'cy'];
let recordings: string;
let work: string;

function config(seed: number, extra: Partial<Parameters<typeof pipelineConfig>[0]> = {}): PipelineConfig {
  return pipelineConfig({
    data: { recordings, durationS: 0.4 },
    split: { mode: 'random', testFraction: 0.25, validationFraction: 0.2 },
    preprocess: { dir: join(work, 'features'), workers: 1 },
    model: { type: 'cnn', blocks: [{ type: 'conv2d', filters: 4, kernelSize: 3, pool: { type: 'max', size: 4 } }], dense: [] },
    training: { epochs: 2, backend: 'cpu', batchSize: 16, seed },
    tracking: { root: join(work, 'runs'), experiment: 'ens' },
    ...extra,
  });
}

/** Accuracy of the mean of the given probability arrays against the labels in the file names. */
function accuracyOfMean(files: string[], probs: Float32Array[], classNames: string[]): number {
  const n = classNames.length;
  const mean = new Float32Array(files.length * n);
  for (const p of probs) for (let i = 0; i < mean.length; i++) mean[i] += p[i] / probs.length;
  const predicted = argmaxRows(mean, n);
  return files.filter((f, i) => classNames[predicted[i]] === f.split('/').pop()!.split('_')[0]).length / files.length;
}

before(() => {
  recordings = toneCorpus({ speakers: SPEAKERS, takes: 6 });
  work = mkdtempSync(join(tmpdir(), 'melbook-ensemble-'));
});

test('checkSpeedFactors takes one or more factors in (0, 2]', () => {
  checkSpeedFactors([1]);
  checkSpeedFactors([0.9, 1, 1.1]);
  for (const bad of [[], [0], [-1], [2.5], [Number.NaN]]) assert.throws(() => checkSpeedFactors(bad), /test-time speed factors must be one or more numbers in \(0, 2\]/);
});

test('an ensemble of training runs averages their probabilities over the speed factors, and one run at factor 1 scores as training did', { timeout: 300_000 }, async () => {
  // `melbook train --seeds 0,1`: a run per seed, then their ensemble on the test split.
  const { seeds: runs, ensemble } = await trainSeedEnsemble({ config: config(7), seeds: [0, 1], speedFactors: [1], log: () => undefined });
  const tracker = new Tracker({ root: join(work, 'runs'), gitCommit: null });
  const dirs = await Promise.all(runs.map(async (r) => join(await tracker.store.artifactDir(r.runId), 'model')));

  assert.deepEqual(runs.map((x) => x.evaluation.count), [ensemble.evaluation!.count, ensemble.evaluation!.count]);
  for (const [i, seed] of [0, 1].entries()) {
    const run = await tracker.getRun(runs[i].runId);
    assert.equal(run.data.params['training.seed'], String(seed));
    assert.equal(run.info.runName, `train-seed${seed}`);
  }
  assert.equal((await tracker.getRun(ensemble.runId)).info.runName, 'train-ensemble');

  // One run, as recorded: the audio path of the ensemble matches the .npy path of training.
  const single = await evaluateEnsemble({ config: config(0), runIds: [runs[0].runId], speedFactors: [1], log: () => undefined });
  assert.equal(single.evaluation!.accuracy, runs[0].evaluation.accuracy);
  assert.deepEqual(single.evaluation!.confusion, runs[0].evaluation.confusion);

  const factors = [0.9, 1, 1.1];
  const r = await evaluateEnsemble({ config: config(0), runIds: runs.map((x) => x.runId), speedFactors: factors, log: () => undefined });
  const dataset = AudioDataset.fromPreprocess(runs[0].preprocess);
  const entries = dataset.entries('test');
  const files = entries.map((e) => dataset.sourceOf(e)!);
  // The same figure by hand: every model at every factor, one probability array each.
  const views: Float32Array[] = [];
  for (const dir of dirs) {
    const p = await Predictor.load(dir);
    for (const f of factors) views.push(await p.probabilities(files, [f]));
    p.dispose();
  }
  assert.equal(r.evaluation!.accuracy, accuracyOfMean(files, views, runs[0].evaluation.classNames));
  assert.equal(r.evaluation!.count, entries.length);
  // A resampled view is not the recorded one.
  assert.notDeepEqual(views[0], views[1]);

  const run = await tracker.getRun(r.runId);
  assert.equal(run.info.status, 'FINISHED');
  assert.equal(run.data.tags['melbook.mode'], 'ensemble');
  assert.equal(run.data.params['ensemble.members'], runs.map((x) => x.runId).join(' '));
  assert.equal(run.data.params['ensemble.speedFactors'], '0.9 1 1.1');
  assert.equal(run.data.metrics.test_accuracy.value, r.evaluation!.accuracy);

  const ens = await Ensemble.load(dirs);
  const mean = await ens.probabilities(files, factors);
  ens.dispose();
  assert.equal(accuracyOfMean(files, [mean], runs[0].evaluation.classNames), r.evaluation!.accuracy);
});

test('an ensemble of LOSO parent runs averages each held-out speaker\'s fold models and is listed as a LOSO run', { timeout: 300_000 }, async () => {
  // `melbook evaluate --loso --seeds 0,1`: a LOSO run per seed, then their ensemble.
  const { seeds: parents, ensemble: r } = await losoSeedEnsemble({ config: config(5, { preprocess: { dir: join(work, 'features'), workers: 1, augment: { copies: 1, speed: { probability: 1 } } } }), seeds: [0, 1], jobs: 2, speedFactors: [1, 1.1], log: () => undefined });
  const tracker = new Tracker({ root: join(work, 'runs'), gitCommit: null });
  for (const [i, seed] of [0, 1].entries()) {
    const fold = await tracker.getRun(parents[i].folds[0].runId);
    assert.equal(fold.data.params['training.seed'], String(seed));
    assert.equal(fold.data.params['preprocess.augment.seed'], String(seed));
    assert.equal((await tracker.getRun(parents[i].parentRunId)).info.runName, `loso-seed${seed}`);
  }
  assert.deepEqual(r.folds!.map((f) => f.speaker), SPEAKERS);
  for (const fold of r.folds!) {
    // The members are the folds that held out this speaker, one per parent.
    assert.deepEqual(fold.members, parents.map((p) => p.folds.find((f) => f.speaker === fold.speaker)!.runId));
    const files = readdirSync(recordings).filter((f) => f.split('_')[1] === fold.speaker).map((f) => join(recordings, f));
    assert.equal(fold.count, files.length, 'every clip of the held-out speaker, and only those');
    const views: Float32Array[] = [];
    for (const id of fold.members) {
      const p = await Predictor.load(join(await tracker.store.artifactDir(id), 'model'));
      for (const f of [1, 1.1]) views.push(await p.probabilities(files, [f]));
      p.dispose();
    }
    assert.equal(fold.accuracy, accuracyOfMean(files, views, ['0', '1', '2']));
    const child = await tracker.getRun(fold.runId);
    assert.equal(child.data.tags['mlflow.parentRunId'], r.runId);
    assert.equal(child.data.tags['melbook.loso.speaker'], fold.speaker);
  }
  const [newest] = await listLosoRuns(tracker, 'ens');
  assert.equal(newest.runId, r.runId);
  assert.ok(Math.abs(newest.mean - r.mean!) < 1e-9);

  await assert.rejects(evaluateEnsemble({ config: config(0), runIds: [parents[0].parentRunId], log: () => undefined }), /has no saved model .*pass runs made by `melbook train` or `melbook evaluate --loso`/);
  await assert.rejects(evaluateEnsemble({ config: config(0), runIds: [parents[0].folds[0].runId], loso: true, log: () => undefined }), /has no finished leave-one-speaker-out folds/);
  await assert.rejects(evaluateEnsemble({ config: config(0), runIds: [], log: () => undefined }), /pass at least one run id/);
  // A rejected ensemble leaves no run behind.
  const after = await tracker.listRuns('ens');
  assert.equal(after.filter((x) => x.info.status !== 'FINISHED').length, 0);
});
