import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, KernelError, NotebookExecutionError } from '../../src/errors';
import { ERROR_CELL_TAG, type CellRunMetadata, type CodeCell, type Notebook, type Output } from '../../src/nbformat';
import { ExecuteNotebookOptions, executeNotebook } from '../../src/runner/execute';
import type { ProgressEvent } from '../../src/progress';
import { liveKernelPids } from '../../src/runner/kernel';
import { readNotebook, writeNotebook } from '../../src/runner/notebook-io';
import { waitUntilGone } from './helpers/processes';

const fixture = (name: string) => path.resolve(__dirname, '../fixtures/notebooks', name);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'melbook-execute-'));
const codeCells = (nb: Notebook) => nb.cells.filter((c): c is CodeCell => c.cell_type === 'code');
const meta = (cell: CodeCell) => cell.metadata.melbook as CellRunMetadata;
const streamText = (outputs: Output[], name: 'stdout' | 'stderr') =>
  outputs.map((o) => (o.output_type === 'stream' && o.name === name ? o.text : '')).join('');

/** Runs a notebook, remembering the kernel's pid and the progress events. */
async function run(input: string, output: string, options: ExecuteNotebookOptions = {}) {
  const events: ProgressEvent[] = [];
  const kernelPids = new Set<number>();
  const outcome = await executeNotebook(input, output, {
    ...options,
    onProgress: (event) => {
      events.push(event);
      liveKernelPids().forEach((pid) => kernelPids.add(pid));
    },
  }).then((nb) => ({ nb, error: null }), (error: unknown) => ({ nb: null, error }));
  const saved = await readNotebook(output);
  const orphans = await waitUntilGone([...kernelPids], 1000);
  return { ...outcome, saved, events, kernelPids: [...kernelPids], orphans };
}

