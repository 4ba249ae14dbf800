/**
 * Starting a tslab (or Deno, see deno.ts) kernel process and making sure it never outlives the runner.
 *
 * The kernel is launched the way tslab's kernel spec launches it
 * (`tslab kernel --config-path CONNECTION_FILE [--js]`), with this package's own
 * `node_modules/tslab`, a fresh connection file (free ports on 127.0.0.1, random HMAC key)
 * and the notebook's folder as working directory.
 *
 * Lifetime, belt and braces:
 * - each kernel leads its own process group, and every kill is a group kill (user code may
 *   have started processes of its own);
 * - while a kernel is alive, handlers on `exit`, SIGINT, SIGTERM, SIGHUP and uncaught
 *   exceptions kill every live kernel group (installed with the first kernel, removed with
 *   the last: nothing is registered at import time);
 * - a watchdog preloaded into the kernel exits it when its stdin pipe from the runner closes,
 *   which covers the one exit no handler sees (SIGKILL of the runner).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { KernelError } from '../errors';
import { DENO_KERNEL_NAME, DENO_WATCHDOG_SOURCE, denoKernelArgv, resolveDenoBinary } from './deno';
import { ConnectionInfo } from './jupyter-client';

export interface KernelLaunchOptions {
  /** Working directory of the kernel: the notebook's folder. Default: `process.cwd()`. */
  cwd?: string;
  /** Start tslab's JavaScript kernel (`--js`, "jslab") instead of TypeScript. Default: false. */
  js?: boolean;
  /** Directory of the tslab package to run. Default: the one this package resolves. */
  tslabDir?: string;
  /** Which kernel: tslab (default) or Deno's (`deno jupyter --kernel`, under a node watchdog parent). */
  kernel?: 'tslab' | 'deno';
  /** The deno executable for `kernel: 'deno'`. Default: resolveDenoBinary(). */
  denoBinary?: string;
  /** Environment of the kernel. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Characters of kernel stdout/stderr kept for error messages. Default: 4000. */
  logTailChars?: number;
}

export interface KernelExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface KernelProcess {
  readonly pid: number;
  readonly connection: ConnectionInfo;
  /** Folder holding the connection file and the watchdog; removed when the kernel is gone. */
  readonly runtimeDir: string;
  /** Settles when the kernel process has exited, whatever the reason. */
  readonly exited: Promise<KernelExit>;
  /** The exit, once it happened. */
  exitStatus(): KernelExit | null;
  /** The last `logTailChars` characters the kernel wrote to its own stdout/stderr. */
  logTail(): string;
  /** Sends a signal to the kernel's whole process group (SIGINT interrupts tslab). */
  signal(signal: NodeJS.Signals): void;
  /** SIGKILLs the process group, waits for the exit and removes the runtime folder. Idempotent. */
  kill(): Promise<KernelExit>;
}

/** Exits the kernel when the runner's end of its stdin pipe closes (runner gone, even by SIGKILL). */
const WATCHDOG_SOURCE = `'use strict';
// melbook: exit this kernel when the runner that started it goes away, removing the
// runner's temporary folder (connection file and this script) that nobody else will.
// Worker threads inherit --require: only the kernel's main thread watches stdin.
if (require('worker_threads').isMainThread) {
  const orphaned = () => {
    try { require('fs').rmSync(__dirname, { recursive: true, force: true }); } catch {}
    process.exit(129);
  };
  process.stdin.on('end', orphaned);
  process.stdin.on('error', orphaned);
  process.stdin.resume();
  process.stdin.unref();
}
`;

/** Resolves the tslab package directory this package depends on. */
export function resolveTslabDir(): string {
  return path.dirname(require.resolve('tslab/package.json'));
}

/** The argv tslab registers in kernel.json, with `{connection_file}` left as a placeholder. */
export function tslabKernelArgv(tslabDir: string, js: boolean, connectionFile = '{connection_file}'): string[] {
  return [path.join(tslabDir, 'bin', 'tslab'), 'kernel', '--config-path', connectionFile, ...(js ? ['--js'] : [])];
}

