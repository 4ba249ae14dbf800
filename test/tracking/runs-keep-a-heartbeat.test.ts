/**
 * A run started by the Tracker records its host and pid and keeps a heartbeat tag fresh: on a
 * timer, and on metrics logged at least minGapS after the last heartbeat; ending the run stops it.
 */
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LIVENESS_TAGS, Tracker, withRun } from '../../src/tracking';
import { manualClock, tempDir } from './helpers';

const T0 = 1_700_000_000_000;

test('a started run carries this host, this pid and its start time as the first heartbeat (ms since the epoch)', async () => {
  const tracker = new Tracker({ root: await tempDir(), gitCommit: null, now: () => T0 });
  const run = await tracker.startRun({ runName: 'here' });
  const { tags } = (await tracker.getRun(run.runId)).data;
  assert.equal(tags[LIVENESS_TAGS.host], hostname());
  assert.equal(tags[LIVENESS_TAGS.pid], String(process.pid));
  assert.equal(tags[LIVENESS_TAGS.heartbeat], String(T0));
  await run.endRun();
});

test('metrics refresh the heartbeat once minGapS has passed since the last one, not on every call', async () => {
  const clock = manualClock(T0);
  const tracker = new Tracker({ root: await tempDir(), gitCommit: null, now: clock.now, heartbeat: { minGapS: 5 } });
  const run = await tracker.startRun();
  const heartbeat = async () => (await tracker.getRun(run.runId)).data.tags[LIVENESS_TAGS.heartbeat];
  clock.set(T0 + 4_999);
  await run.logMetrics({ loss: 1 }, 0);
  assert.equal(await heartbeat(), String(T0), 'within the gap: no tag write');
  clock.set(T0 + 5_000);
  await run.logMetrics({ loss: 0.5 }, 1);
  assert.equal(await heartbeat(), String(T0 + 5_000));
  clock.set(T0 + 7_000);
  await run.logMetric('loss', 0.4, 2);
  assert.equal(await heartbeat(), String(T0 + 5_000));
  clock.set(T0 + 60_000);
  await run.endRun();
  assert.equal(await heartbeat(), String(T0 + 5_000), 'ending the run writes no heartbeat');
});

test('a timer refreshes the heartbeat while nothing is logged, and stops when the run ends', async () => {
  const clock = manualClock(T0);
  const tracker = new Tracker({ root: await tempDir(), gitCommit: null, now: clock.now, heartbeat: { intervalS: 0.02 } });
  const run = await tracker.startRun();
  const heartbeat = async () => (await tracker.getRun(run.runId)).data.tags[LIVENESS_TAGS.heartbeat];
  clock.set(T0 + 61_000);
  const deadline = Date.now() + 5000;
  while ((await heartbeat()) !== String(T0 + 61_000) && Date.now() < deadline) await sleep(10);
  assert.equal(await heartbeat(), String(T0 + 61_000));
  await run.endRun();
  clock.set(T0 + 122_000);
  await sleep(100);
  assert.equal(await heartbeat(), String(T0 + 61_000), 'no heartbeat after the run ended');
});

test('withRun stops the heartbeat when the run ends, FINISHED or FAILED', async () => {
  const clock = manualClock(T0);
  const tracker = new Tracker({ root: await tempDir(), gitCommit: null, now: clock.now, heartbeat: { intervalS: 0.02 } });
  const ids: string[] = [];
  await withRun(tracker, { handleSignals: false }, (run) => void ids.push(run.runId));
  await assert.rejects(withRun(tracker, { handleSignals: false }, (run) => {
    ids.push(run.runId);
    throw new Error('boom');
  }));
  clock.set(T0 + 99_000);
  await sleep(100);
  for (const id of ids) assert.equal((await tracker.getRun(id)).data.tags[LIVENESS_TAGS.heartbeat], String(T0), id);
});

test('heartbeat: false starts runs with the MLflow tags only', async () => {
  const tracker = new Tracker({ root: await tempDir(), gitCommit: null, heartbeat: false });
  const run = await tracker.startRun();
  const keys = Object.keys((await tracker.getRun(run.runId)).data.tags);
  assert.deepEqual(keys.filter((k) => k.startsWith('melbook.')), []);
  await run.endRun();
});

test('a run opened from another process (openRun) does not take over the heartbeat', async () => {
  const clock = manualClock(T0);
  const root = await tempDir();
  const tracker = new Tracker({ root, gitCommit: null, now: clock.now, heartbeat: { minGapS: 1 } });
  const owner = await tracker.startRun();
  const other = await new Tracker({ root, gitCommit: null, now: clock.now }).openRun(owner.runId);
  clock.set(T0 + 10_000);
  await other.logMetric('acc', 0.9);
  assert.equal((await tracker.getRun(owner.runId)).data.tags[LIVENESS_TAGS.heartbeat], String(T0));
  await owner.endRun();
});

test('a tag being rewritten is never read empty or half-written by another reader (CI once read the heartbeat as "")', async () => {
  const root = await tempDir();
  const writer = new Tracker({ root, gitCommit: null, heartbeat: false });
  const reader = new Tracker({ root, gitCommit: null, heartbeat: false });
  const run = await writer.startRun();
  const value = (i: number) => String(i).padStart(6, '0').repeat(833); // 4,998 characters, under the 5,000 limit
  await run.setTag('big', value(0));
  let writing = true;
  const seen = new Set<string>();
  const reads = (async () => {
    while (writing) seen.add((await reader.getRun(run.runId)).data.tags.big);
  })();
  for (let i = 1; i <= 400; i++) await run.setTag('big', value(i));
  writing = false;
  await reads;
  const torn = [...seen].filter((v) => !/^(\d{6})\1*$/.test(v) || v.length !== 4_998);
  assert.deepEqual(torn.map((v) => `${v.length} chars: ${v.slice(0, 12)}…`), []);
  assert.deepEqual(Object.keys((await reader.getRun(run.runId)).data.tags).filter((k) => k.endsWith('.tmp')), [], 'no temporary file is read as a tag');
  await run.endRun();
});
