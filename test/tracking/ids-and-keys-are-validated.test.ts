import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { TrackingError } from '../../src/errors';
import { FileStore, storePath, validateArtifactPath, validateExperimentId, validateKey, validateRunId } from '../../src/tracking';
import { tempDir } from './helpers';

const RUN = '0123456789abcdef0123456789abcdef';

test('run ids must be 32 lowercase hex digits: traversal, separators and uuid dashes are refused', () => {
  validateRunId(RUN);
  for (const bad of ['..', '../' + RUN, `${RUN}/x`, `x\\${RUN.slice(2)}`, RUN.toUpperCase(), RUN.slice(1), '01234567-89ab-cdef-0123-456789abcdef', '']) {
    assert.throws(() => validateRunId(bad), TrackingError, bad);
  }
});

test('experiment ids refuse "..", "/", "\\" and empty strings', () => {
  for (const ok of ['0', '123456789012345678', 'exp_1-a']) validateExperimentId(ok);
  for (const bad of ['..', '.', '../0', '0/1', '0\\1', '', '-1', 'a'.repeat(65), 'a b']) {
    assert.throws(() => validateExperimentId(bad), /invalid experiment id/, bad);
  }
});

test('metric, param and tag keys follow MLflow: slashes make folders, but no "..", leading "/" or odd segments', () => {
  for (const ok of ['loss', 'train/loss', 'val acc', 'mlflow.runName', 'a-b_c.d', 'señal/ñ']) validateKey('metric', ok);
  const bad: [string, RegExp][] = [
    ['..', /resolve/],
    ['../x', /resolve/],
    ['a/../b', /resolve/],
    ['/abs', /resolve/],
    ['a//b', /resolve/],
    ['a/', /resolve/],
    ['./a', /resolve/],
    ['', /resolve/],
    ['a\\b', /may only contain/],
    ['a:b', /may only contain/],
    ['x'.repeat(251), /limit is 250/],
  ];
  for (const [key, message] of bad) assert.throws(() => validateKey('param', key), message, key);
});

test('artifact paths stay inside the artifacts folder', () => {
  validateArtifactPath('plots/loss.png');
  for (const bad of ['', '/etc/passwd', '../x', 'a/../../x', 'a\\b', 'a//b', './a']) {
    assert.throws(() => validateArtifactPath(bad), /invalid artifact path/, bad);
  }
});

test('storePath validates every id and key before building the path', () => {
  const root = path.resolve('/srv/runs');
  assert.equal(storePath(root, { experimentId: '0', runId: RUN, part: 'metrics', key: 'train/loss' }), path.join(root, '0', RUN, 'metrics', 'train', 'loss'));
  assert.throws(() => storePath(root, { experimentId: '..' }), /invalid experiment id/);
  assert.throws(() => storePath(root, { experimentId: '0', runId: '../../etc' }), /invalid run id/);
  assert.throws(() => storePath(root, { experimentId: '0', runId: RUN, part: 'tags', key: '../meta.yaml' }), /invalid tag name/);
  assert.throws(() => storePath(root, { experimentId: '0', runId: RUN, part: 'artifacts', key: '../../x' }), /invalid artifact path/);
});

test('the store refuses bad ids at its public methods before touching the disk', async () => {
  const store = new FileStore({ root: await tempDir() });
  await assert.rejects(store.getRun('../../etc/passwd'), /invalid run id/);
  await assert.rejects(store.getExperiment('../0'), /invalid experiment id/);
  await assert.rejects(store.logBatch(`..\\${RUN.slice(4)}`, [], [], []), /invalid run id/);
  await assert.rejects(store.createRun({ experimentId: '0', userId: 'u', startTime: 0, tags: [{ key: '../x', value: 'v' }] }), /invalid tag name/);
});

test('experiment names are unique', async () => {
  const store = new FileStore({ root: await tempDir() });
  const id = await store.createExperiment('fsdd');
  await assert.rejects(store.createExperiment('fsdd'), new RegExp(`"fsdd" already exists with id ${id}`));
  await assert.rejects(store.createExperiment('Default'), /already exists with id 0/);
  await assert.rejects(store.createExperiment(''), /non-empty/);
});
