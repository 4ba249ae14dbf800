import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { test } from 'node:test';
import { FileStore, Tracker, newIntegerExperimentId } from '../../src/tracking';
import { tempDir } from './helpers';

test('20 runs started at the same millisecond get 20 distinct folders', async () => {
  const root = await tempDir();
  const tracker = new Tracker({ root, now: () => 1_700_000_000_000, gitCommit: null, user: 'tester' });
  const expId = await tracker.getOrCreateExperiment('parallel');
  const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => tracker.startRun({ experimentName: 'parallel', runName: `r${i}` })));
  assert.equal(new Set(runs.map((r) => r.runId)).size, 20);
  const folders = (await fs.readdir(`${root}/${expId}`)).filter((n) => /^[0-9a-f]{32}$/.test(n));
  assert.equal(folders.length, 20);
  const listed = await tracker.listRuns('parallel');
  assert.deepEqual(listed.map((r) => r.info.runName).sort(), runs.map((r) => r.info.runName).sort());
});

test('a run id that is already taken is never reused: the store draws another', async () => {
  const ids = ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'];
  const store = new FileStore({ root: await tempDir(), newRunId: () => ids.shift()! });
  const [a, b] = await Promise.all([store.createRun({ experimentId: '0', userId: 'u', startTime: 1 }), store.createRun({ experimentId: '0', userId: 'u', startTime: 1 })]);
  assert.deepEqual([a.runId, b.runId].sort(), ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb']);
});

test('concurrent getOrCreateExperiment calls for one name agree on one experiment', async () => {
  const tracker = new Tracker({ root: await tempDir(), gitCommit: null });
  const ids = await Promise.all(Array.from({ length: 8 }, () => tracker.getOrCreateExperiment('shared')));
  assert.equal(new Set(ids).size, 1);
  assert.equal((await tracker.store.listExperiments()).filter((e) => e.name === 'shared').length, 1);
});

test('new experiment ids are 18-digit integers, as MLflow makes them', () => {
  for (let i = 0; i < 200; i++) assert.match(newIntegerExperimentId(), /^[1-9][0-9]{17}$/);
});
