/**
 * Lets tfjs-backend-wasm's threaded SIMD build start its pthread workers in Node.
 *
 * tfjs hands Emscripten two Blobs: the pthread worker script (through `locateFile` and
 * `URL.createObjectURL`) and the main script the worker evaluates (`mainScriptUrlOrBlob`).
 * In Node a worker is a `worker_threads.Worker`, which loads files, not blob URLs, and the
 * worker's `importScripts` reads its argument with `fs.readFileSync`. So while the backend
 * initialises we record the text of the Blobs tfjs creates and write each to a file in a
 * private temporary folder: `createObjectURL` returns that file's path, and a `Worker`
 * subclass swaps the main-script Blob in the worker's `load` message for its path.
 *
 * Each distinct script is written once per process and its path reused. Emscripten starts 8
 * workers in a row and makes a fresh Blob of the same text for each: rewriting the file each
 * time would truncate it under a worker that has already started reading it, and that worker
 * would evaluate an empty main script (`WasmBackendModuleThreadedSimd is not defined`). The
 * race depends on how fast workers start: a plain Node worker is up in tens of milliseconds,
 * while the files are still being rewritten, but one that inherits `--import tsx` from its
 * parent starts after the writes end, so it shows from the compiled `dist/` and hides under tsx.
 *
 * The main script is the Emscripten factory cut out of tfjs's Node bundle, so it refers to
 * the bundle's own top-level names (`commonjsGlobal`, `require$$0`, ...): the file starts with
 * a prelude that defines them, read from the bundle's `var require$$N = require('x')` lines.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TransferListItem } from 'node:worker_threads';
import { MelbookError } from '../errors';

/** A Blob that remembers its text when it was made from strings only. */
const recordedText = new WeakMap<Blob, string>();
let scriptDir: string | undefined;
/** Script files already written, by content hash: each is written once (see the module note). */
const writtenScripts = new Map<string, string>();

function scriptFile(text: string): string {
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const written = writtenScripts.get(hash);
  if (written !== undefined) return written;
  if (scriptDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'melbook-wasm-threads-'));
    // Workers read these files when they start, which can be any time while the process runs.
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    scriptDir = dir;
  }
  const file = join(scriptDir, `${hash}.js`);
  writeFileSync(file, text);
  writtenScripts.set(hash, file);
  return file;
}

/** Read from the bundle once, not once per worker. */
let prelude: string | undefined;

/** The definitions the factory text needs from tfjs-backend-wasm's Node bundle (see the module note). */
function bundlePrelude(): string {
  if (prelude !== undefined) return prelude;
  const bundle = readFileSync(require.resolve('@tensorflow/tfjs-backend-wasm'), 'utf8');
  const requires = bundle.match(/^var require\$\$\d+ = require\('[^']+'\);$/gm) ?? [];
  // Indirect eval runs at the worker's global scope, where CommonJS's __filename does not exist.
  const paths = "var __filename = location.href, __dirname = require('path').dirname(__filename), _scriptDir = __filename;";
  prelude = ['var commonjsGlobal = globalThis;', paths, ...requires, ''].join('\n');
  return prelude;
}

/** The main-script Blob as a file the worker can `importScripts`. */
function mainScriptFile(blob: Blob): string {
  const text = recordedText.get(blob);
  if (text === undefined) throw new MelbookError('wasm threads: the main script Blob was not recorded; initialise the wasm backend through selectBackend');
  return scriptFile(bundlePrelude() + text);
}

// The module object itself (not an import namespace copy), so that replacing `Worker` is seen by Emscripten's require.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const workerThreads = require('node:worker_threads') as typeof import('node:worker_threads');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const os = require('node:os') as { cpus: typeof import('node:os').cpus };

/**
 * A pthread worker that loads recorded Blobs from files, and never keeps Node alive: XNNPACK's
 * pool threads only work while the main thread waits inside a wasm call, but Emscripten
 * `ref()`s a worker while its thread runs, and a pool thread runs until the process ends.
 */
class FileBackedWorker extends workerThreads.Worker {
  constructor(...args: ConstructorParameters<typeof workerThreads.Worker>) {
    super(...args);
    super.unref();
  }

  override ref(): void {
    // See the class note: stays unreferenced.
  }

  override postMessage(message: unknown, transfer?: readonly TransferListItem[]): void {
    const m = message as { cmd?: string; urlOrBlob?: unknown } | null;
    if (m && m.cmd === 'load' && m.urlOrBlob instanceof Blob) {
      super.postMessage({ ...m, urlOrBlob: mainScriptFile(m.urlOrBlob) }, transfer);
      return;
    }
    super.postMessage(message, transfer);
  }
}

/**
 * Runs `init` (which must call `tf.setBackend('wasm')` with threads on) with the Blob, URL and
 * Worker shims of the module note installed, and removes them afterwards except the Worker
 * class Emscripten captured, which keeps serving the workers it creates later.
 */
export async function withNodePthreads<T>(threads: number, init: () => Promise<T>): Promise<T> {
  const OriginalBlob = globalThis.Blob;
  const originalCreateObjectURL = URL.createObjectURL;
  const wt = workerThreads as { Worker: typeof import('node:worker_threads').Worker };
  const OriginalWorker = wt.Worker;
  const originalCpus = os.cpus;
  class RecordingBlob extends OriginalBlob {
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      super(parts, options);
      if (parts && parts.every((p) => typeof p === 'string')) recordedText.set(this, parts.join(''));
    }
  }
  globalThis.Blob = RecordingBlob;
  URL.createObjectURL = (obj: Blob) => {
    const text = recordedText.get(obj);
    return text === undefined ? originalCreateObjectURL(obj) : scriptFile(text);
  };
  wt.Worker = FileBackedWorker;
  // tfjs caps XNNPACK's pool at half the logical cores (it assumes two hyperthreads per core),
  // read once while the module starts: report enough cores for `threads`.
  os.cpus = () => {
    const cpus = originalCpus();
    return cpus.length >= 2 * threads ? cpus : Array.from({ length: 2 * threads }, (_, i) => cpus[i % cpus.length]);
  };
  try {
    return await init();
  } finally {
    globalThis.Blob = OriginalBlob;
    URL.createObjectURL = originalCreateObjectURL;
    wt.Worker = OriginalWorker;
    os.cpus = originalCpus;
  }
}
