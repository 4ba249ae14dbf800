/**
 * Progress of long work, one module for the CLI, the runner, the fetcher and the notebooks.
 * On a terminal one status line is redrawn in place; elsewhere (CI logs, pipes, notebooks) plain
 * lines are printed, at least every `intervalS` seconds while the work runs, so a log neither
 * floods nor goes silent. Text logged through the reporter goes above the status line.
 *
 * Three reporters share the `ProgressReporter` shape: `createProgress` counts items (files),
 * `createDownloadProgress` counts bytes, `createProgressReporter` follows a notebook's cells.
 */
import * as path from 'node:path';
import type { CellStatus } from './nbformat';

/** What every reporter offers. */
export interface ProgressReporter {
  /** `done` units of the total are finished; `extra` is shown after the figures. */
  update(done: number, extra?: string): void;
  /** Writes `text` (a child's output) to stdout or stderr without garbling the status line. */
  log(text: string, which?: 'stdout' | 'stderr'): void;
  /** Ends the status line and prints `message`, if given. Safe to call more than once. */
  stop(message?: string): void;
}

/** Where and how often a reporter writes. */
export interface ProgressOutputOptions {
  /** Where to draw. Default: `process.stderr` (stdout stays free for results). */
  stream?: NodeJS.WriteStream;
  /** Redraw one line in place. Default: the stream is a TTY and `CI` is not set. */
  tty?: boolean;
  /** Plain form: longest gap between two lines while the work runs, in seconds. Default 5. */
  intervalS?: number;
}

const CLEAR_LINE = '\r\x1b[2K';
/** Least time between two redraws on a TTY, ms: fast work would otherwise flood the terminal. */
const REDRAW_MS = 100;

/**
 * One status line on a stream. `render` builds its text; `show` draws it in place (TTY) or
 * prints it as a line when `intervalS` has passed; a ticker keeps it alive between updates.
 */
class StatusLine {
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private readonly intervalMs: number;
  private drawn = false;
  private lastWrite = -Infinity;
  private ticker: NodeJS.Timeout | undefined;
  private stopped = false;

  private readonly tickMs: number;

  /** `tickMs`: redraw period on a TTY while nothing is reported, ms. */
  constructor(options: ProgressOutputOptions & { tickMs?: number }, private readonly render: () => string) {
    this.stream = options.stream ?? process.stderr;
    this.tty = options.tty ?? Boolean(this.stream.isTTY && !process.env.CI);
    this.intervalMs = (options.intervalS ?? 5) * 1000;
    this.tickMs = options.tickMs ?? 1000;
  }

  get isTty(): boolean {
    return this.tty;
  }

  /** Draws (TTY) or prints (plain) the line: always when `force`, else when it is due. */
  show(force = false): void {
    if (this.stopped) return;
    const now = performance.now();
    const due = now - this.lastWrite >= (this.tty ? REDRAW_MS : this.intervalMs);
    if (force || due) this.write(now);
    this.startTicker();
  }

  log(text: string, which: 'stdout' | 'stderr' = 'stdout'): void {
    if (this.tty && this.drawn) this.stream.write(CLEAR_LINE);
    this.drawn = false;
    (which === 'stderr' ? process.stderr : process.stdout).write(text);
    if (this.tty && this.ticker && text.endsWith('\n')) this.write(performance.now()); // never erase a half-written line
  }

  /** Stops the ticker: the work is complete, so there is nothing left to keep alive. */
  stopTicker(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  /** Stops the ticker and ends the line; `message` goes on a line of its own. */
  end(message?: string): void {
    this.stopTicker();
    if (!this.stopped && this.tty && this.drawn) this.stream.write('\n');
    this.drawn = false;
    if (!this.stopped && message) this.stream.write(`${message}\n`);
    this.stopped = true;
  }

  private write(now: number): void {
    this.lastWrite = now;
    if (this.tty) {
      this.stream.write(`${CLEAR_LINE}${this.render()}`);
      this.drawn = true;
    } else this.stream.write(`${this.render()}\n`);
  }

  private startTicker(): void {
    const period = this.tty ? this.tickMs : this.intervalMs;
    if (this.ticker || this.stopped || period <= 0) return; // a plain line on every update needs no ticker
    this.ticker = setInterval(() => this.show(), period);
    this.ticker.unref();
  }
}

// ---------------------------------------------------------------- rates and formats

/**
 * Units per second over the last `windowS` seconds of `add`ed counts. Undefined until the counts
 * span `minSpanS`: a cached run that finishes 3000 files in 2 ms has no meaningful rate, and
 * printing 1.5 million files/s would be a lie.
 */
export class RateMeter {
  private readonly samples: { t: number; count: number }[] = [];

