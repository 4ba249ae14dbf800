/**
 * Chooses the tfjs backend at run time, best first:
 *
 * 1. `tensorflow` — `@tensorflow/tfjs-node` (native libtensorflow). An optional dependency:
 *    loaded with `require` inside a try, so its absence is a fallback, not an error.
 * 2. `wasm` — `@tensorflow/tfjs-backend-wasm` (XNNPACK), the SIMD build, read from the
 *    package's own `dist/` folder (`setWasmPaths`), never fetched. With `threads` 1 (the
 *    default) the non-threaded SIMD build; with more, the threaded SIMD build, whose pthread
 *    workers tfjs cannot start in Node by itself (it hands Emscripten blob URLs): see
 *    `wasm-threads.ts`. XNNPACK's thread pool then splits each convolution and matrix product.
 *    Results are bit-reproducible for a given thread count; across counts they agree to
 *    rounding (~1e-8 on the weights after a few Adam steps), not bit for bit, as the threaded
 *    build's kernels may sum in another order. The module starts once per process, so the first selection
 *    fixes the thread count. When wasm is chosen, melbook's training kernels
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
import { registerWasmTrainingKernels, wasmKernelsUseFma } from './kernels';
import { withNodePthreads } from './wasm-threads';

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
   * XNNPACK thread count for wasm (see the module note). Default: env `MELBOOK_THREADS`, else 1.
   * A count the running module cannot take (it started earlier with another) is reported in
   * `fallbacks`.
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
  /** Threads the backend computes on: XNNPACK's pool size on wasm, 1 on the others (tensorflow sizes its own pools). */
  threads: number;
  /** melbook's wasm kernels use fused multiply-adds (relaxed SIMD); false on other backends and with `MELBOOK_FMA=0`. */
  fma: boolean;
}

/** Environment variable that overrides the backend choice when `prefer` is not given. */
export const BACKEND_ENV_VAR = 'MELBOOK_BACKEND';
/** Environment variable with the wasm thread count when `threads` is not given. */
export const THREADS_ENV_VAR = 'MELBOOK_THREADS';

function resolveOptions(options: SelectBackendOptions = {}): ResolvedSelectBackendOptions {
  const fromEnv = process.env[BACKEND_ENV_VAR];
  const env = fromEnv && fromEnv.length > 0 ? fromEnv : undefined;
  const prefer: string = options.prefer ?? env ?? options.configured ?? 'auto';
  if (!isBackendPreference(prefer)) {
    const where = options.prefer !== undefined ? 'prefer' : env !== undefined ? BACKEND_ENV_VAR : 'training.backend';
    throw new ConfigError(where, prefer, `use one of ${BACKEND_PREFERENCES.join(', ')}`);
  }
  const fromThreadsEnv = process.env[THREADS_ENV_VAR];
  const threads = options.threads ?? (fromThreadsEnv ? Number(fromThreadsEnv) : 1);
  if (!Number.isInteger(threads) || threads < 1) {
    const fromOption = options.threads !== undefined;
    throw new ConfigError(fromOption ? 'threads' : THREADS_ENV_VAR, fromOption ? threads : fromThreadsEnv, 'use a whole number >= 1');
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
let wasmStarted = false;

async function tryTensorflow(): Promise<void> {
  // Loaded only here: requiring it registers the 'tensorflow' backend as a side effect.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@tensorflow/tfjs-node');
  if (!(await tf.setBackend('tensorflow'))) throw new Error("tf.setBackend('tensorflow') returned false");
}

function wasmModule(): typeof import('@tensorflow/tfjs-backend-wasm') {
  // Loaded only when wanted: requiring it registers the 'wasm' backend.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
}

async function tryWasm(threads: number, fallbacks: BackendSelection['fallbacks']): Promise<void> {
  const wasm = wasmModule();
  if (!wasmPathsSet) {
    wasm.setWasmPaths(wasmBinaryFolder());
    wasmPathsSet = true;
  }
  // The module starts once per process: the first selection fixes the build and thread count.
  if (!wasmStarted) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threads > 1);
    wasm.setThreadsCount(threads);
  }
  const set = threads > 1 && !wasmStarted ? withNodePthreads(threads, () => tf.setBackend('wasm')) : tf.setBackend('wasm');
  if (!(await set)) throw new Error("tf.setBackend('wasm') returned false");
  wasmStarted = true;
  const actual = wasm.getThreadsCount();
  if (actual !== threads) {
    fallbacks.push({ name: `wasm threads=${threads}`, reason: `the wasm module already runs with ${actual} thread(s) in this process (it starts once)` });
  }
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
      const active = tf.getBackend();
      const wasm = active === 'wasm';
      return { name: active, requested: resolved.prefer, fallbacks, threads: wasm ? wasmModule().getThreadsCount() : 1, fma: wasm && wasmKernelsUseFma() };
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
