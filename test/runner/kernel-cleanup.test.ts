import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { commandLine, processesMatching, waitUntilGone } from './helpers/processes';

const child = path.resolve(__dirname, 'helpers/run-notebook-child.ts');
const slow = path.resolve(__dirname, '../fixtures/notebooks/slow.ipynb');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'melbook-cleanup-'));

/**
 * Starts a runner child on the slow notebook, waits until its kernel is busy in the 60 s cell,
 * then ends the runner with `how` and reports what survived it.
 */
async function endRunnerMidCell(how: NodeJS.Signals | 'uncaught exception') {
  const args = ['--import', 'tsx', child, slow, path.join(tmp, `${how}.ipynb`), how === 'uncaught exception' ? 'throw' : ''];
  const runner = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  runner.stderr.on('data', (chunk) => { stderr += chunk; });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    runner.on('exit', (code, signal) => resolve({ code, signal })));
  const pid = await new Promise<number>((resolve, reject) => {
    runner.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = /kernel (\d+)/.exec(stdout);
      if (match) resolve(Number(match[1]));
    });
    void exited.then(() => reject(new Error(`runner exited before its kernel started: ${stderr}`)));
  });
  const connectionFile = /--config-path (\S+)/.exec(commandLine(pid))?.[1];
  assert.ok(connectionFile, `kernel ${pid} runs with a connection file: ${commandLine(pid)}`);
  if (how !== 'uncaught exception') runner.kill(how);
  const exit = await exited;
  const survivors = await waitUntilGone([pid], 3000);
  return { exit, survivors, connectionFile, stderr, others: processesMatching(connectionFile) };
}

describe('kernel processes never outlive the runner', { concurrency: true }, () => {
  test('SIGINT to the runner kills its kernel and the runner still dies of SIGINT', async () => {
    const { exit, survivors, connectionFile, others } = await endRunnerMidCell('SIGINT');
    assert.equal(exit.signal, 'SIGINT');
    assert.deepEqual(survivors, []);
    assert.deepEqual(others, []);
    assert.equal(existsSync(path.dirname(connectionFile)), false, 'the connection file folder is removed');
  });

  test('an uncaught exception in the runner kills its kernel', async () => {
    const { exit, survivors, others, stderr } = await endRunnerMidCell('uncaught exception');
    assert.equal(exit.code, 1);
    assert.match(stderr, /uncaught in the runner/);
    assert.deepEqual(survivors, []);
    assert.deepEqual(others, []);
  });

  test('SIGKILL of the runner, which no handler sees, still ends its kernel through the watchdog', async () => {
    const { exit, survivors, connectionFile, others } = await endRunnerMidCell('SIGKILL');
    assert.equal(exit.signal, 'SIGKILL');
    assert.deepEqual(survivors, []);
    assert.deepEqual(others, []);
    assert.equal(existsSync(path.dirname(connectionFile)), false, 'the watchdog removes the connection file folder');
  });
});