/** Asks the OS for `count` distinct free TCP ports on 127.0.0.1 (all held open at once). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<net.Server>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/**
 * Resolves once every port on `host` accepts a TCP connection, plus `settleMs`; rejects after
 * `timeoutMs`. tslab binds its five sockets concurrently and crashes (an unhandled EBUSY from
 * zeromq) when a shell request arrives while iopub is still binding, so a client waits for all
 * of them before its first request. `alive` is polled between rounds: return false to stop early.
 */
export async function waitForListening(host: string, ports: readonly number[], options: { timeoutMs: number; settleMs?: number; alive?: () => boolean }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const accepts = (port: number) => new Promise<boolean>((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => { socket.destroy(); resolve(ok); };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.setTimeout(500, () => done(false));
  });
  while (Date.now() < deadline && (options.alive?.() ?? true)) {
    if ((await Promise.all(ports.map(accepts))).every(Boolean)) {
      await new Promise((resolve) => setTimeout(resolve, options.settleMs ?? 100));
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`ports ${ports.join(', ')} on ${host} were not all listening within ${options.timeoutMs} ms`);
}

export async function newConnectionInfo(kernelName = 'tslab'): Promise<ConnectionInfo> {
  const [shell, iopub, stdin, control, hb] = await freePorts(5);
  return {
    transport: 'tcp',
    ip: '127.0.0.1',
    shell_port: shell,
    iopub_port: iopub,
    stdin_port: stdin,
    control_port: control,
    hb_port: hb,
    key: randomBytes(32).toString('hex'),
    signature_scheme: 'hmac-sha256',
    kernel_name: kernelName,
  };
}

/** The node arguments that start the kernel with its watchdog: tslab with it preloaded, deno under it. */
function kernelCommand(options: KernelLaunchOptions, files: { connectionFile: string; watchdog: string; denoWatchdog: string }): { args: string[]; what: string } {
  if (options.kernel === 'deno') {
    const deno = options.denoBinary ?? resolveDenoBinary();
    return { args: [files.denoWatchdog, ...denoKernelArgv(deno, files.connectionFile)], what: `the Deno kernel (${deno})` };
  }
  const tslabDir = options.tslabDir ?? resolveTslabDir();
  return { args: ['--require', files.watchdog, ...tslabKernelArgv(tslabDir, options.js ?? false, files.connectionFile)], what: `the tslab kernel (${process.execPath} ${tslabDir})` };
}

/** Spawns a tslab (or Deno) kernel. Resolves once the process is running, not once it answers. */
export async function startKernelProcess(options: KernelLaunchOptions = {}): Promise<KernelProcess> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const tailChars = options.logTailChars ?? 4000;
  const stat = await fs.stat(cwd).catch(() => null);
  if (!stat?.isDirectory()) throw new KernelError(`kernel working directory ${cwd} does not exist; pass an existing folder as cwd`);

  const connection = await newConnectionInfo(options.kernel === 'deno' ? DENO_KERNEL_NAME : options.js ? 'jslab' : 'tslab');
  const files = await writeRuntimeFiles(connection);
  const { runtimeDir } = files;
  let command: { args: string[]; what: string };
  try {
    command = kernelCommand(options, files);
  } catch (error) {
    rmSync(runtimeDir, { recursive: true, force: true });
    throw error;
  }

  const env = options.env ?? process.env;
  const child = spawn(process.execPath, command.args, {
    cwd,
    // Deno colours the values it echoes; a notebook keeps plain text, as tslab writes it.
    env: options.kernel === 'deno' ? { ...env, NO_COLOR: '1' } : env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true, // own process group, so a group kill reaches what the kernel started
  });
  const logTail = keepTail(child, tailChars);
  child.stdin!.on('error', () => undefined); // EPIPE once the kernel is gone

  let exit: KernelExit | null = null;
  let registered: KernelProcess | null = null;
  const exited = new Promise<KernelExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      killGroup(child, 'SIGKILL'); // leftovers of the group, if any
      if (registered) unregister(registered);
      rmSync(runtimeDir, { recursive: true, force: true });
      resolve(exit);
    });
  });
  await spawned(child, runtimeDir, command.what);

  const kernel: KernelProcess = {
    pid: child.pid!,
    connection,
    runtimeDir,
    exited,
    exitStatus: () => exit,
    logTail,
    signal: (signal) => { if (!exit) killGroup(child, signal); },
    kill: async () => {
      if (!exit) killGroup(child, 'SIGKILL');
      return exited;
    },
  };
  registered = kernel;
  register(kernel, child);
  return kernel;
}

