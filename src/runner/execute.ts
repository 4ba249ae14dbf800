/**
 * The headless notebook runner, papermill's recipe for tslab: load the notebook, inject the
 * parameters, start a kernel, execute the code cells in order, save the executed notebook
 * (atomically) after every cell, and on failure stop, save it with the error in place and
 * the error banner on top, then throw with the context.
 *
 * Per-cell metadata, under `metadata.melbook` (papermill's `metadata.papermill` shape):
 * `{ start, end, duration, status, exception }`, with ISO times, duration in seconds and
 * status `pending` | `running` | `completed` | `failed`. The notebook's own
 * `metadata.melbook` records paths, parameters, times and whether it failed.
 */
import * as path from 'node:path';
import { ConfigError, KernelError, NotebookExecutionError } from '../errors';
import { CellExecution, Engine, KernelSession, tslabEngine } from './engine';
import { addErrorCells, removeErrorCells } from './error-cells';
import type { Cell, CellRunMetadata, CellStatus, CodeCell, ErrorOutput, Notebook, Output } from '../nbformat';
import type { ProgressEvent } from '../progress';
import { readNotebook, writeNotebook } from './notebook-io';
import { Parameters, parameterizeNotebook } from './parameterize';

/** Receives the cells' output text live. */
export type OutputSink = (text: string, stream: 'stdout' | 'stderr') => void;

export interface ExecuteNotebookOptions {
  /** Values for the `parameters` cell (see parameterize.ts). Default: none. */
  parameters?: Parameters;
  /** Working directory of the kernel. Default: the input notebook's folder. */
  cwd?: string;
  /** Interrupt, shut down and fail a cell running longer than this, ms. Default: no limit. */
  perCellTimeoutMs?: number;
  /** After interrupting a timed-out cell, wait this long for it to stop, ms. Default: 5000. */
  interruptGraceMs?: number;
  /** Called at the start and end of the run and of every code cell. Default: none. */
  onProgress?: (event: ProgressEvent) => void;
  /** Streams the cells' stdout/stderr live; `true` writes to this process's stdout/stderr. Default: off. */
  logOutput?: boolean | OutputSink;
  /** The engine that runs the code. Default: `tslabEngine()`. */
  engine?: Engine;
  /** Give up if the kernel does not answer within this many ms after starting. Default: 60000. */
  startupTimeoutMs?: number;
}

interface ResolvedExecuteOptions {
  parameters: Parameters;
  cwd: string;
  perCellTimeoutMs: number;
  interruptGraceMs: number;
  onProgress: (event: ProgressEvent) => void;
  log: OutputSink | null;
  engine: Engine;
  startupTimeoutMs: number;
}

function resolveOptions(input: string, options: ExecuteNotebookOptions): ResolvedExecuteOptions {
  const log = options.logOutput === true
    ? (text: string, stream: 'stdout' | 'stderr') => { process[stream].write(text); }
    : options.logOutput || null;
  return {
    parameters: options.parameters ?? {},
    cwd: path.resolve(options.cwd ?? path.dirname(input)),
    perCellTimeoutMs: options.perCellTimeoutMs ?? Infinity,
    interruptGraceMs: options.interruptGraceMs ?? 5000,
    onProgress: options.onProgress ?? (() => undefined),
    log,
    engine: options.engine ?? tslabEngine(),
    startupTimeoutMs: options.startupTimeoutMs ?? 60_000,
  };
}

/** A cell that failed, and how: its result, or the runner's own error (timeout, dead kernel). */
interface Failure {
  index: number;
  text: string;
  cause?: KernelError;
}

/**
 * Executes `input` and writes the executed notebook to `output` (which may be the same file).
 * Resolves with the executed notebook. Throws NotebookExecutionError when a cell fails or times
 * out, KernelError when the kernel cannot start or dies; the notebook is saved either way.
 */
