/**
 * Installing the TypeScript (and optionally JavaScript) kernel spec for the user's Jupyter,
 * pointing at this project's own tslab: no global `npm install -g tslab` needed. Writes what
 * `tslab install` writes, except that argv starts with the absolute node and tslab paths.
 * With `deno`, installs Deno's kernel instead (`melbook-deno`), pointing at this project's
 * deno binary (the optional `deno` dependency).
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DENO_KERNEL_NAME, denoKernelArgv, resolveDenoBinary } from './deno';
import { resolveTslabDir, tslabKernelArgv } from './kernel';

export interface KernelSpecInstallOptions {
  /** Install under `<prefix>/share/jupyter/kernels/` (a virtualenv, conda env...). Default: per-user data dir. */
  prefix?: string;
  /** Also install `jslab`, tslab's JavaScript kernel. Default: false. */
  js?: boolean;
  /** Install only Deno's kernel (`melbook-deno`) instead of tslab's. Default: false. */
  deno?: boolean;
  /** deno executable put first in the Deno spec's argv. Default: resolveDenoBinary(). */
  denoBinary?: string;
  /** tslab package directory. Default: the one this package depends on. */
  tslabDir?: string;
  /** Node executable put first in argv. Default: `process.execPath` (the node running this). */
  node?: string;
  /** Environment read for JUPYTER_DATA_DIR, XDG_DATA_HOME, APPDATA. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** The kernel.json fields melbook writes (a subset of Jupyter's kernel spec). */
export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  /** tslab interrupts on SIGINT (said explicitly: it is Jupyter's default); Deno on interrupt_request. */
  interrupt_mode: 'signal' | 'message';
  /** Extra environment of the kernel (Deno: NO_COLOR, so echoed values are plain text as in tslab). */
  env?: Record<string, string>;
}

export interface InstalledKernelSpec {
  /** `tslab`, `jslab` or `melbook-deno`. */
  name: string;
  /** The kernel spec folder. */
  dir: string;
  /** Path of the kernel.json written. */
  file: string;
  spec: KernelSpec;
}

/** Jupyter's per-user data dir, as jupyter_core computes it. */
export function jupyterDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.JUPYTER_DATA_DIR) return path.resolve(env.JUPYTER_DATA_DIR);
  const home = os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Jupyter');
  if (platform === 'win32') return path.join(env.APPDATA || path.join(home, 'AppData', 'Roaming'), 'jupyter');
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'jupyter');
}

/** The kernel.json content for tslab (`js` false) or jslab (`js` true). */
export function tslabKernelSpec(js: boolean, tslabDir = resolveTslabDir(), node = process.execPath): KernelSpec {
  return {
    argv: [node, ...tslabKernelArgv(path.resolve(tslabDir), js)],
    display_name: js ? 'JavaScript' : 'TypeScript',
    language: js ? 'javascript' : 'typescript',
    interrupt_mode: 'signal',
  };
}

/** The kernel.json content for Deno's kernel run by `deno` (the working directory is Jupyter's: the notebook's folder, as for tslab). */
export function denoKernelSpec(deno = resolveDenoBinary()): KernelSpec {
  return {
    argv: denoKernelArgv(path.resolve(deno)),
    display_name: 'TypeScript (Deno)',
    language: 'typescript',
    interrupt_mode: 'message',
    env: { NO_COLOR: '1' },
  };
}

/**
 * Writes `<kernels dir>/tslab/kernel.json` (and `jslab` with `js`), or with `deno` only
 * `<kernels dir>/melbook-deno/kernel.json`, replacing any already there.
 */
export async function installKernelSpec(options: KernelSpecInstallOptions = {}): Promise<InstalledKernelSpec[]> {
  const root = options.prefix
    ? path.join(path.resolve(options.prefix), 'share', 'jupyter', 'kernels')
    : path.join(jupyterDataDir(options.env ?? process.env), 'kernels');
  const specs: [string, KernelSpec][] = [];
  if (options.deno) {
    specs.push([DENO_KERNEL_NAME, denoKernelSpec(options.denoBinary ?? resolveDenoBinary())]);
  } else {
    const tslabDir = options.tslabDir ?? resolveTslabDir();
    for (const js of options.js ? [false, true] : [false]) specs.push([js ? 'jslab' : 'tslab', tslabKernelSpec(js, tslabDir, options.node ?? process.execPath)]);
  }
  const installed: InstalledKernelSpec[] = [];
  for (const [name, spec] of specs) {
    const dir = path.join(root, name);
    const file = path.join(dir, 'kernel.json');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(file, `${JSON.stringify(spec, null, 1)}\n`);
    installed.push({ name, dir, file, spec });
  }
  return installed;
}
