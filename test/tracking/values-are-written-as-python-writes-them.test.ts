import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { pythonFloatRepr, pythonStr } from '../../src/tracking';

const FLOATS = [0.5, 1, -2, 0.1 + 0.2, 1e-4, 1e-5, 1.5e-7, 123456.789, 1e15, 1e16, 12345678901234567, 1e22, 5e-324, 1.7976931348623157e308, -0.0, 0, 2 / 3, 100, 0.001];

test('metric values are written as Python repr(float)', () => {
  const expected = JSON.parse(execFileSync('/usr/bin/python3', ['-c', 'import json,sys; print(json.dumps([repr(float(x)) for x in json.loads(sys.stdin.read())]))'], { input: JSON.stringify(FLOATS) }).toString());
  expected[FLOATS.indexOf(-0.0)] = '-0.0'; // JSON cannot carry the sign of zero
  assert.deepEqual(FLOATS.map(pythonFloatRepr), expected);
  assert.deepEqual([NaN, Infinity, -Infinity].map(pythonFloatRepr), ['nan', 'inf', '-inf']);
});

test('param and tag values are written as Python str() of the same value', () => {
  assert.deepEqual([true, false, null, undefined, 10, 2 ** 70, 0.25, 1e-5, 10n, 'text'].map(pythonStr), ['True', 'False', '', '', '10', '1180591620717411303424', '0.25', '1e-05', '10', 'text']);
});
