import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { TrackingError } from '../../src/errors';
import { ParamChangedError, Tracker } from '../../src/tracking';
import { tempDir } from './helpers';

async function newRun() {
  const tracker = new Tracker({ root: await tempDir(), gitCommit: null, user: 'tester' });
  return { tracker, run: await tracker.startRun({ experimentName: 'params' }) };
}

test('changing a logged param throws ParamChangedError naming the key, the old and the new value', async () => {
  const { run } = await newRun();
  await run.logParam('lr', 0.001);
  await assert.rejects(run.logParam('lr', 0.01), (err: unknown) => {
    assert.ok(err instanceof ParamChangedError && err instanceof TrackingError);
    assert.equal(err.key, 'lr');
    assert.equal(err.oldValue, '0.001');
    assert.equal(err.newValue, '0.01');
    assert.equal(err.runId, run.runId);
    assert.match(err.message, /"lr".*"0\.001".*"0\.01"/);
    return true;
  });
  const file = path.join(await run.artifactDir(), '..', 'params', 'lr');
  assert.equal(await fs.readFile(file, 'utf8'), '0.001', 'the first value stays on disk');
});

test('logging the same param value again is allowed', async () => {
  const { tracker, run } = await newRun();
  await run.logParams({ epochs: 10, optimizer: 'adam' });
  await run.logParams({ epochs: 10, optimizer: 'adam' });
  assert.deepEqual((await tracker.getRun(run.runId)).data.params, { epochs: '10', optimizer: 'adam' });
});

test('param values are stored as Python str() would write them, without a newline', async () => {
  const { tracker, run } = await newRun();
  await run.logParams({ flag: true, off: false, n: 3, rate: 1e-5, none: null, name: 'cnn v2' });
  assert.deepEqual((await tracker.getRun(run.runId)).data.params, { flag: 'True', off: 'False', n: '3', rate: '1e-05', none: '', name: 'cnn v2' });
});

test('a batch with the same param key twice is refused before anything is written', async () => {
  const { tracker, run } = await newRun();
  await assert.rejects(run.store.logBatch(run.runId, [], [{ key: 'a', value: '1' }, { key: 'a', value: '2' }], []), /duplicate param keys in one batch: a/);
  assert.deepEqual((await tracker.getRun(run.runId)).data.params, {});
});
