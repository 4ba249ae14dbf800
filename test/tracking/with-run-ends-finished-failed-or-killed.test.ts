import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ERROR_ARTIFACT, ERROR_TAG, RUN_STATUS_CODES, Tracker, withRun, type RunHandle } from '../../src/tracking';
import { tempDir } from './helpers';

test('a run whose code throws ends FAILED with the error recorded, and the error is rethrown', async () => {
  const tracker = new Tracker({ root: await tempDir(), gitCommit: null, now: () => 1_700_000_000_000 });
  let handle: RunHandle | undefined;
  const boom = new RangeError('learning rate 5 is too large');
  await assert.rejects(
    withRun(tracker, { experimentName: 'failing', handleSignals: false }, async (run) => {
      handle = run;
      await run.logMetric('loss', 1.5);
      throw boom;
    }),
    (err) => err === boom,
  );
  const run = await tracker.getRun(handle!.runId);
  assert.equal(run.info.status, 'FAILED');
  assert.equal(run.info.endTime, 1_700_000_000_000);
  assert.equal(run.data.tags[ERROR_TAG], 'RangeError: learning rate 5 is too large');
  const stack = await fs.readFile(path.join(await handle!.artifactDir(), ERROR_ARTIFACT), 'utf8');
  assert.match(stack, /^RangeError: learning rate 5 is too large\n\s+at /);
  assert.equal(run.data.metrics.loss.value, 1.5, 'what was logged before the throw is kept');
  const meta = await fs.readFile(path.join(await handle!.artifactDir(), '..', 'meta.yaml'), 'utf8');
  assert.match(meta, new RegExp(`^status: ${RUN_STATUS_CODES.FAILED}$`, 'm'));
});

test('a run whose code resolves ends FINISHED and withRun returns its value', async () => {
  const tracker = new Tracker({ root: await tempDir(), gitCommit: null });
  let runId = '';
  const value = await withRun(tracker, { runName: 'ok', handleSignals: false }, async (run) => {
    runId = run.runId;
    return 42;
  });
  assert.equal(value, 42);
  const run = await tracker.getRun(runId);
  assert.equal(run.info.status, 'FINISHED');
  assert.equal(run.info.experimentId, '0');
  assert.ok(run.info.endTime !== null && run.info.endTime >= run.info.startTime);
  assert.equal(run.data.tags[ERROR_TAG], undefined);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) test(`${signal} during withRun ends the run KILLED and still stops the process`, async () => {
  const root = await tempDir();
  const script = `
    const { Tracker, withRun } = require(${JSON.stringify(path.resolve(__dirname, '../../src/tracking'))});
    const tracker = new Tracker({ root: ${JSON.stringify(root)}, gitCommit: null });
    withRun(tracker, { runName: 'long' }, async (run) => {
      console.log(run.runId);
      await new Promise((resolve) => setTimeout(resolve, 30000));
    });`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  const runId = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(String(d).trim()));
    child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  child.kill(signal);
  assert.equal(await exited, signal);
  const run = await new Tracker({ root, gitCommit: null }).getRun(runId);
  assert.equal(run.info.status, 'KILLED');
  assert.ok(run.info.endTime !== null);
});

test('a failing parent ends its nested runs still RUNNING as KILLED (folds in stopped worker threads), and leaves ended ones alone', async () => {
  const tracker = new Tracker({ root: await tempDir(), gitCommit: null });
  const ids: Record<string, string> = {};
  await assert.rejects(
    withRun(tracker, { experimentName: 'nested', runName: 'parent', handleSignals: false }, async (parent) => {
      ids.parent = parent.runId;
      const orphan = await tracker.startRun({ experimentName: 'nested', runName: 'orphan', parentRunId: parent.runId });
      ids.orphan = orphan.runId;
      const done = await tracker.startRun({ experimentName: 'nested', runName: 'done', parentRunId: parent.runId });
      await done.endRun('FINISHED');
      ids.done = done.runId;
      const other = await tracker.startRun({ experimentName: 'nested', runName: 'unrelated' });
      ids.other = other.runId;
      throw new Error('fold lucas failed');
    }),
    /fold lucas failed/,
  );
  assert.equal((await tracker.getRun(ids.parent)).info.status, 'FAILED');
  assert.equal((await tracker.getRun(ids.orphan)).info.status, 'KILLED');
  assert.equal((await tracker.getRun(ids.done)).info.status, 'FINISHED');
  assert.equal((await tracker.getRun(ids.other)).info.status, 'RUNNING', 'a run that is not nested under the parent is not touched');
});
