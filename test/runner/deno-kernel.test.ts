/**
 * Deno's kernel as the runner drives it: interrupts by message keep the kernel and its
 * variables, and the kernel never outlives the runner, even one killed by SIGKILL (the node
 * watchdog parent deno runs under kills its process group). Skipped outside CI without deno.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { denoEngine, type KernelSession } from '../../src/runner/engine';
import { resolveDenoBinary } from '../../src/runner/deno';
import { requireDeno } from '../helpers/skip';
import { processesMatching } from './helpers/processes';

const stdout = (outputs: { output_type: string; text?: string }[]) => outputs.map((o) => (o.output_type === 'stream' ? o.text : '')).join('');

describe('a Deno kernel session', () => {
  let session: KernelSession | undefined;
  before(async () => { if (denoInstalled()) session = await denoEngine().start({ cwd: __dirname }); });
  after(async () => { await session?.shutdown(); });

  test('interrupting a busy loop stops the cell and keeps the kernel and its variables', { timeout: 60_000 }, async (t) => {
    if (!requireDeno(t) || !session) return;
    await session.execute('let spins = 0; const answer = 42;');
    const running = session.execute('while (true) { spins++; }');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await session.interrupt();
    const run = await running;
    assert.equal(run.status, 'error');
    const afterwards = await session.execute('console.log(spins > 0, answer)');
    assert.equal(stdout(afterwards.outputs), 'true 42\n');
  });
});

test('SIGKILL of the runner, which no handler sees, still ends its Deno kernel through the watchdog parent', { timeout: 60_000 }, async (t) => {
  if (!requireDeno(t)) return;
  const runner = spawn(process.execPath, ['--import', 'tsx', path.resolve(__dirname, 'helpers/deno-session-child.ts')], { cwd: __dirname, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  runner.stderr.on('data', (c) => { err += c; });
  const connectionFile = await new Promise<string>((resolve, reject) => {
    runner.stdout.on('data', (c) => { out += c; const m = /kernel (\S+)/.exec(out); if (m) resolve(m[1]); });
    runner.on('exit', () => reject(new Error(`runner exited first: ${err}`)));
  });
  assert.ok(processesMatching(connectionFile).length >= 1, 'deno runs with the connection file');
  await new Promise((resolve) => setTimeout(resolve, 500)); // the cell is running
  runner.kill('SIGKILL');
  await new Promise((resolve) => runner.on('exit', resolve));
  const deadline = Date.now() + 5000;
  while (processesMatching(connectionFile).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(processesMatching(connectionFile), [], 'no deno process is left');
  assert.equal(existsSync(path.dirname(connectionFile)), false, 'the watchdog removes the connection file folder');
});

function denoInstalled(): boolean {
  try {
    resolveDenoBinary();
    return true;
  } catch {
    return false; // the tests say why, through requireDeno
  }
}