export async function executeNotebook(input: string, output: string, options: ExecuteNotebookOptions = {}): Promise<Notebook> {
  const opts = resolveOptions(input, options);
  const started = Date.now();
  let nb = parameterizeNotebook(removeErrorCells(await readNotebook(input)), opts.parameters);
  checkLanguage(nb, input);
  nb = prepare(nb, input, output, opts);
  const codeCells = nb.cells.map((c, i) => [c, i] as const).filter(([c]) => c.cell_type === 'code');
  const progress = (phase: ProgressEvent['phase'], cell: number, cellIndex: number, status?: CellStatus) =>
    opts.onProgress({ notebook: input, phase, cell, cells: codeCells.length, cellIndex, elapsedMs: Date.now() - started, status, summary: cellSummary(nb.cells[cellIndex]) });
  const save = () => writeNotebook(output, nb);

  await save();
  progress('start', 0, -1);
  const session = await opts.engine.start({ cwd: opts.cwd, startupTimeoutMs: opts.startupTimeoutMs });
  let failure: Failure | null = null;
  try {
    for (const [k, [cell, index]] of codeCells.entries()) {
      const code = cell as CodeCell;
      const meta = cellMeta(code);
      meta.status = 'running';
      meta.start = new Date().toISOString();
      await save();
      progress('cell-start', k + 1, index);
      failure = await runCell(session, code, index, opts);
      meta.end = new Date().toISOString();
      meta.duration = (Date.parse(meta.end) - Date.parse(meta.start)) / 1000;
      meta.status = failure ? 'failed' : 'completed';
      meta.exception = failure !== null;
      progress('cell-end', k + 1, index, meta.status);
      if (failure) break;
      await save();
    }
  } finally {
    await session.shutdown();
  }

  const runMeta = nb.metadata.melbook as Record<string, unknown>;
  runMeta.end_time = new Date().toISOString();
  runMeta.duration = (Date.now() - started) / 1000;
  runMeta.exception = failure !== null;
  if (!failure) {
    await save();
    progress('end', codeCells.length, -1, 'completed');
    return nb;
  }
  const failed = nb.cells[failure.index] as CodeCell;
  const label = failed.execution_count === null ? `cell ${failure.index}` : `In [${failed.execution_count}]`;
  nb = addErrorCells(nb, failure.index, label, summarize(failure.text));
  await save();
  progress('end', codeCells.length, failure.index, 'failed');
  if (failure.cause) {
    throw new KernelError(`${failure.cause.message} (${output}, cell ${failure.index})`, { cause: failure.cause });
  }
  throw new NotebookExecutionError(output, failure.index, failed.source, failure.text);
}

/** Runs one cell into its own outputs; returns the failure, if any. Kernel death is a failure with a cause. */
async function runCell(session: KernelSession, cell: CodeCell, index: number, opts: ResolvedExecuteOptions): Promise<Failure | null> {
  if (cell.source.trim() === '') return null; // nbclient skips empty cells too
  const running = session.execute(cell.source, {
    outputs: cell.outputs,
    onOutput: (o) => { if (opts.log && o.output_type === 'stream') opts.log(o.text, o.name); },
  });
  let result: CellExecution | 'timeout';
  try {
    result = await withTimeout(running, opts.perCellTimeoutMs);
  } catch (error) {
    if (!(error instanceof KernelError)) throw error;
    addRunnerError(cell, 'KernelError', error.message);
    return { index, text: error.message, cause: error };
  }
  if (result === 'timeout') {
    await session.interrupt();
    const stopped = await withTimeout(running.catch(() => null), opts.interruptGraceMs);
    if (stopped !== 'timeout' && stopped) cell.execution_count = stopped.executionCount;
    await session.shutdown();
    const text = `cell did not finish within ${opts.perCellTimeoutMs} ms (perCellTimeoutMs); the kernel was interrupted and shut down`;
    addRunnerError(cell, 'CellTimeoutError', text);
    return { index, text: `${text}\n${stderrOf(cell.outputs)}`.trim() };
  }
  cell.execution_count = result.executionCount;
  if (result.status === 'ok') return null;
  const text = stripKernelFrames(result.errorText).trim() || `the kernel reported status "${result.status}" without an error message`;
  return { index, text };
}

