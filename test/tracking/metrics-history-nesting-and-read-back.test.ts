import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { FileStore, LIVENESS_TAGS, MLFLOW_TAGS, Tracker } from '../../src/tracking';
import { tempDir } from './helpers';

test('each logged metric value is one "timestamp value step" line, in logging order', async () => {
  const tracker = new Tracker({ root: await tempDir(), gitCommit: null });
  const run = await tracker.startRun({ experimentName: 'm' });
  await run.logMetric('train/loss', 0.5, 0, 1000);
  await run.logMetric('train/loss', 0.25, 1, 2000);
  await run.logMetrics({ 'train/loss': 2, acc: 0.1 }, 2, 3000);
  const file = path.join(await run.artifactDir(), '..', 'metrics', 'train', 'loss');
  assert.equal(await fs.readFile(file, 'utf8'), '1000 0.5 0\n2000 0.25 1\n3000 2.0 2\n');
  const back = await tracker.getRun(run.runId);
  assert.deepEqual(back.data.metricHistory['train/loss'].map((m) => [m.timestamp, m.value, m.step]), [[1000, 0.5, 0], [2000, 0.25, 1], [3000, 2, 2]]);
  assert.deepEqual(back.data.metrics.acc, { key: 'acc', value: 0.1, timestamp: 3000, step: 2 });
});

test('the latest metric value is the one with the largest step, then timestamp, as in MLflow', async () => {
  const tracker = new Tracker({ root: await tempDir(), gitCommit: null });
  const run = await tracker.startRun();
  await run.logMetric('loss', 0.3, 5, 1000);
  await run.logMetric('loss', 0.9, 1, 9000); // later timestamp, smaller step
  await run.logMetric('loss', 0.2, 5, 2000);
  assert.equal((await tracker.getRun(run.runId)).data.metrics.loss.value, 0.2);
});

test('a nested run records its parent in mlflow.parentRunId, and the parent must exist', async () => {
  const tracker = new Tracker({ root: await tempDir(), gitCommit: null });
  const parent = await tracker.startRun({ experimentName: 'cv', runName: 'cross-validation' });
  const child = await tracker.startRun({ experimentName: 'cv', runName: 'fold 0', parentRunId: parent.runId });
  assert.equal((await tracker.getRun(child.runId)).data.tags[MLFLOW_TAGS.parentRunId], parent.runId);
  assert.equal((await tracker.getRun(parent.runId)).data.tags[MLFLOW_TAGS.parentRunId], undefined);
  await assert.rejects(tracker.startRun({ parentRunId: 'f'.repeat(32) }), /run f{32} not found/);
});

test('getRun reads back info, params, tags and metrics, and listRuns lists an experiment newest first', async () => {
  let t = 1000;
  const tracker = new Tracker({ root: await tempDir(), gitCommit: 'c0ffee'.padEnd(40, '0'), user: 'ada', sourceName: 'train.ts', now: () => t });
  const first = await tracker.startRun({ experimentName: 'fsdd', runName: 'first', tags: { kind: 'baseline' } });
  await first.logParams({ lr: 0.01 });
  t = 5000;
  await first.endRun();
  const second = await tracker.startRun({ experimentName: 'fsdd', runName: 'second' });
  const run = await tracker.getRun(first.runId);
  assert.deepEqual(run.info, { ...run.info, runName: 'first', userId: 'ada', status: 'FINISHED', startTime: 1000, endTime: 5000, lifecycleStage: 'active' });
  assert.match(run.info.artifactUri, new RegExp(`^file:///.*/${run.info.experimentId}/${first.runId}/artifacts$`));
  assert.deepEqual(run.data.params, { lr: '0.01' });
  assert.deepEqual(run.data.tags, {
    kind: 'baseline',
    [MLFLOW_TAGS.runName]: 'first',
    [MLFLOW_TAGS.user]: 'ada',
    [MLFLOW_TAGS.sourceName]: 'train.ts',
    [MLFLOW_TAGS.sourceType]: 'LOCAL',
    [MLFLOW_TAGS.gitCommit]: 'c0ffee'.padEnd(40, '0'),
    [LIVENESS_TAGS.host]: hostname(),
    [LIVENESS_TAGS.pid]: String(process.pid),
    [LIVENESS_TAGS.heartbeat]: '1000',
  });
  assert.deepEqual((await tracker.listRuns('fsdd')).map((r) => r.info.runId), [second.runId, first.runId]);
  assert.equal((await tracker.getRun(second.runId)).info.endTime, null);
});

test('runs written by MLflow itself read back, including legacy integer experiment ids and 2-field metric lines', async () => {
  const root = await tempDir();
  const store = new FileStore({ root });
  await store.listExperiments();
  const runId = '5c4b3a29180716253443526170819a0b';
  const dir = path.join(root, '0', runId);
  await fs.mkdir(path.join(dir, 'metrics'), { recursive: true });
  await fs.mkdir(path.join(dir, 'tags'), { recursive: true });
  await fs.writeFile(path.join(dir, 'meta.yaml'), `artifact_uri: file:///elsewhere/0/${runId}/artifacts\nend_time: null\nentry_point_name: ''\nexperiment_id: 0\nlifecycle_stage: active\nrun_id: ${runId}\nrun_name: ''\nrun_uuid: ${runId}\nsource_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: 1600000000000\nstatus: 5\ntags: []\nuser_id: someone\n`);
  await fs.writeFile(path.join(dir, 'metrics', 'acc'), '1600000000001 0.5\n1600000000002 nan 1\n');
  await fs.writeFile(path.join(dir, 'tags', 'mlflow.runName'), 'from-python');
  const run = await store.getRun(runId);
  assert.equal(run.info.experimentId, '0');
  assert.equal(run.info.status, 'KILLED');
  assert.equal(run.info.runName, 'from-python', 'an empty run_name falls back to the mlflow.runName tag');
  assert.deepEqual(run.data.metricHistory.acc.map((m) => m.step), [0, 1]);
  assert.ok(Number.isNaN(run.data.metrics.acc.value));
});

test('artifacts: files, folders, text and JSON land under the run artifacts folder', async () => {
  const tracker = new Tracker({ root: await tempDir(), gitCommit: null });
  const run = await tracker.startRun();
  const src = await tempDir('melbook-artifact-src-');
  await fs.writeFile(path.join(src, 'model.json'), '{"layers":[]}');
  await fs.mkdir(path.join(src, 'plots'));
  await fs.writeFile(path.join(src, 'plots', 'loss.svg'), '<svg/>');
  await run.logArtifact(path.join(src, 'model.json'), 'model');
  await run.logArtifacts(path.join(src, 'plots'), 'figures');
  await run.logText('hello\n', 'notes/readme.txt');
  await run.logJson({ a: [1, 2] }, 'config.json');
  const dir = await run.artifactDir();
  assert.equal(await fs.readFile(path.join(dir, 'model', 'model.json'), 'utf8'), '{"layers":[]}');
  assert.equal(await fs.readFile(path.join(dir, 'figures', 'loss.svg'), 'utf8'), '<svg/>');
  assert.equal(await fs.readFile(path.join(dir, 'notes', 'readme.txt'), 'utf8'), 'hello\n');
  assert.deepEqual(JSON.parse(await fs.readFile(path.join(dir, 'config.json'), 'utf8')), { a: [1, 2] });
  await assert.rejects(run.logText('x', '../meta.yaml'), /invalid artifact path/);
  await assert.rejects(run.logArtifact(src), /is not a file/);
});
