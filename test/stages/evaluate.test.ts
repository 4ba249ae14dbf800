import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { pipelineConfig, type PipelineConfig } from '../../src/config/pipeline';
import { trainStage, type TrainStageResult } from '../../src/stages/train';
import { preprocess } from '../../src/stages/preprocess';
import { evaluateRun } from '../../src/stages/evaluate';
import { evaluateExternal } from '../../src/stages/evaluate-external';
import { Ensemble } from '../../src/train/ensemble';
import { argmaxRows } from '../../src/train/metrics';
import { AudioDataset } from '../../src/data/dataset';
import { Tracker } from '../../src/tracking/tracker';
import { listExternalClips } from '../../src/data/external';
import { ExternalSetError } from '../../src/errors';
import { encodeWav } from '../../src/audio/encode';
import { toneCorpus } from '../helpers/corpus';

let recordings: string;
let work: string;
/** The test-split clips of the dataset, as symlinks in the pattern layout (`d_speaker_take.wav`). */
let patternSet: string;
/** The same clips as `<speaker>/<label>/<file>` (folders layout, one folder per voice). */
let folderSet: string;
let first: TrainStageResult;
let second: TrainStageResult;

function config(seed: number, extra: Partial<Parameters<typeof pipelineConfig>[0]> = {}): PipelineConfig {
  return pipelineConfig({
    data: { recordings, durationS: 0.4 },
    split: { mode: 'random', testFraction: 0.25, validationFraction: 0.2 },
    preprocess: { dir: join(work, 'features'), workers: 1 },
    model: { type: 'cnn', blocks: [{ type: 'conv2d', filters: 4, kernelSize: 3, pool: { type: 'max', size: 4 } }], dense: [] },
    training: { epochs: 2, backend: 'cpu', batchSize: 16, seed },
    tracking: { root: join(work, 'runs'), experiment: 'evalx' },
    ...extra,
  });
}

const tracker = () => new Tracker({ root: join(work, 'runs'), gitCommit: null });
const quiet = () => undefined;

before(async () => {
  recordings = toneCorpus({ speakers: ['ann', 'bob', 'cy'], takes: 6 });
  work = mkdtempSync(join(tmpdir(), 'melbook-evalx-'));
  patternSet = join(work, 'ext-pattern');
  folderSet = join(work, 'ext-folders');
  // The test split is known before training: make the external folders from its clips.
  const dataset = AudioDataset.fromPreprocess(await preprocess({ ...config(0) }));
  for (const e of dataset.entries('test')) {
    const file = dataset.sourceOf(e)!;
    mkdirSync(patternSet, { recursive: true });
    symlinkSync(file, join(patternSet, basename(file)));
    mkdirSync(join(folderSet, e.speaker, e.label), { recursive: true });
    symlinkSync(file, join(folderSet, e.speaker, e.label, basename(file)));
  }
  first = await trainStage({ config: config(0, { evaluation: { external: [patternSet] } }), log: quiet });
  second = await trainStage({ config: config(1), log: quiet });
});

test('melbook train scores evaluation.external folders into its own run, as the test split (same clips, same audio chain)', async () => {
  const run = await tracker().getRun(first.runId);
  const m = run.data.metrics;
  assert.equal(first.external.length, 1);
  assert.equal(first.external[0].groupBy, 'speaker');
  assert.equal(m['external/ext-pattern/accuracy'].value, first.evaluation.accuracy);
  assert.equal(m['external/ext-pattern/macro_f1'].value, first.evaluation.macro.f1);
  for (const [speaker, g] of Object.entries(first.evaluation.perGroup)) assert.equal(m[`external/ext-pattern/group_accuracy/${speaker}`].value, g.accuracy);
  assert.equal(m['external/ext-pattern/min_group_accuracy'].value, Math.min(...Object.values(first.evaluation.perGroup).map((g) => g.accuracy)));
  assert.ok(existsSync(join(work, 'runs', first.experimentId, first.runId, 'artifacts', 'evaluation', 'external', 'ext-pattern.json')));
  assert.deepEqual(second.external, []);
});

test('evaluateRun scores the newest finished model on the test split in a new run tagged melbook.mode=evaluate', { timeout: 120_000 }, async () => {
  const newest = await evaluateRun({ config: config(5), log: quiet });
  assert.equal(newest.modelDir, join(work, 'runs', second.experimentId, second.runId, 'artifacts', 'model'));
  assert.equal(newest.evaluation.accuracy, second.evaluation.accuracy);
  assert.deepEqual(newest.evaluation.confusion, second.evaluation.confusion);
  const run = await tracker().getRun(newest.runId);
  assert.equal(run.info.status, 'FINISHED');
  assert.equal(run.data.tags['melbook.mode'], 'evaluate');
  assert.equal(run.data.metrics.test_accuracy.value, second.evaluation.accuracy);

  const chosen = await evaluateRun({ config: config(5, { evaluation: { external: [folderSet] } }), runId: first.runId, log: quiet });
  assert.equal(chosen.evaluation.accuracy, first.evaluation.accuracy);
  assert.equal(chosen.external[0].accuracy, first.evaluation.accuracy);
  assert.equal((await tracker().getRun(chosen.runId)).data.params['evaluate.run'], first.runId);
});

