import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestPoint, formatSweep, parseSelectOn, selectionLabel, type SweepPoint } from '../../src/orchestration/sweep-summary';
import { ConfigError, MelbookError } from '../../src/errors';

const evaluation = (external: string[]) => ({ evaluation: { seeds: [], speedFactors: [1], external } });

/** Three points where the test split and the `select` folder disagree, and two tie on `select` accuracy. */
const points: SweepPoint[] = [
  { index: 0, overrides: { 'training.seed': 0 }, accuracy: 0.99, external: [{ name: 'select', accuracy: 0.7, minGroupAccuracy: 0.5 }, { name: 'report', accuracy: 0.9, minGroupAccuracy: 0.8 }], runIds: ['r0'] },
  { index: 1, overrides: { 'training.seed': 1 }, accuracy: 0.95, external: [{ name: 'select', accuracy: 0.9, minGroupAccuracy: 0.6 }, { name: 'report', accuracy: 0.6, minGroupAccuracy: 0.2 }], runIds: ['r1'] },
  { index: 2, overrides: { 'training.seed': 2 }, accuracy: 0.9, external: [{ name: 'select', accuracy: 0.9, minGroupAccuracy: 0.8 }, { name: 'report', accuracy: 0.7, minGroupAccuracy: 0.4 }], runIds: ['r2'] },
];

test('--select-on defaults to the test split and names an evaluation.external folder by its folder name', () => {
  const config = evaluation(['/data/espeak/select', 'rel/report']);
  assert.deepEqual(parseSelectOn(undefined, config), { on: 'test' });
  assert.deepEqual(parseSelectOn('test', config, true), { on: 'test' });
  assert.deepEqual(parseSelectOn('external:select', config), { on: 'external', name: 'select' });
  assert.deepEqual(parseSelectOn('external:report', config), { on: 'external', name: 'report' });
  assert.equal(selectionLabel(parseSelectOn('external:select', config)), 'external:select');
  assert.equal(selectionLabel({ on: 'test' }), 'test');
});

test('--select-on refuses a folder the config does not list, saying which it lists and how to add one', () => {
  const config = evaluation(['/data/espeak/select']);
  assert.throws(() => parseSelectOn('external:report', config), (e: unknown) =>
    e instanceof ConfigError && e.path === '--select-on' && /select \(\/data\/espeak\/select\)/.test(e.message) && /--set 'evaluation\.external=\[DIR\]'/.test(e.message));
  assert.throws(() => parseSelectOn('external:select', evaluation([])), /lists no evaluation\.external folder.*--set 'evaluation\.external=\[DIR\]'/);
  assert.throws(() => parseSelectOn('external', config), (e: unknown) => e instanceof ConfigError && /'test' \(default\) or 'external:<name>'/.test(e.message));
  assert.throws(() => parseSelectOn('val', config), ConfigError);
  assert.throws(() => parseSelectOn('external:select', evaluation(['/a/select', '/b/select'])), /\/a\/select and \/b\/select are both named select/);
});

test('--select-on external is refused with --loso, saying why and what to do instead', () => {
  assert.throws(() => parseSelectOn('external:select', evaluation(['/data/select']), true), (e: unknown) =>
    e instanceof ConfigError && /not with --loso: each fold is its own model/.test(e.message) && /melbook evaluate --loso/.test(e.message));
});

test('the best point is the highest test accuracy, or the highest accuracy on the chosen folder with ties broken by its weakest group', () => {
  assert.equal(bestPoint(points).index, 0);
  assert.equal(bestPoint(points, { on: 'external', name: 'select' }).index, 2, '0.9 twice: point 2 has the stronger weakest voice');
  assert.equal(bestPoint(points, { on: 'external', name: 'report' }).index, 0);
  const tied = points.map((p) => ({ ...p, accuracy: 0.9, external: [{ name: 'select', accuracy: 0.5, minGroupAccuracy: 0.5 }] }));
  assert.equal(bestPoint(tied).index, 0, 'a full tie goes to the lower point');
  assert.equal(bestPoint(tied, { on: 'external', name: 'select' }).index, 0);
});

test('a point without a score on the chosen folder stops the ranking, naming the point, its run and the fix', () => {
  const old = [points[0]!, { ...points[1]!, external: [] }];
  assert.throws(() => bestPoint(old, { on: 'external', name: 'select' }), (e: unknown) =>
    e instanceof MelbookError && /point 1 \(run r1\) has no score on the external folder select/.test(e.message) && /new sweep/.test(e.message));
  assert.throws(() => bestPoint([]), /no points/);
});

test('the sweep table shows test accuracy and each folder\'s accuracy and weakest group, then the best point and what chose it', () => {
  const table = formatSweep(points, { on: 'external', name: 'select' });
  const lines = table.trimEnd().split('\n');
  assert.equal(lines[0], '| point | training.seed | test accuracy | select accuracy | select weakest group | report accuracy | report weakest group |');
  assert.equal(lines[2], '| 0 | 0 | 99.0 % | 70.0 % | 50.0 % | 90.0 % | 80.0 % |');
  assert.equal(lines[4], '| 2 | 2 | 90.0 % | 90.0 % | 80.0 % | 70.0 % | 40.0 % |');
  assert.equal(lines.at(-1), 'best: point 2, chosen on accuracy on external folder select (--select-on external:select; ties: its weakest group, then the lower point)');
  assert.match(formatSweep(points), /\nbest: point 0, chosen on test accuracy \(--select-on test; ties: the lower point\)\n$/);
  const missing = formatSweep([points[0]!, { ...points[1]!, external: [] }]);
  assert.match(missing, /\| 1 \| 1 \| 95\.0 % \| - \| - \| - \| - \|/, 'a run not scored on a folder shows a dash');
});

test('a LOSO sweep table keeps its mean and weakest fold and says the LOSO mean chose', () => {
  const loso: SweepPoint[] = [{ index: 0, overrides: { 'training.seed': 0 }, accuracy: 0.88, min: 0.75, runIds: ['a', 'b'] }];
  const table = formatSweep(loso);
  assert.match(table, /^\| point \| training\.seed \| LOSO mean \| weakest fold \|\n/);
  assert.match(table, /\| 0 \| 0 \| 88\.0 % \| 75\.0 % \|/);
  assert.match(table, /best: point 0, chosen on LOSO mean/);
});