/** Resets code cells and stamps the run's metadata: every cell pending, the notebook started. */
function prepare(nb: Notebook, input: string, output: string, opts: ResolvedExecuteOptions): Notebook {
  const copy: Notebook = structuredClone(nb);
  for (const cell of copy.cells) {
    if (cell.cell_type !== 'code') continue;
    cell.outputs = [];
    cell.execution_count = null;
    cell.metadata.melbook = { start: null, end: null, duration: null, status: 'pending', exception: null } satisfies CellRunMetadata;
  }
  copy.metadata.kernelspec ??= { name: opts.engine.kernelName, display_name: 'TypeScript', language: 'typescript' };
  copy.metadata.melbook = {
    input_path: input,
    output_path: output,
    parameters: jsonSafe(opts.parameters),
    engine: opts.engine.kernelName,
    start_time: new Date().toISOString(),
    end_time: null,
    duration: null,
    exception: null,
  };
  return copy;
}

/** Refuses a notebook written for another language (a Python notebook would fail cell by cell). */
function checkLanguage(nb: Notebook, file: string): void {
  const spec = nb.metadata.kernelspec as { language?: unknown } | undefined;
  const language = spec?.language ?? (nb.metadata.language_info as { name?: unknown } | undefined)?.name;
  if (language === undefined || language === 'typescript' || language === 'javascript') return;
  throw new ConfigError('metadata.kernelspec.language', language, 'melbook runs TypeScript/JavaScript notebooks with tslab; pick the TypeScript kernel in Jupyter (`melbook kernel install`) and save the notebook again', { file });
}

function cellMeta(cell: CodeCell): CellRunMetadata {
  return cell.metadata.melbook as CellRunMetadata;
}

function addRunnerError(cell: CodeCell, ename: string, evalue: string): void {
  const error: ErrorOutput = { output_type: 'error', ename, evalue, traceback: [] };
  cell.outputs.push(error);
}

function stderrOf(outputs: Output[]): string {
  return outputs.map((o) => (o.output_type === 'stream' && o.name === 'stderr' ? o.text : '')).join('');
}

/** Drops stack frames inside tslab and node's vm module: they say nothing about the cell. */
export function stripKernelFrames(text: string): string {
  return text.split('\n').filter((line) => !/^\s+at .*(node_modules[\\/]tslab[\\/]|node:vm|node:internal)/.test(line)).join('\n');
}

/** One line for the banner: the first `SomethingError: ...` line, else the first non-empty one. */
export function summarize(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const line = lines.find((l) => /^[\w$.]*(Error|Exception)\b/.test(l)) ?? lines[0] ?? 'unknown error';
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  if (!Number.isFinite(ms)) return promise;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'timeout'>((resolve) => { timer = setTimeout(resolve, ms, 'timeout'); });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Parameters as JSON will store them (NaN and Infinity as strings, undefined dropped). */
function jsonSafe(parameters: Parameters): unknown {
  return JSON.parse(JSON.stringify(parameters, (_k, v) =>
    typeof v === 'number' && !Number.isFinite(v) ? String(v) : typeof v === 'bigint' ? `${v}n` : v));
}

/** What a log line names a cell by: its first line with a word in it (comments and lone braces skipped), cut to 60 characters. */
export function cellSummary(cell: Cell | undefined): string | undefined {
  if (cell?.cell_type !== 'code') return undefined;
  const first = cell.source.split('\n').map((l) => l.trim()).find((l) => /[\p{L}\p{N}]/u.test(l) && !l.startsWith('//'));
  if (!first) return undefined;
  return first.length > 60 ? `${first.slice(0, 59)}…` : first;
}