/** A private folder with the kernel's connection file (mode 600) and the watchdog script. */
async function writeRuntimeFiles(connection: ConnectionInfo): Promise<{ runtimeDir: string; connectionFile: string; watchdog: string; denoWatchdog: string }> {
  const runtimeDir = mkdtempSync(path.join(os.tmpdir(), 'melbook-kernel-'));
  const connectionFile = path.join(runtimeDir, 'connection.json');
  const watchdog = path.join(runtimeDir, 'watchdog.js');
  const denoWatchdog = path.join(runtimeDir, 'deno-watchdog.js');
  await fs.writeFile(connectionFile, JSON.stringify(connection, null, 1), { mode: 0o600 });
  await fs.writeFile(watchdog, WATCHDOG_SOURCE);
  await fs.writeFile(denoWatchdog, DENO_WATCHDOG_SOURCE);
  return { runtimeDir, connectionFile, watchdog, denoWatchdog };
}

/** Keeps the last `chars` characters of the child's stdout and stderr; returns a reader of them. */
function keepTail(child: ChildProcess, chars: number): () => string {
  let tail = '';
  const keep = (chunk: Buffer) => { tail = (tail + chunk.toString('utf8')).slice(-chars); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return () => tail;
}

/** Resolves once the child runs; on a spawn error removes `runtimeDir` and rejects with KernelError. */
function spawned(child: ChildProcess, runtimeDir: string, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error) => {
      rmSync(runtimeDir, { recursive: true, force: true });
      reject(new KernelError(`could not start ${what}: ${error.message}`, { cause: error }));
    });
  });
}

/** Pids of the kernels this process started that are still running (for diagnostics and tests). */
export function liveKernelPids(): number[] {
  return [...live.keys()].map((k) => k.pid);
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    try { child.kill(signal); } catch { /* already gone */ }
  }
}

// ---- registry of live kernels and the process handlers that clean them up ----

const live = new Map<KernelProcess, ChildProcess>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function killAll(): void {
  for (const [kernel, child] of live) {
    killGroup(child, 'SIGKILL');
    rmSync(kernel.runtimeDir, { recursive: true, force: true });
  }
}

function onSignal(signal: NodeJS.Signals): void {
  killAll();
  // Nobody else listens: behave as if we had not either, i.e. die of the signal.
  if (process.listenerCount(signal) === 1) {
    uninstall();
    process.kill(process.pid, signal);
  }
}

const signalHandlers = new Map<NodeJS.Signals, () => void>(SIGNALS.map((s) => [s, () => onSignal(s)]));

function install(): void {
  process.on('exit', killAll);
  process.on('uncaughtExceptionMonitor', killAll);
  for (const [signal, handler] of signalHandlers) process.on(signal, handler);
}

function uninstall(): void {
  process.off('exit', killAll);
  process.off('uncaughtExceptionMonitor', killAll);
  for (const [signal, handler] of signalHandlers) process.off(signal, handler);
}

function register(kernel: KernelProcess, child: ChildProcess): void {
  if (kernel.exitStatus()) return;
  if (live.size === 0) install();
  live.set(kernel, child);
}

function unregister(kernel: KernelProcess): void {
  if (!live.delete(kernel)) return;
  if (live.size === 0) uninstall();
}
