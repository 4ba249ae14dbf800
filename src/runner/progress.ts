/**
 * Terminal progress for the runner: `notebook  cell 3/12  0:41`. On a TTY one status line is
 * redrawn in place (every second while a cell runs); otherwise plain lines are printed at the
 * start and end of every cell, so CI logs stay readable. Cell output passed through `log`
 * is written above the status line.
 */
import * as path from 'node:path';
import type { OutputSink, ProgressEvent } from './execute';

export interface ProgressReporterOptions {
  /** Where to draw. Default: `process.stderr` (stdout stays free for results). */
  stream?: NodeJS.WriteStream;
  /** Redraw in place. Default: `stream.isTTY`. */
  tty?: boolean;
  /** Redraw interval while a cell runs, ms (TTY only). Default: 1000. */
  tickMs?: number;
}

export interface ProgressReporter {
  /** Pass as `onProgress` to executeNotebook. */
  onProgress: (event: ProgressEvent) => void;
  /** Pass as `logOutput`: writes cell output without garbling the status line. */
  log: OutputSink;
  /** Stops the ticker and ends the status line. Called for you on the `end` event. */
  close: () => void;
}

/** `m:ss`, or `h:mm:ss` past an hour. */
export function formatElapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  const mmss = `${Math.floor(s / 60) % 60}:${String(s % 60).padStart(2, '0')}`;
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mmss.padStart(5, '0')}` : mmss;
}

/** One progress line, without colour or control characters. */
export function formatProgress(event: ProgressEvent): string {
  const name = path.basename(event.notebook);
  const where = event.phase === 'start' ? 'starting kernel' : `cell ${event.cell}/${event.cells}`;
  const status = event.status ? `  ${event.status}` : '';
  return `${name}  ${where}  ${formatElapsed(event.elapsedMs)}${status}`;
}

export function createProgressReporter(options: ProgressReporterOptions = {}): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? Boolean(stream.isTTY);
  const tickMs = options.tickMs ?? 1000;
  let last: ProgressEvent | null = null;
  let lastAt = 0;
  let ticker: NodeJS.Timeout | null = null;
  let drawn = false;

  const draw = () => {
    if (!last) return;
    const event = { ...last, elapsedMs: last.elapsedMs + (Date.now() - lastAt) };
    stream.write(`\r\x1b[2K${formatProgress(event)}`);
    drawn = true;
  };
  const clear = () => {
    if (drawn) stream.write('\r\x1b[2K');
    drawn = false;
  };
  const close = () => {
    if (ticker) clearInterval(ticker);
    ticker = null;
    if (tty && drawn) stream.write('\n');
    drawn = false;
  };

  return {
    onProgress: (event) => {
      last = event;
      lastAt = Date.now();
      if (!tty) {
        if (event.phase !== 'cell-end' || event.status === 'failed') stream.write(`${formatProgress(event)}\n`);
        return;
      }
      draw();
      if (!ticker) {
        ticker = setInterval(draw, tickMs);
        ticker.unref();
      }
      if (event.phase === 'end') close();
    },
    log: (text, which) => {
      if (tty) clear();
      (which === 'stderr' ? process.stderr : process.stdout).write(text);
      if (tty && ticker && text.endsWith('\n')) draw(); // never erase a half-written line
    },
    close,
  };
}
