/**
 * Chooses the tfjs backend at run time, best first:
 *
 * 1. `tensorflow` — `@tensorflow/tfjs-node` (native libtensorflow). An optional dependency:
 *    loaded with `require` inside a try, so its absence is a fallback, not an error.
 * 2. `wasm` — `@tensorflow/tfjs-backend-wasm` (XNNPACK). In Node the **non-threaded SIMD** build
 *    (`tfjs-backend-wasm-simd.wasm`) is used: the threaded build creates its pthread workers from
 *    a blob URL, which Node 20's `worker_threads` cannot load, so we pin
 *    `WASM_HAS_MULTITHREAD_SUPPORT` to false (tfjs already answers false under Node; pinning makes
 *    it explicit) and point `setWasmPaths` at the package's own `dist/` folder so the binary is
 *    read from disk, never fetched. When wasm is chosen, melbook's training kernels
 *    (`registerWasmTrainingKernels`) are registered then — never on import.
 * 3. `cpu` — pure JS; always available, roughly 1000x slower than PyTorch for training.
 *
 * What is tried first, highest precedence first: `options.prefer` (an explicit choice in code),
 * the environment variable `MELBOOK_BACKEND`, `options.configured` (the config's
 * `training.backend`), then `auto`. So the env var overrides a config file, as README and
 * config/default.yaml say, and code that passes `prefer` is never overridden. A preferred backend that fails to load falls down the
 * list and the reason is reported in `fallbacks`; the caller records `name` as a run tag.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, MelbookError } from '../errors';
import { registerWasmTrainingKernels } from './kernels';

/** The backends melbook knows, best first; `auto` means "the first of these that loads". */
export const BACKEND_NAMES = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
/** What a config or the env var may ask for: `auto` or one backend. */
export const BACKEND_PREFERENCES = ['auto', ...BACKEND_NAMES] as const;
export type BackendPreference = (typeof BACKEND_PREFERENCES)[number];

export interface SelectBackendOptions {
  /** Backend to try first; on failure the ones after it are tried. Wins over everything. Default: see `configured`. */
  prefer?: BackendPreference;
  /**
   * The configured preference (`training.backend`), used when neither `prefer` nor
   * `MELBOOK_BACKEND` is set. Default `auto`.
   */
  configured?: BackendPreference;
  /**
   * XNNPACK thread count for wasm. Default 1. Only 1 is possible in Node 20 (see the module
   * note); a larger value is recorded as ignored in `fallbacks`.
   */
  threads?: number;
}

interface ResolvedSelectBackendOptions {
  prefer: BackendPreference;
  threads: number;
}

export interface BackendSelection {
  /** The tfjs backend now active: `tensorflow`, `wasm` or `cpu`. */
  name: string;
  /** What was asked for (`auto` or a backend name), after the env override. */
  requested: string;
  /** Backends that were tried and skipped, with the reason, in order. */
  fallbacks: { name: string; reason: string }[];
}

/** Environment variable that overrides the backend choice when `prefer` is not given. */
export const BACKEND_ENV_VAR = 'MELBOOK_BACKEND';

function resolveOptions(options: SelectBackendOptions = {}): ResolvedSelectBackendOptions {
  const fromEnv = process.env[BACKEND_ENV_VAR];
  const env = fromEnv && fromEnv.length > 0 ? fromEnv : undefined;
  const prefer: string = options.prefer ?? env ?? options.configured ?? 'auto';
  if (!isBackendPreference(prefer)) {
    const where = options.prefer !== undefined ? 'prefer' : env !== undefined ? BACKEND_ENV_VAR : 'training.backend';
    throw new ConfigError(where, prefer, `use one of ${BACKEND_PREFERENCES.join(', ')}`);
  }
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new ConfigError('threads', threads, 'use a whole number >= 1');
  }
  return { prefer, threads };
}

function isBackendPreference(value: string): value is BackendPreference {
  return (BACKEND_PREFERENCES as readonly string[]).includes(value);
}

/** Folder holding the `.wasm` binaries of the installed tfjs-backend-wasm, with a trailing slash. */
export function wasmBinaryFolder(): string {
  const pkg = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
  return path.join(path.dirname(pkg), 'dist') + path.sep;
}

let wasmPathsSet = false;

async function tryTensorflow(): Promise<void> {
  // Loaded only here: requiring it registers the 'tensorflow' backend as a side effect.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@tensorflow/tfjs-node');
  if (!(await tf.setBackend('tensorflow'))) throw new Error("tf.setBackend('tensorflow') returned false");
}

async function tryWasm(threads: number, fallbacks: BackendSelection['fallbacks']): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!wasmPathsSet) {
    wasm.setWasmPaths(wasmBinaryFolder());
    wasmPathsSet = true;
  }
  if (threads > 1) {
    fallbacks.push({
      name: `wasm threads=${threads}`,
      reason: 'threaded wasm cannot start its workers in Node (blob-URL worker); using 1 thread',
    });
  }
  if (!(await tf.setBackend('wasm'))) throw new Error("tf.setBackend('wasm') returned false");
  if (!(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))) {
    fallbacks.push({ name: 'wasm-simd', reason: 'WebAssembly SIMD not available; running the plain wasm build' });
  }
  registerWasmTrainingKernels();
}

async function tryCpu(): Promise<void> {
  if (!(await tf.setBackend('cpu'))) throw new Error("tf.setBackend('cpu') returned false");
}

/**
 * Activates the best available backend (see the module note) and reports what happened.
 * Throws `MelbookError` only if not even `cpu` can be set.
 */
export async function selectBackend(options?: SelectBackendOptions): Promise<BackendSelection> {
  const resolved = resolveOptions(options);
  const start = resolved.prefer === 'auto' ? 0 : BACKEND_NAMES.indexOf(resolved.prefer);
  const fallbacks: BackendSelection['fallbacks'] = [];
  for (const name of BACKEND_NAMES.slice(start)) {
    try {
      if (name === 'tensorflow') await tryTensorflow();
      else if (name === 'wasm') await tryWasm(resolved.threads, fallbacks);
      else await tryCpu();
      await tf.ready();
      return { name: tf.getBackend(), requested: resolved.prefer, fallbacks };
    } catch (err) {
      fallbacks.push({ name, reason: describe(err) });
    }
  }
  throw new MelbookError(
    `no tfjs backend could be set (tried ${fallbacks.map((f) => `${f.name}: ${f.reason}`).join('; ')}); ` +
      'reinstall @tensorflow/tfjs',
  );
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0];
  if (err && typeof err === 'object' && 'message' in err) return String((err as { message: unknown }).message);
  return String(err);
}
