import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildGraph, climbingImports, findCycles, importSpecifiers, resolveSpecifier, unitGraph, unplacedUnits } from './import-graph';

const LAYERS = [['cli/'], ['data/'], ['audio/'], ['errors.ts']];

test('importSpecifiers finds static, type-only, re-exported, dynamic, required and import-type imports', () => {
  const text = [
    "import { a } from './a';",
    "import type { B } from './b';",
    "export { c } from './c';",
    "export * from './d';",
    "import e = require('./e');",
    "const f = require('./f');",
    "async function g() { return import('./g'); }",
    "let h: typeof import('./h');",
    "import 'node:fs';",
    "const notAnImport = './i';",
  ].join('\n');
  assert.deepEqual(importSpecifiers('x.ts', text), ['./a', './b', './c', './d', './e', './f', './g', './h', 'node:fs']);
});

test('resolveSpecifier maps relative paths to files and index.ts, and ignores packages and paths outside src/', () => {
  const files = new Set(['data/split.ts', 'audio/index.ts', 'errors.ts']);
  assert.equal(resolveSpecifier('data/dataset.ts', './split', files), 'data/split.ts');
  assert.equal(resolveSpecifier('data/dataset.ts', '../audio', files), 'audio/index.ts');
  assert.equal(resolveSpecifier('data/dataset.ts', '../errors.js', files), 'errors.ts');
  assert.equal(resolveSpecifier('data/dataset.ts', 'cli-progress', files), undefined);
  assert.equal(resolveSpecifier('cli.ts', '../package.json', files), undefined);
});

test('findCycles reports a two-file circle, a longer circle, and nothing for a chain', () => {
  const graph = buildGraph(new Map([
    ['data/a.ts', "import { b } from './b';"],
    ['data/b.ts', "import type { A } from './a';"],
    ['audio/x.ts', "import './y';"],
    ['audio/y.ts', "const z = require('./z');"],
    ['audio/z.ts', "async function f() { await import('./x'); }"],
    ['errors.ts', ''],
    ['cli/c.ts', "import '../errors';"],
  ]));
  assert.deepEqual(findCycles(graph), [['audio/x.ts', 'audio/y.ts', 'audio/z.ts'], ['data/a.ts', 'data/b.ts']]);
  assert.deepEqual(findCycles(buildGraph(new Map([['a.ts', "import './b';"], ['b.ts', '']]))), []);
});

test('a circle between folders is found even when the files form no circle', () => {
  const graph = buildGraph(new Map([
    ['data/a.ts', "import '../audio/x';"],
    ['audio/x.ts', ''],
    ['audio/y.ts', "import '../data/b';"],
    ['data/b.ts', ''],
  ]));
  assert.deepEqual(findCycles(graph), []);
  assert.deepEqual(findCycles(unitGraph(graph)), [['audio/', 'data/']]);
});

test('climbingImports names an import from a lower layer to a higher one, and allows the other way', () => {
  const graph = buildGraph(new Map([
    ['cli/run.ts', "import { load } from '../data/load';"],
    ['data/load.ts', "import type { Bar } from '../cli/bar'; import '../errors';"],
    ['cli/bar.ts', ''],
    ['errors.ts', ''],
  ]));
  assert.deepEqual(climbingImports(graph, LAYERS), ['data/load.ts -> cli/bar.ts']);
});

test('unplacedUnits names a folder or root file the order does not list', () => {
  const graph = buildGraph(new Map([['data/a.ts', ''], ['fresh/b.ts', ''], ['loose.ts', ''], ['errors.ts', '']]));
  assert.deepEqual(unplacedUnits(graph, LAYERS), ['fresh/', 'loose.ts']);
});
