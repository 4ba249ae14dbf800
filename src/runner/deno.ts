/**
 * Deno's built-in Jupyter kernel (`deno jupyter --kernel --conn CONNECTION_FILE`) as a second
 * kernel beside tslab. Deno comes from npm as melbook's optional dependency `deno`, whose
 * platform package (`@deno/linux-x64-glibc`, ...) holds the binary: nothing is downloaded, and
 * where npm skipped it the binary is simply missing (DenoMissingError says how to get it).
 *
 * Deno is not node, so the stdin watchdog tslab's kernel preloads cannot go into it; instead
 * a small node parent (DENO_WATCHDOG_SOURCE) runs deno as its child in the same process
 * group and kills the group when the runner's pipe closes.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { MelbookError } from '../errors';

/** Kernel name of the Deno kernel melbook registers (Deno's own `deno jupyter --install` uses `deno`). */
export const DENO_KERNEL_NAME = 'melbook-deno';

/** Deno is not installed where melbook looked for it. */
export class DenoMissingError extends MelbookError {}

/**
 * The deno executable: `MELBOOK_DENO` when set, else the binary of the optional `deno`
 * dependency (its platform package, or the copy its install script puts beside `bin.cjs`).
 * Throws DenoMissingError naming where it looked and how to install it.
 */
export function resolveDenoBinary(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MELBOOK_DENO) {
    if (existsSync(env.MELBOOK_DENO)) return path.resolve(env.MELBOOK_DENO);
    throw new DenoMissingError(`MELBOOK_DENO=${env.MELBOOK_DENO}: no such file; point it at a deno executable or unset it`);
  }
  const exe = process.platform === 'win32' ? 'deno.exe' : 'deno';
  const candidates: string[] = [];
  const platformPackage = `@deno/${process.platform}-${process.arch}${process.platform === 'linux' ? '-glibc' : ''}`;
  for (const pkg of [platformPackage, 'deno']) {
    try {
      candidates.push(path.join(path.dirname(require.resolve(`${pkg}/package.json`)), exe));
    } catch { /* not installed: try the next */ }
  }
  const found = candidates.find((c) => existsSync(c));
  if (found) return found;
  throw new DenoMissingError(
    `the deno binary is not installed (looked in ${candidates.length ? candidates.join(', ') : `${platformPackage} and deno`}); ` +
    'install the optional dependency (npm install deno) or set MELBOOK_DENO to a deno executable',
  );
}

/** The argv of Deno's kernel, with `{connection_file}` left as a placeholder for Jupyter. */
export function denoKernelArgv(deno: string, connectionFile = '{connection_file}'): string[] {
  return [deno, 'jupyter', '--kernel', '--conn', connectionFile];
}

/**
 * The node parent deno runs under: argv after the script is deno's. SIGINT is left to deno
 * (a group signal reaches both); the parent exits as deno exits, and when the runner's stdin
 * pipe closes (runner gone, even by SIGKILL) it removes its folder and kills its process group.
 */
export const DENO_WATCHDOG_SOURCE = `'use strict';
const { spawn } = require('child_process');
const [bin, ...args] = process.argv.slice(2);
const child = spawn(bin, args, { stdio: ['ignore', 'inherit', 'inherit'] });
const orphaned = () => {
  try { require('fs').rmSync(__dirname, { recursive: true, force: true }); } catch {}
  try { process.kill(-process.pid, 'SIGKILL'); } catch { child.kill('SIGKILL'); process.exit(129); }
};
process.on('SIGINT', () => undefined);
process.stdin.on('end', orphaned);
process.stdin.on('error', orphaned);
process.stdin.resume();
child.on('error', (e) => { console.error('melbook: cannot start deno: ' + e.message); process.exit(127); });
child.on('exit', (code, signal) => process.exit(code === null ? 128 + (require('os').constants.signals[signal] || 0) : code));
`;