describe('executing a notebook with the tslab kernel', () => {
  test('every code cell runs in order with its counts, streams, display data and run metadata', async () => {
    const logged: Array<[string, string]> = [];
    const out = path.join(tmp, 'outputs.ipynb');
    const { nb, error, saved, events, kernelPids, orphans } = await run(fixture('outputs.ipynb'), out, {
      parameters: { greeting: 'hej', repeat: 3 },
      logOutput: (text, stream) => logged.push([stream, text]),
    });
    assert.equal(error, null);
    assert.deepEqual(saved, nb, 'the file on disk is the notebook returned');
    const cells = codeCells(saved);
    assert.deepEqual(cells.map((c) => c.execution_count), [1, 2, 3, 4, 5]);
    assert.deepEqual(cells[1].metadata.tags, ['injected-parameters']);
    assert.equal(streamText(cells[2].outputs, 'stdout'), 'hej hej hej\n');
    assert.equal(streamText(cells[2].outputs, 'stderr'), 'note on stderr\n');
    assert.deepEqual(cells[3].outputs, [
      { output_type: 'display_data', data: { 'text/html': '<b>bold</b>' }, metadata: {} },
      { output_type: 'display_data', data: { 'image/png': Buffer.from([137, 80, 78, 71]).toString('base64') }, metadata: {} },
    ]);
    assert.equal(streamText(cells[4].outputs, 'stdout'), '63\n', 'tslab prints the last expression');
    for (const cell of cells) {
      const m = meta(cell);
      assert.equal(m.status, 'completed');
      assert.equal(m.exception, false);
      assert.ok(m.duration !== null && m.duration >= 0 && Date.parse(m.start!) <= Date.parse(m.end!));
    }
    const text = saved.cells.filter((c) => c.cell_type !== 'code');
    assert.deepEqual(text.map((c) => c.cell_type), ['markdown', 'raw']);
    assert.ok(text.every((c) => c.metadata.melbook === undefined), 'markdown and raw cells are not run');
    assert.deepEqual((saved.metadata.melbook as { parameters: unknown }).parameters, { greeting: 'hej', repeat: 3 });
    assert.deepEqual(logged.filter(([s]) => s === 'stdout').map(([, t]) => t).join(''), 'hej hej hej\n63\n');
    assert.deepEqual(logged.filter(([s]) => s === 'stderr').map(([, t]) => t), ['note on stderr\n']);
    assert.deepEqual(events.filter((e) => e.phase === 'cell-start').map((e) => `${e.cell}/${e.cells}`), ['1/5', '2/5', '3/5', '4/5', '5/5']);
    assert.deepEqual(events.filter((e) => e.phase === 'cell-start').map((e) => e.summary), [
      'let greeting = "hello";', 'greeting = "hej";', 'console.log(`${greeting} `.repeat(repeat).trim());', "import * as tslab from 'tslab';", 'repeat * 21',
    ], 'each cell named by its first line of code');
    assert.equal(events.at(-1)?.phase, 'end');
    assert.equal(events.at(-1)?.status, 'completed');
    assert.equal(kernelPids.length, 1);
    assert.deepEqual(orphans, [], 'the kernel is gone after success');
    assert.deepEqual(readdirSync(tmp).filter((f) => f.endsWith('.tmp')), [], 'no temporary files left by the atomic saves');

    const again = path.join(tmp, 'outputs-again.ipynb');
    const second = await run(out, again, { parameters: { repeat: 1 } });
    assert.equal(second.error, null);
    const injected = second.saved.cells.filter((c) => c.metadata.tags?.includes('injected-parameters'));
    assert.equal(injected.length, 1, 'the injected cell of the first run is replaced');
    assert.equal(streamText(codeCells(second.saved)[2].outputs, 'stdout'), 'hello\n', 'defaults apply again, then repeat = 1');
  });

  test('a failing cell stops the run, is saved with its stderr and an error banner, and later cells stay pending', async () => {
    const out = path.join(tmp, 'failing.ipynb');
    const { error, saved, orphans } = await run(fixture('failing.ipynb'), out);
    assert.ok(error instanceof NotebookExecutionError, String(error));
    assert.equal(error.cellIndex, 1);
    assert.match(error.source, /throw new Error\('deliberate failure '/);
    assert.match(error.output, /Error: deliberate failure 42/);
    assert.doesNotMatch(error.output, /node_modules\/tslab/, 'kernel-internal stack frames are dropped');
    assert.match(error.message, /failing\.ipynb: cell 1 failed/);

    const [banner, first, anchor, failed, later] = saved.cells;
    assert.deepEqual(banner.metadata.tags, [ERROR_CELL_TAG]);
    assert.match(banner.source, /color:red.*href="#melbook-error-cell">In \[2\]<\/a>.*Error: deliberate failure 42/);
    assert.match(anchor.source, /id="melbook-error-cell"/);
    assert.equal(meta(first as CodeCell).status, 'completed');
    const failedCell = failed as CodeCell;
    assert.equal(meta(failedCell).status, 'failed');
    assert.equal(meta(failedCell).exception, true);
    assert.equal(failedCell.execution_count, 2);
    assert.equal(streamText(failedCell.outputs, 'stdout'), 'about to fail\n');
    assert.match(streamText(failedCell.outputs, 'stderr'), /Error: deliberate failure 42/);
    assert.equal(meta(later as CodeCell).status, 'pending');
    assert.equal((later as CodeCell).execution_count, null);
    assert.equal((saved.metadata.melbook as { exception: boolean }).exception, true);
    assert.deepEqual(orphans, [], 'the kernel is gone after a failure');

    const rerun = await run(out, path.join(tmp, 'failing-again.ipynb'));
    assert.equal(rerun.saved.cells.filter((c) => c.metadata.tags?.includes(ERROR_CELL_TAG)).length, 2, 'old banners are replaced, not stacked');
  });

  test('a cell that outlives perCellTimeoutMs is interrupted, the kernel shut down and a timeout reported', async () => {
    const started = Date.now();
    const { error, saved, orphans } = await run(fixture('slow.ipynb'), path.join(tmp, 'slow.ipynb'), { perCellTimeoutMs: 1500 });
    assert.ok(error instanceof NotebookExecutionError, String(error));
    assert.equal(error.cellIndex, 1);
    assert.match(error.output, /did not finish within 1500 ms/);
    assert.match(error.output, /Interrupted asynchronously/, 'the interrupt reached the kernel');
    assert.ok(Date.now() - started < 30_000);
    const slow = codeCells(saved)[1];
    assert.equal(meta(slow).status, 'failed');
    assert.ok(meta(slow).duration! >= 1.5 && meta(slow).duration! < 10, `duration ${meta(slow).duration}`);
    assert.ok(slow.outputs.some((o) => o.output_type === 'error' && o.ename === 'CellTimeoutError'));
    assert.equal(meta(codeCells(saved)[2]).status, 'pending');
    assert.deepEqual(orphans, []);
  });

  test('a notebook written for another language is refused before a kernel starts', async () => {
    const python = path.join(tmp, 'python.ipynb');
    await writeNotebook(python, {
      nbformat: 4, nbformat_minor: 5, cells: [],
      metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    });
    await assert.rejects(executeNotebook(python, path.join(tmp, 'python-out.ipynb')), (e: unknown) =>
      e instanceof ConfigError && /python\.ipynb: metadata\.kernelspec\.language: got "python"/.test(e.message));
    assert.deepEqual(liveKernelPids(), []);
  });

  test('a kernel that dies in a cell is reported as a dead kernel, not a hang', async () => {
    const { error, saved, orphans } = await run(fixture('dies.ipynb'), path.join(tmp, 'dies.ipynb'));
    assert.ok(error instanceof KernelError, String(error));
    assert.match(error.message, /^kernel died \(tslab kernel \(pid \d+\), exit code 1\) while executing "process\.exit\(1\);".*dies\.ipynb, cell 1\)$/s);
    const [alive, died, never] = codeCells(saved);
    assert.equal(streamText(alive.outputs, 'stdout'), 'alive\n');
    assert.equal(meta(died).status, 'failed');
    assert.ok(died.outputs.some((o) => o.output_type === 'error' && o.ename === 'KernelError'));
    assert.equal(meta(never).status, 'pending');
    assert.deepEqual(saved.cells[0].metadata.tags, [ERROR_CELL_TAG]);
    assert.deepEqual(orphans, []);
  });
});
