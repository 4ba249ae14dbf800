/** `node bin/melbook.js ...` as a child process for tests: its output lines as they come, and its exit code. */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export const MELBOOK_BIN = resolve(__dirname, '../../bin/melbook.js');

export interface MelbookProcess {
  child: ChildProcess;
  /** stdout and stderr lines, in arrival order. */
  out: string[];
  exited: Promise<number | null>;
}

/** Start `melbook ARGS` in `cwd` on the cpu backend (tiny test models train fastest there). */
export function melbook(args: string[], cwd: string, env: Record<string, string> = {}): MelbookProcess {
  const child = spawn(process.execPath, [MELBOOK_BIN, ...args], { cwd, env: { ...process.env, MELBOOK_BACKEND: 'cpu', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  const collect = (d: Buffer) => out.push(...d.toString().split('\n').filter(Boolean));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  return { child, out, exited: new Promise((r) => child.once('exit', (code) => r(code))) };
}

/** Poll `check` every 50 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
