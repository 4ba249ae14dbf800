import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classificationReport, confusionMatrix, argmaxRows } from '../../src/train/metrics';

test('the confusion matrix counts true classes by row and predictions by column', () => {
  assert.deepEqual(confusionMatrix([0, 0, 1, 2, 2], [0, 1, 1, 2, 0], 3), [[1, 1, 0], [0, 1, 0], [1, 0, 1]]);
});

test('precision, recall and F1 per class match hand-computed values', () => {
  const r = classificationReport([0, 0, 1, 2, 2], [0, 1, 1, 2, 0], ['a', 'b', 'c'], ['x', 'x', 'y', 'y', 'y']);
  assert.equal(r.accuracy, 3 / 5);
  const [a, b, c] = r.perClass;
  assert.deepEqual([a.precision, a.recall, a.support], [0.5, 0.5, 2]);
  assert.deepEqual([b.precision, b.recall], [0.5, 1]);
  assert.ok(Math.abs(b.f1 - 2 / 3) < 1e-12);
  assert.deepEqual([c.precision, c.recall], [1, 0.5]);
  assert.ok(Math.abs(r.macro.f1 - (0.5 + 2 / 3 + 2 / 3) / 3) < 1e-12);
  assert.deepEqual(r.perGroup, { x: { accuracy: 0.5, count: 2 }, y: { accuracy: 2 / 3, count: 3 } });
});

test('a class never predicted has precision 0, not NaN', () => {
  const r = classificationReport([0, 1], [0, 0], ['a', 'b']);
  assert.equal(r.perClass[1].precision, 0);
  assert.equal(r.perClass[1].f1, 0);
});

test('mismatched lengths are an error', () => {
  assert.throws(() => classificationReport([0], [0, 1], ['a', 'b']), RangeError);
});

test('argmaxRows picks the first maximum of each row', () => {
  assert.deepEqual([...argmaxRows([0.1, 0.7, 0.2, 0.5, 0.5, 0], 3)], [1, 0]);
});