test('evaluate --external scores a pattern-layout folder per speaker and a folders-layout folder per voice folder', { timeout: 120_000 }, async () => {
  const byPattern = await evaluateExternal({ config: config(5), dir: patternSet, runId: first.runId, log: quiet });
  assert.equal(byPattern.evaluation.groupBy, 'speaker');
  assert.deepEqual(byPattern.evaluation.perGroup, first.evaluation.perGroup);
  assert.deepEqual(byPattern.evaluation.confusion, first.evaluation.confusion);
  const run = await tracker().getRun(byPattern.runId);
  assert.equal(run.data.tags['melbook.mode'], 'external');
  assert.equal(run.data.params['external.dir'], patternSet);
  assert.equal(run.data.metrics.external_accuracy.value, first.evaluation.accuracy);
  assert.equal(run.data.metrics.external_macro_f1.value, first.evaluation.macro.f1);
  assert.ok('external_min_group_accuracy' in run.data.metrics);
  assert.ok(existsSync(join(work, 'runs', first.experimentId, byPattern.runId, 'artifacts', 'evaluation', 'external.json')));

  const byFolder = await evaluateExternal({ config: config(5, { data: { recordings, durationS: 0.4, layout: 'folders' } }), dir: folderSet, runId: first.runId, log: quiet });
  assert.equal(byFolder.evaluation.groupBy, 'folder');
  assert.deepEqual(byFolder.evaluation.perGroup, first.evaluation.perGroup);
});

test('evaluate --external --ensemble averages the runs\' probabilities over the speed factors', { timeout: 120_000 }, async () => {
  const r = await evaluateExternal({ config: config(5), dir: patternSet, ensemble: [first.runId, second.runId], speedFactors: [0.9, 1], log: quiet });
  const ensemble = await Ensemble.load(r.modelDirs);
  const files = listExternalClips(patternSet, config(5).data).clips.map((c) => c.file);
  const predicted = argmaxRows(await ensemble.probabilities(files, [0.9, 1]), ensemble.classNames.length);
  ensemble.dispose();
  const correct = files.filter((f, i) => ensemble.classNames[predicted[i]] === basename(f).split('_')[0]).length;
  assert.equal(r.evaluation.accuracy, correct / files.length);
  assert.deepEqual(r.evaluation.speedFactors, [0.9, 1]);
  assert.equal((await tracker().getRun(r.runId)).data.tags['melbook.ensemble'], `${first.runId} ${second.runId}`);
});

test('a label the model does not know, an empty folder and unlabelled files are named errors and start no run', { timeout: 60_000 }, async () => {
  const unknown = join(work, 'ext-unknown');
  mkdirSync(unknown);
  const tone = new Float32Array(3200).map((_, i) => 0.5 * Math.sin(i / 3));
  writeFileSync(join(unknown, '0_ann_0.wav'), encodeWav(tone, 8000));
  writeFileSync(join(unknown, '7_ann_0.wav'), encodeWav(tone, 8000));
  const before = (await tracker().listRuns('evalx')).length;
  await assert.rejects(evaluateExternal({ config: config(5), dir: unknown, runId: first.runId, log: quiet }), (err: unknown) =>
    err instanceof ExternalSetError && err.kind === 'unknown-label' && err.message === `${unknown}: label(s) "7" (e.g. 7_ann_0.wav) are not classes of the model [0, 1, 2]; remove those clips or score a model trained on those classes`);
  const empty = join(work, 'ext-empty');
  mkdirSync(empty);
  await assert.rejects(evaluateExternal({ config: config(5), dir: empty, log: quiet }), /ext-empty: no \.wav files in this folder or its sub-folders; name each clip to match data\.pattern/);
  writeFileSync(join(unknown, 'take1.wav'), encodeWav(tone, 8000));
  await assert.rejects(evaluateExternal({ config: config(5), dir: unknown, log: quiet }), /1 of 3 files have no label[\s\S]*take1\.wav: file name does not match data\.pattern/);
  // In the config, the same folder stops melbook train before it trains.
  await assert.rejects(trainStage({ config: config(5, { evaluation: { external: [unknown] } }), log: quiet }), (err: unknown) => err instanceof ExternalSetError && err.kind === 'unlabelled');
  assert.equal((await tracker().listRuns('evalx')).length, before);
});

test('melbook evaluate --run RUN_ID evaluates that run\'s model on the test split in a new run, and --external DIR scores a folder', { timeout: 120_000 }, async () => {
  const c = config(5);
  const yaml = JSON.stringify({ data: c.data, split: c.split, preprocess: { dir: c.preprocess.dir, workers: 1 }, model: c.model, training: { epochs: 2, backend: 'cpu', batchSize: 16 }, tracking: c.tracking });
  writeFileSync(join(work, 'c.yaml'), yaml);
  const bin = resolve(__dirname, '../../bin/melbook.js');
  const r = spawnSync(process.execPath, [bin, 'evaluate', '--config', 'c.yaml', '--run', first.runId], { cwd: work, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`test: accuracy ${(100 * first.evaluation.accuracy).toFixed(1)} % on ${first.evaluation.count} clips`));
  const evaluated = (await tracker().listRuns('evalx')).find((x) => x.data.params['evaluate.run'] === first.runId && x.data.params['evaluate.config'] === 'c.yaml');
  assert.equal(evaluated?.data.tags['melbook.mode'], 'evaluate');
  const external = spawnSync(process.execPath, [bin, 'evaluate', '--config', 'c.yaml', '--external', patternSet, '--ensemble', `${first.runId},${second.runId}`], { cwd: work, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  assert.equal(external.status, 0, external.stderr);
  assert.match(external.stdout, /external .*ext-pattern: accuracy [\d.]+ % on \d+ clips, macro F1 [\d.]+; per speaker:\n {2}ann /);
  const empty = spawnSync(process.execPath, [bin, 'evaluate', '--config', 'c.yaml', '--external', join(work, 'ext-empty')], { cwd: work, encoding: 'utf8' });
  assert.equal(empty.status, 1);
  assert.match(empty.stderr, /ext-empty: no \.wav files/);
  const bad = spawnSync(process.execPath, [bin, 'evaluate', '--config', 'c.yaml', '--run', first.runId, '--loso'], { cwd: work, encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--run takes one training run/);
});