  constructor(private readonly windowS = 10, private readonly minSpanS = 1) {}

  /** Records `count` units done at `tMs` (default: now, in ms). */
  add(count: number, tMs: number = performance.now()): void {
    this.samples.push({ t: tMs, count });
    while (this.samples.length > 2 && tMs - this.samples[1].t >= this.windowS * 1000) this.samples.shift();
  }

  /** Units per second, or undefined while the counts span less than `minSpanS`. */
  rate(): number | undefined {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last) return undefined;
    const spanS = (last.t - first.t) / 1000;
    return spanS >= this.minSpanS ? (last.count - first.count) / spanS : undefined;
  }
}

/** `m:ss`, or `h:mm:ss` past an hour. */
export function formatElapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  const mmss = `${Math.floor(s / 60) % 60}:${String(s % 60).padStart(2, '0')}`;
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mmss.padStart(5, '0')}` : mmss;
}

/** Decimal units (kB = 1000 bytes), one decimal from kB up. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** `42s` under a minute, `3m05s` above. */
export function formatDuration(seconds: number): string {
  const s = Math.ceil(seconds);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

// ---------------------------------------------------------------- counted items

export interface CountProgressOptions extends ProgressOutputOptions {
  /** What is counted, shown after the counts. Default `files`. */
  unit?: string;
  /** Window of the rate and the ETA, in seconds. Default 10. */
  rateWindowS?: number;
}

/** `3/12 files`, then the rate and ETA once there is a rate, then `extra`. */
export function formatCount(done: number, total: number, unit: string, rate: number | undefined, extra = ''): string {
  const figures = [`${done}/${total} ${unit}`];
  if (rate !== undefined) {
    figures.push(`${rate.toFixed(rate < 10 ? 1 : 0)} ${unit}/s`);
    if (rate > 0) figures.push(`ETA ${formatDuration(Math.max(0, total - done) / rate)}`);
  }
  return `${figures.join(' | ')}${extra ? ` ${extra}` : ''}`;
}

/** A reporter for `total` items: a bar with count, rate and ETA on a TTY, plain lines elsewhere. */
export function createProgress(label: string, total: number, options: CountProgressOptions = {}): ProgressReporter {
  const unit = options.unit ?? 'files';
  const meter = new RateMeter(options.rateWindowS ?? 10);
  let done = 0;
  let extra = '';
  const line: StatusLine = new StatusLine(options, () => {
    const figures = formatCount(done, total, unit, meter.rate(), extra);
    return line.isTty ? `${label} ${bar(done / Math.max(1, total))} ${figures}` : `${label}: ${figures}`;
  });
  return {
    update: (count, more = '') => {
      done = count;
      extra = more;
      meter.add(count);
      line.show(count >= total);
      if (count >= total) line.stopTicker();
    },
    log: (text, which) => line.log(text, which),
    stop: (message) => line.end(message),
  };
}

/** `[=====-----]`, `width` cells filled to `fraction` (clamped to 0..1). */
function bar(fraction: number, width = 30): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'='.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

// ---------------------------------------------------------------- downloads

/** One progress report of a running download. */
export interface DownloadProgress {
  /** Bytes received so far. */
  receivedBytes: number;
  /** Size announced by the server (Content-Length), when it sent one. */
  totalBytes?: number;
  /** Mean rate since the request started, in bytes per second. */
  bytesPerSecond: number;
}

export interface DownloadProgressOptions {
  /** Word shown before the figures. Default `FSDD`. */
  label?: string;
  /** Seconds between plain log lines when the stream is not a TTY. Default 5. */
  logIntervalSeconds?: number;
  /** Redraw one line in place. Default: the stream is a TTY and `CI` is not set. */
  tty?: boolean;
}

/** A download reporter: pass `onProgress` to the download, call `stop` after. */
export interface DownloadProgressReporter extends ProgressReporter {
  onProgress: (progress: DownloadProgress) => void;
}

/** `3.1 MB / 10.2 MB | 1.4 MB/s | ETA 5s`, leaving out what the server did not tell. */
export function describeProgress(progress: DownloadProgress): string {
  const { receivedBytes, totalBytes, bytesPerSecond } = progress;
  const parts = [totalBytes ? `${formatBytes(receivedBytes)} / ${formatBytes(totalBytes)}` : formatBytes(receivedBytes)];
  parts.push(`${formatBytes(bytesPerSecond)}/s`);
  if (totalBytes && bytesPerSecond > 0) {
    parts.push(`ETA ${formatDuration(Math.max(0, totalBytes - receivedBytes) / bytesPerSecond)}`);
  }
  return parts.join(' | ');
}

/**
 * Download progress on `stream`. On a TTY: a bar with bytes, rate and ETA redrawn in place (bytes
 * and rate only when the server sent no size). Elsewhere (CI logs, pipes): a plain line every
 * `logIntervalSeconds` and a closing line with the size and the rate.
 */
export function createDownloadProgress(stream: NodeJS.WriteStream, options: DownloadProgressOptions = {}): DownloadProgressReporter {
  const label = options.label ?? 'FSDD';
  let last: DownloadProgress | undefined;
  const line: StatusLine = new StatusLine({ stream, tty: options.tty, intervalS: options.logIntervalSeconds ?? 5 }, () => {
    if (!last) return `${label}: starting`;
    const figures = describeProgress(last);
    if (!line.isTty) return `${label}: ${figures}`;
    return last.totalBytes ? `${label} ${bar(last.receivedBytes / last.totalBytes)} ${figures}` : `${label} ${figures}`;
  });
  const onProgress = (progress: DownloadProgress): void => {
    last = progress;
    line.show();
  };
  return {
    onProgress,
    update: (receivedBytes) => onProgress({ ...last, receivedBytes, bytesPerSecond: last?.bytesPerSecond ?? 0 }),
    log: (text, which) => line.log(text, which),
    stop: (message) => {
      const closing = last && !line.isTty ? `${label}: downloaded ${formatBytes(last.receivedBytes)} at ${formatBytes(last.bytesPerSecond)}/s` : undefined;
      line.end(message ?? (last ? closing : undefined));
    },
  };
}

// ---------------------------------------------------------------- notebook cells

/** What the runner reports while it executes a notebook. */
export interface ProgressEvent {
  /** The input notebook's path. */
  notebook: string;
  phase: 'start' | 'cell-start' | 'cell-end' | 'end';
  /** 1-based position of the current cell among the code cells (0 before the first). */
  cell: number;
  /** Number of code cells. */
  cells: number;
  /** Index of the current cell among all cells of the executed notebook (-1 before the first). */
  cellIndex: number;
  /** Milliseconds since the run started (kernel start included). */
  elapsedMs: number;
  /** Status of the current cell at `cell-end`, or of the notebook at `end`. */
  status?: CellStatus;
  /** The current cell's first line of code, so a log says what is running. */
  summary?: string;
}

/** One progress line, without colour or control characters: `train.ipynb  cell 3/12  0:41  const model = buildModel(config)`. */
export function formatProgress(event: ProgressEvent): string {
  const name = path.basename(event.notebook);
  const where = event.phase === 'start' ? 'starting kernel' : `cell ${event.cell}/${event.cells}`;
  const status = event.status ? `  ${event.status}` : '';
  const what = event.summary && event.phase !== 'start' && event.phase !== 'end' ? `  ${event.summary}` : '';
  return `${name}  ${where}  ${formatElapsed(event.elapsedMs)}${status}${what}`;
}

export interface NotebookProgressOptions extends ProgressOutputOptions {
  /** Redraw interval while a cell runs, ms (TTY only). Default 1000. */
  tickMs?: number;
}

/** A reporter of a notebook's cells: pass `onProgress` and `log` to executeNotebook. */
export interface NotebookProgressReporter extends ProgressReporter {
  onProgress: (event: ProgressEvent) => void;
  /** Stops the ticker and ends the status line. Called for you on the `end` event. */
  close: () => void;
}

/**
 * Terminal progress for the runner: `notebook  cell 3/12  0:41`. On a TTY one status line is
 * redrawn in place (every `tickMs` while a cell runs); otherwise a plain line is printed at the
 * start of every cell, at a failed cell's end, at the end, and every `intervalS` (default 30)
 * while a long cell runs. Cell output passed through `log` is written above the status line.
 */
export function createProgressReporter(options: NotebookProgressOptions = {}): NotebookProgressReporter {
  let last: ProgressEvent | undefined;
  let lastAt = 0;
  const line = new StatusLine({ intervalS: 30, ...options }, () =>
    last ? formatProgress({ ...last, elapsedMs: last.elapsedMs + (Date.now() - lastAt) }) : '',
  );
  const close = () => line.end();
  return {
    onProgress: (event) => {
      last = event;
      lastAt = Date.now();
      if (line.isTty || event.phase !== 'cell-end' || event.status === 'failed') line.show(true);
      if (event.phase === 'end') close();
    },
    update: () => line.show(),
    log: (text, which) => line.log(text, which),
    stop: (message) => line.end(message),
    close,
  };
}
