import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, promises as fs, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { ConfigError, NotebookFormatError } from '../../src/errors';
import type { Notebook } from '../../src/nbformat';
import { formatNotebook, parseNotebook, readNotebook, splitLines, writeNotebook } from '../../src/runner/notebook-io';
import { requireOrSkip } from '../helpers/skip';

const fixtures = path.resolve(__dirname, '../fixtures/notebooks');

function hasNbformat(): boolean {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import nbformat'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const sample: Notebook = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' } },
  cells: [
    { cell_type: 'markdown', id: 'm1', source: '# Title\nline two', metadata: {} },
    {
      cell_type: 'code', id: 'c1', source: 'console.log(1)\nconsole.error(2)', metadata: { tags: ['x'] }, execution_count: 3,
      outputs: [
        { output_type: 'stream', name: 'stdout', text: 'a\nb\n' },
        { output_type: 'display_data', data: { 'text/html': '<b>x</b>\n<i>y</i>', 'image/png': 'iVBORw==', 'application/json': { k: [1, 2] } }, metadata: {} },
        { output_type: 'execute_result', execution_count: 3, data: { 'text/plain': '42' }, metadata: {} },
        { output_type: 'error', ename: 'Error', evalue: 'boom', traceback: ['line 1', 'line 2'] },
      ],
    },
  ],
};

test('a notebook survives a write and a read unchanged', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'melbook-nbio-'));
  const file = path.join(dir, 'nb.ipynb');
  await writeNotebook(file, sample);
  assert.deepEqual(await readNotebook(file), sample);
  assert.deepEqual(readdirSync(dir), ['nb.ipynb'], 'the temporary file of the atomic save is gone');
});

test('the writer splits multi-line strings, sorts keys, indents by one space and ends with a newline', () => {
  const text = formatNotebook(sample);
  assert.ok(text.endsWith('}\n'));
  const json = JSON.parse(text);
  assert.deepEqual(Object.keys(json), ['cells', 'metadata', 'nbformat', 'nbformat_minor']);
  assert.deepEqual(json.cells[1].source, ['console.log(1)\n', 'console.error(2)']);
  assert.deepEqual(json.cells[1].outputs[0].text, ['a\n', 'b\n']);
  assert.deepEqual(json.cells[1].outputs[1].data['text/html'], ['<b>x</b>\n', '<i>y</i>']);
  assert.equal(json.cells[1].outputs[1].data['image/png'], 'iVBORw==', 'base64 images stay one string');
  assert.deepEqual(json.cells[1].outputs[1].data['application/json'], { k: [1, 2] }, 'JSON data is not split');
  assert.match(text, /^\{\n "cells": \[\n  \{\n   "cell_type"/);
});

test('lines are split where Python str.splitlines splits them, keeping the ends', () => {
  assert.deepEqual(splitLines('a\r\nb\rc\u2028d\n'), ['a\r\n', 'b\r', 'c\u2028', 'd\n']);
  assert.deepEqual(splitLines(''), []);
  assert.deepEqual(splitLines('no newline'), ['no newline']);
});

test('fixture notebooks are written byte for byte as Python nbformat writes them', async (t) => {
  if (!requireOrSkip(t, hasNbformat(), '/usr/bin/python3 cannot import nbformat (apt-get install python3-nbformat)')) return;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'melbook-nbio-'));
  for (const name of readdirSync(fixtures).filter((f) => f.endsWith('.ipynb'))) {
    const ours = path.join(dir, `ours-${name}`);
    const theirs = path.join(dir, `theirs-${name}`);
    await writeNotebook(ours, await readNotebook(path.join(fixtures, name)));
    execFileSync('/usr/bin/python3', ['-c',
      'import nbformat, sys; nb = nbformat.read(sys.argv[1], as_version=4); nbformat.validate(nb); nbformat.write(nb, sys.argv[2])',
      ours, theirs]);
    assert.equal(await fs.readFile(ours, 'utf8'), await fs.readFile(theirs, 'utf8'), name);
  }
});

test('a file that is not an nbformat 4 notebook is refused with the reason', () => {
  assert.throws(() => parseNotebook({ nbformat: 3, worksheets: [] }, 'old.ipynb'), (e: unknown) =>
    e instanceof ConfigError && /old\.ipynb: nbformat: got 3; melbook runs nbformat 4/.test(e.message));
  assert.throws(() => parseNotebook({ nbformat: 4, cells: [{ cell_type: 'heading' }] }, 'x.ipynb'), (e: unknown) =>
    e instanceof ConfigError && /cells\.0\.cell_type: got "heading"/.test(e.message));
});

test('an execution count that is not an integer >= 0 or null is refused, naming the notebook and the cell', () => {
  const code = (count: unknown, outputs: unknown[] = []) => ({ nbformat: 4, cells: [{ cell_type: 'markdown', source: '' }, { cell_type: 'code', source: '', execution_count: count, outputs }] });
  for (const bad of ['<img src=x onerror=alert(1)>', '3', 1.5, -1, true, { n: 1 }]) {
    assert.throws(() => parseNotebook(code(bad), 'stage.ipynb'), (e: unknown) =>
      e instanceof NotebookFormatError && e instanceof ConfigError && e.notebook === 'stage.ipynb' && e.cellIndex === 1 &&
      e.message.startsWith(`stage.ipynb: cells.1.execution_count: got ${JSON.stringify(bad)}; an integer >= 0 or null`), JSON.stringify(bad));
  }
  const result = (count: unknown) => [{ output_type: 'execute_result', execution_count: count, data: {}, metadata: {} }];
  assert.throws(() => parseNotebook(code(2, result('<b>')), 'stage.ipynb'), (e: unknown) =>
    e instanceof NotebookFormatError && e.cellIndex === 1 && /stage\.ipynb: cells\.1\.outputs\.0\.execution_count: got "<b>"/.test(e.message));
  for (const ok of [0, 7, null, undefined]) {
    const nb = parseNotebook(code(ok, result(ok ?? null)));
    assert.equal((nb.cells[1] as { execution_count: unknown }).execution_count, ok ?? null);
  }
});
