import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { KernelSession, tslabEngine } from '../../src/runner/engine';
import { liveKernelPids } from '../../src/runner/kernel';
import { waitUntilGone } from './helpers/processes';

const stdout = (outputs: { output_type: string; name?: string; text?: string }[]) =>
  outputs.map((o) => (o.output_type === 'stream' && o.name === 'stdout' ? o.text : '')).join('');

describe('a tslab kernel session', () => {
  const cwd = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'melbook-engine-')));
  let session: KernelSession;
  /** A second kernel, interrupted by interrupt_request (which tslab ignores) with the SIGINT fallback. */
  let messaged: KernelSession;
  let pid: number;
  let startMs: number;
  before(async () => {
    const t0 = Date.now();
    session = await tslabEngine().start({ cwd });
    startMs = Date.now() - t0;
    [pid] = liveKernelPids();
    messaged = await tslabEngine({ interruptMode: 'message', interruptReplyMs: 500 }).start();
  });
  after(async () => { await Promise.all([session?.shutdown(), messaged?.shutdown()]); });

  test('starts in the given folder, answers and names itself', async (t) => {
    t.diagnostic(`kernel ready in ${startMs} ms`);
    assert.match(session.description, new RegExp(`^tslab kernel \\(pid ${pid}\\)$`));
    const run = await session.execute('const answer: number = 6 * 7;\nanswer');
    assert.deepEqual(run, { status: 'ok', executionCount: 1, outputs: [{ output_type: 'stream', name: 'stdout', text: '42\n' }], errorText: '' });
    assert.equal(stdout((await session.execute('console.log(process.cwd())')).outputs), `${cwd}\n`);
  });

  test('streams outputs live, in order, as they arrive', async () => {
    const seen: string[] = [];
    const run = await session.execute('process.stdout.write("a"); process.stderr.write("b"); console.log("c");', {
      onOutput: (o) => { if (o.output_type === 'stream') seen.push(`${o.name}:${o.text}`); },
    });
    assert.deepEqual(seen, ['stdout:a', 'stderr:b', 'stdout:c\n']);
    assert.deepEqual(run.outputs.map((o) => o.output_type === 'stream' && `${o.name}:${o.text}`), ['stdout:a', 'stderr:b', 'stdout:c\n']);
  });

  test('a display updated from a later cell is updated where it was first shown', async () => {
    const first = await session.execute("import * as tslab from 'tslab';\nconst shown = tslab.newDisplay();\nshown.text('one');\nshown.text('two');");
    assert.deepEqual(first.outputs.map((o) => o.output_type === 'display_data' && o.data['text/plain']), ['two']);
    const second = await session.execute("shown.text('three');");
    assert.deepEqual(second.outputs, []);
    assert.deepEqual(first.outputs.map((o) => o.output_type === 'display_data' && o.data['text/plain']), ['three']);
  });

  test('interrupting a busy loop stops the cell and keeps the kernel and its variables', async () => {
    await session.execute('let spins = 0;');
    const running = session.execute('while (true) { spins++; }');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await session.interrupt();
    const run = await running;
    assert.equal(run.status, 'error');
    assert.match(run.errorText, /interrupted by `SIGINT`/);
    await new Promise((resolve) => setTimeout(resolve, 300)); // tslab aborts requests within 200 ms of an error
    const after = await session.execute('console.log(spins > 0, answer)');
    assert.equal(stdout(after.outputs), 'true 42\n');
  });

  test('an interrupt_request the kernel does not answer falls back to SIGINT', async () => {
    const running = messaged.execute('await new Promise((resolve) => setTimeout(resolve, 60000));');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const t0 = Date.now();
    await messaged.interrupt();
    const run = await running;
    assert.ok(Date.now() - t0 >= 500, 'it waited for the interrupt_reply first');
    assert.equal(run.status, 'error');
    assert.match(run.errorText, /Interrupted asynchronously/);
  });

  test('a compile error fails the cell with the compiler message on stderr and empty ename', async () => {
    const run = await session.execute('const n: number = "text";');
    assert.equal(run.status, 'error');
    assert.match(run.errorText, /Type 'string' is not assignable to type 'number'/);
    await new Promise((resolve) => setTimeout(resolve, 300));
  });

  test('shutdown ends the kernel process', async () => {
    await session.shutdown();
    assert.deepEqual(await waitUntilGone([pid], 1000), []);
    await assert.rejects(session.execute('1'), /shut down/);
  });
});
