/**
 * runLiveness: a RUNNING run is dead when its pid is gone on this host or its heartbeat is
 * older than the limit; anything else is left alone. Pure: every probe is a plain object.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LIVENESS_TAGS, ageText, pidAlive, runLiveness, type LivenessProbe, type Run, type RunStatus } from '../../src/tracking';

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);
const MIN = 60_000;

function run(tags: Record<string, string>, status: RunStatus = 'RUNNING'): Run {
  return {
    info: { runId: 'a'.repeat(32), runName: 'r', experimentId: '0', userId: 'u', status, startTime: NOW - 60 * MIN, endTime: status === 'RUNNING' ? null : NOW, artifactUri: '', lifecycleStage: 'active' },
    data: { params: {}, tags, metrics: {}, metricHistory: {} },
  };
}

const live = (host: string, pid: string, heartbeatAgoMs: number) => ({ [LIVENESS_TAGS.host]: host, [LIVENESS_TAGS.pid]: pid, [LIVENESS_TAGS.heartbeat]: String(NOW - heartbeatAgoMs) });

function probe(alivePids: number[], overrides: Partial<LivenessProbe> = {}): LivenessProbe & { asked: number[] } {
  const asked: number[] = [];
  return { host: 'here', pidAlive: (pid) => (asked.push(pid), alivePids.includes(pid)), now: NOW, staleAfterS: 300, asked, ...overrides };
}

test('a run on this host whose pid is gone is dead, with the pid and host in the reason, however fresh its heartbeat', () => {
  assert.deepEqual(runLiveness(run(live('here', '1234', 1000)), probe([])), { dead: true, reason: 'pid 1234 on host here is gone' });
});

test('a run on this host whose pid is alive and whose heartbeat is fresh is alive', () => {
  const p = probe([1234]);
  assert.deepEqual(runLiveness(run(live('here', '1234', 4 * MIN)), p), { dead: false, reason: null });
  assert.deepEqual(p.asked, [1234]);
});

test('a heartbeat older than the limit makes a run dead, saying for how long it has been silent', () => {
  assert.deepEqual(runLiveness(run(live('elsewhere', '1234', 12 * MIN)), probe([])), { dead: true, reason: 'no heartbeat for 12 min' });
  const hung = runLiveness(run(live('here', '1234', 12 * MIN)), probe([1234]));
  assert.equal(hung.dead, true, 'a live pid does not save a run whose heartbeat stopped (reused pid or hung process)');
  assert.match(hung.reason ?? '', /^no heartbeat for 12 min \(pid 1234 exists: a reused pid or a hung process\)$/);
});

test('the limit is configurable and inclusive: exactly staleAfterS old is still alive', () => {
  const tags = live('elsewhere', '1234', 90_000);
  assert.equal(runLiveness(run(tags), probe([], { staleAfterS: 90 })).dead, false);
  assert.equal(runLiveness(run(tags), probe([], { staleAfterS: 89 })).dead, true);
  assert.equal(runLiveness(run(tags), probe([], { staleAfterS: 300 })).dead, false);
});

test('a run on another host is never probed by pid: a fresh heartbeat keeps it alive', () => {
  const p = probe([]);
  assert.deepEqual(runLiveness(run(live('elsewhere', '1234', 30_000)), p), { dead: false, reason: null });
  assert.deepEqual(p.asked, [], 'a pid of another host says nothing about this one');
});

test('runs that are not RUNNING are never judged dead', () => {
  for (const status of ['FINISHED', 'FAILED', 'KILLED', 'SCHEDULED'] as const) {
    const p = probe([]);
    assert.deepEqual(runLiveness(run(live('here', '1234', 99 * MIN), status), p), { dead: false, reason: null }, status);
    assert.deepEqual(p.asked, []);
  }
});

test('a run without liveness tags (MLflow, older melbook) is not judged', () => {
  assert.deepEqual(runLiveness(run({}), probe([])), { dead: false, reason: null });
  assert.deepEqual(runLiveness(run({ [LIVENESS_TAGS.host]: 'here' }), probe([])), { dead: false, reason: null });
});

test('a pid that is not a positive integer is not probed (0 and -1 would address process groups); the heartbeat still counts', () => {
  for (const pid of ['0', '-1', 'abc', '1.5', '', '99999999999999999999']) {
    const p = probe([]);
    assert.equal(runLiveness(run(live('here', pid, 1000)), p).dead, false, pid);
    assert.deepEqual(p.asked, [], pid);
    assert.equal(runLiveness(run(live('here', pid, 20 * MIN)), probe([])).reason, 'no heartbeat for 20 min');
  }
});

test('a heartbeat that is not a number, or in the future (clocks of two hosts), does not make a run dead', () => {
  assert.equal(runLiveness(run({ ...live('elsewhere', '1', 0), [LIVENESS_TAGS.heartbeat]: 'yesterday' }), probe([])).dead, false);
  assert.equal(runLiveness(run(live('elsewhere', '1', -10 * MIN)), probe([])).dead, false);
});

test('ages read in the unit that fits', () => {
  assert.deepEqual([45_000, 119_000, 12 * MIN, 210 * MIN, 3 * 86_400_000].map(ageText), ['45 s', '119 s', '12 min', '3.5 h', '3.0 days']);
});

test('pidAlive sees this process and not a pid that has exited', async () => {
  assert.equal(pidAlive(process.pid), true);
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(pidAlive(child.pid!), false);
});
