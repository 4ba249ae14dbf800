/**
 * Fuzzing the notebook parser: the shipped notebooks with any JSON node replaced, byte-level
 * mutations of their text, and random JSON give a notebook (which formatNotebook can write) or
 * a ConfigError, never another exception.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { formatNotebook, parseNotebook } from '../../src/runner/notebook-io';
import { ConfigError } from '../../src/errors';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParameters, mutated, valueOrMelbookError } from './harness';

const FOLDERS = [join(__dirname, '../../notebooks'), join(__dirname, '../fixtures/notebooks')];
const TEXTS = FOLDERS.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.ipynb')).map((f) => readFileSync(join(d, f), 'utf8')));
const NOTEBOOKS = TEXTS.map((t) => JSON.parse(t) as unknown);

/** Every node of a JSON tree as a path of keys. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out = [prefix];
  if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, Array.isArray(value) ? Number(k) : k]));
  return out;
}

function replaceAt(root: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]] = replacement;
  return copy;
}

/** A shipped notebook with 1-3 nodes replaced by null, the wrong type or random JSON. */
const damaged = fc
  .tuple(fc.constantFrom(...NOTEBOOKS), fc.array(fc.tuple(fc.nat(), fc.oneof(fc.constantFrom(null, [], {}, '', 0, true, [null], { output_type: 'stream' }), fc.jsonValue({ maxDepth: 2 }))), { minLength: 1, maxLength: 3 }))
  .map(([nb, edits]) => edits.reduce((acc, [at, value]) => {
    const all = paths(acc);
    return replaceAt(acc, all[at % all.length], value);
  }, nb));

function parsesOrRefuses(json: unknown): void {
  const r = valueOrMelbookError(() => parseNotebook(json, 'fuzz.ipynb'));
  if (r instanceof Error) {
    assert.ok(r instanceof ConfigError, `${r.name}: ${r.message}`);
    return;
  }
  assert.equal(typeof formatNotebook(r), 'string', 'a notebook the parser accepts can be written');
}

test('shipped notebooks with nodes replaced by null, wrong types or random JSON parse or throw ConfigError', { timeout: FUZZ_TEST_TIMEOUT_MS }, () => {
  fc.assert(fc.property(damaged, parsesOrRefuses), fuzzParameters());
});

test('byte-mutated notebook files that are still JSON parse or throw ConfigError', { timeout: FUZZ_TEST_TIMEOUT_MS }, () => {
  const texts = fc.constantFrom(...TEXTS.map((t) => Buffer.from(t)));
  fc.assert(fc.property(mutated(texts, 3), (bytes) => {
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(bytes).toString('utf8'));
    } catch {
      return; // not JSON: readNotebook's ConfigError, tested in test/runner/notebook-io.test.ts
    }
    parsesOrRefuses(json);
  }), fuzzParameters(0.3));
});

test('random JSON values parse or throw ConfigError', { timeout: FUZZ_TEST_TIMEOUT_MS }, () => {
  const cell = fc.record({ cell_type: fc.constantFrom('code', 'markdown', 'raw'), source: fc.jsonValue({ maxDepth: 1 }), outputs: fc.jsonValue({ maxDepth: 2 }), metadata: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: ['cell_type'] });
  const nb = fc.record({ nbformat: fc.constantFrom(4, 3, '4'), nbformat_minor: fc.jsonValue({ maxDepth: 0 }), metadata: fc.jsonValue({ maxDepth: 1 }), cells: fc.oneof(fc.array(cell, { maxLength: 3 }), fc.jsonValue({ maxDepth: 1 })) }, { requiredKeys: [] });
  fc.assert(fc.property(fc.oneof(nb, fc.jsonValue({ maxDepth: 3 })), parsesOrRefuses), fuzzParameters(0.5));
});

test('inputs fuzzing found: outputs that are not a list, or a list holding null, are ConfigErrors naming the cell', () => {
  for (const [outputs, path] of [['', 'cells.0.outputs'], [null, undefined], [[null], 'cells.0.outputs.0'], [[{ output_type: 'stream', text: 'a' }, 7], 'cells.0.outputs.1']] as const) {
    const json = { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: 'code', source: '', metadata: {}, outputs }] };
    if (path === undefined) {
      assert.deepEqual((parseNotebook(json).cells[0] as { outputs: unknown[] }).outputs, [], 'missing (null) outputs are an empty list, as before');
      continue;
    }
    assert.throws(() => parseNotebook(json, 'found.ipynb'), (e: unknown) => e instanceof ConfigError && e.path === path && e.message.startsWith('found.ipynb: '));
  }
});

test('inputs fuzzing found: a multi-line field whose list holds a non-string is a ConfigError naming the element', () => {
  const stream = (text: unknown) => ({ output_type: 'stream', name: 'stdout', text });
  const display = (text: unknown) => ({ output_type: 'display_data', data: { 'text/plain': text }, metadata: {} });
  const cases: [Record<string, unknown>, string][] = [
    [{ cell_type: 'markdown', source: ['# a\n', { toString: 0 }], metadata: {} }, 'cells.0.source.1'],
    [{ cell_type: 'code', source: [null], metadata: {}, outputs: [] }, 'cells.0.source.0'],
    [{ cell_type: 'code', source: '', metadata: {}, outputs: [stream(['a', 7])] }, 'cells.0.outputs.0.text.1'],
    [{ cell_type: 'code', source: '', metadata: {}, outputs: [stream('a'), display([{}])] }, 'cells.0.outputs.1.data.text/plain.0'],
  ];
  for (const [cell, path] of cases) {
    const json = { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [cell] };
    assert.throws(() => parseNotebook(json, 'found.ipynb'), (e: unknown) => e instanceof ConfigError && e.path === path && e.message.startsWith('found.ipynb: '), path);
  }
  const lines = { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: 'code', source: ['a\n', 'b'], metadata: {}, outputs: [stream(['x\n', 'y'])] }] };
  const read = parseNotebook(lines).cells[0] as { source: string; outputs: { text: string }[] };
  assert.deepEqual([read.source, read.outputs[0].text], ['a\nb', 'x\ny'], 'lists of strings are still joined');
});
