import assert from 'node:assert/strict';
import { test } from 'node:test';
import { doubleCasts, functionSpans, lineCount, longFunctions } from './source-checks';

test('lineCount counts lines as wc -l does for a file ending in a newline', () => {
  assert.equal(lineCount('a\nb\n'), 2);
  assert.equal(lineCount('a\nb'), 2);
  assert.equal(lineCount(''), 0);
});

test('functionSpans measures declarations, methods, arrows and function expressions from start to end', () => {
  const text = [
    'function f() {', // 1
    '  return 1;',
    '}',
    'const g = (x: number) =>', // 4
    '  x + 1;',
    'class C {',
    '  m() { return 2; }', // 7
    '  constructor() {', // 8
    '  }',
    '}',
    'const h = { k: function () {', // 11
    '  return 3;',
    '} };',
    'declare function nobody(): void;',
  ].join('\n');
  assert.deepEqual(functionSpans('x.ts', text), [
    { name: 'f', line: 1, lines: 3 },
    { name: 'g', line: 4, lines: 2 },
    { name: 'm', line: 7, lines: 1 },
    { name: 'constructor', line: 8, lines: 2 },
    { name: 'k', line: 11, lines: 3 },
  ]);
});

test('longFunctions names a function one line over the limit and passes one at the limit', () => {
  const body = (n: number) => Array.from({ length: n - 2 }, (_, i) => `  const v${i} = ${i};`).join('\n');
  const text = `function atLimit() {\n${body(60)}\n}\nfunction over() {\n${body(61)}\n}\n`;
  assert.deepEqual(longFunctions('x.ts', text, 60), ['x.ts:61 over (61 lines)']);
});

test('doubleCasts finds `as unknown as` in code, not in strings or comments, and sees a reason comment', () => {
  const text = [
    "const s = 'x as unknown as y'; /* as unknown as */ const t = 0;",
    'const a = 1 as unknown as string;',
    '// tfjs hides the backend type',
    'const b = 2 as unknown as string;',
    'const c = 3 as unknown as string; // the kernel registry is untyped',
    'const d = 4 as unknown;',
  ].join('\n');
  assert.deepEqual(doubleCasts('x.ts', text), [
    { line: 2, explained: false },
    { line: 4, explained: true },
    { line: 5, explained: true },
  ]);
});
