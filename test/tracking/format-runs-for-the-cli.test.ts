import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, formatRunsComparison, formatRunsTable, runsToJson, type Run } from '../../src/tracking';

function run(id: string, name: string, params: Record<string, string>, metrics: Record<string, number>, status: Run['info']['status'] = 'FINISHED'): Run {
  const start = Date.UTC(2024, 4, 1, 12, 0, 0);
  return {
    info: { runId: id.repeat(32 / id.length), runName: name, experimentId: '0', userId: 'u', status, startTime: start, endTime: status === 'RUNNING' ? null : start + 125_000, artifactUri: '', lifecycleStage: 'active' },
    data: { params, tags: {}, metrics: Object.fromEntries(Object.entries(metrics).map(([key, value]) => [key, { key, value, step: 0, timestamp: start }])), metricHistory: {} },
  };
}

const a = run('a', 'baseline', { lr: '0.01', epochs: '10' }, { 'val/acc': 0.912345, loss: 0.25 });
const b = run('b', 'wider', { lr: '0.001', epochs: '10', filters: '64' }, { 'val/acc': 0.95 }, 'RUNNING');

test('the runs table shows id, name, status, start time in UTC and the chosen metrics', () => {
  const text = formatRunsTable([a, b], ['val/acc', 'loss']);
  const lines = text.trimEnd().split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0], /^run id\s+name\s+status\s+start \(UTC\)\s+val\/acc\s+loss$/);
  assert.match(lines[1], /^-+( +-+){5}$/);
  assert.match(lines[2], new RegExp(`^${'a'.repeat(32)}  baseline  FINISHED  2024-05-01 12:00:00  0\\.9123 +0\\.25$`));
  assert.match(lines[3], new RegExp(`^${'b'.repeat(32)}  wider +RUNNING +2024-05-01 12:00:00  0\\.95 +-$`));
  assert.match(formatRunsTable([a]), /loss\s+val\/acc/, 'default columns: every metric, sorted');
  assert.equal(formatRunsTable([]), '(no runs)\n');
});

test('the comparison puts runs side by side and marks the rows that differ', () => {
  const lines = formatRunsComparison([a, b]).trimEnd().split('\n');
  const row = (label: string) => lines.find((l) => l.slice(2).startsWith(`${label} `)) ?? assert.fail(`no row ${label}`);
  assert.match(lines[0], /baseline \(aaaaaaaa\)\s+wider \(bbbbbbbb\)/);
  assert.match(row('lr'), /^\* lr\s+0\.01\s+0\.001$/);
  assert.match(row('epochs'), /^  epochs\s+10\s+10$/, 'equal values are not marked');
  assert.match(row('filters'), /^\* filters\s+-\s+64$/);
  assert.match(row('loss'), /^\* loss\s+0\.25\s+-$/);
  assert.match(row('duration'), /^\* duration\s+2m05s\s+-$/);
  assert.ok(lines.includes('params') || lines.some((l) => /^params\s*$/.test(l)));
});

test('durations read as seconds, minutes or hours', () => {
  assert.deepEqual([4200, 125_000, 3_723_000].map(formatDuration), ['4.2s', '2m05s', '1h02m03s']);
});

test('a RUNNING run judged dead shows DEAD? and its reason in a last column, present only when some run is dead', () => {
  const dead = { dead: true, reason: 'pid 1234 on host vm is gone' };
  const alive = { dead: false, reason: null };
  const lines = formatRunsTable([a, b], ['loss'], [alive, dead]).trimEnd().split('\n');
  assert.match(lines[0], /^run id\s+name\s+status\s+start \(UTC\)\s+loss\s+why$/);
  assert.match(lines[2], new RegExp(`^${'a'.repeat(32)}  baseline  FINISHED  2024-05-01 12:00:00  0\\.25$`));
  assert.match(lines[3], new RegExp(`^${'b'.repeat(32)}  wider +DEAD\\? +2024-05-01 12:00:00  - +pid 1234 on host vm is gone$`));
  assert.equal(formatRunsTable([a, b], ['loss'], [alive, alive]), formatRunsTable([a, b], ['loss']), 'no why column when every run is alive');
});

test('runs as JSON carry ids, experiment, stored and shown status, reason, times, params, latest metrics and tags', () => {
  const withTag: Run = { ...b, data: { ...b.data, tags: { 'melbook.pid': '1234' } } };
  const json = runsToJson([a, withTag], [{ dead: false, reason: null }, { dead: true, reason: 'no heartbeat for 12 min' }], new Map([['0', 'Default']]));
  assert.deepEqual(JSON.parse(JSON.stringify(json)), [
    {
      id: 'a'.repeat(32), name: 'baseline', experimentId: '0', experiment: 'Default', status: 'FINISHED', shownStatus: 'FINISHED', reason: null,
      startTime: Date.UTC(2024, 4, 1, 12), endTime: Date.UTC(2024, 4, 1, 12) + 125_000, params: { lr: '0.01', epochs: '10' }, metrics: { 'val/acc': 0.912345, loss: 0.25 }, tags: {},
    },
    {
      id: 'b'.repeat(32), name: 'wider', experimentId: '0', experiment: 'Default', status: 'RUNNING', shownStatus: 'DEAD?', reason: 'no heartbeat for 12 min',
      startTime: Date.UTC(2024, 4, 1, 12), endTime: null, params: { lr: '0.001', epochs: '10', filters: '64' }, metrics: { 'val/acc': 0.95 }, tags: { 'melbook.pid': '1234' },
    },
  ]);
  const nan = run('c', 'diverged', {}, { loss: Number.NaN });
  assert.deepEqual(runsToJson([nan], [], new Map())[0].metrics, { loss: null }, 'JSON has no NaN');
  assert.equal(runsToJson([nan], [], new Map())[0].experiment, null);
});
