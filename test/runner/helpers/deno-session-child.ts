/**
 * A runner in a child process for the Deno cleanup test: starts a Deno kernel session, starts
 * a 60 s cell, prints `kernel <connection file>` on stdout and waits to be killed.
 */
import { denoEngine } from '../../../src/runner/engine';
import { liveKernelPids } from '../../../src/runner/kernel';
import { commandLine } from './processes';

void (async () => {
  const session = await denoEngine().start({ cwd: process.cwd() });
  void session.execute('await new Promise((resolve) => setTimeout(resolve, 60000));');
  const [pid] = liveKernelPids();
  process.stdout.write(`kernel ${/--conn (\S+)/.exec(commandLine(pid))?.[1]}\n`);
})();
