/**
 * Progress for long work: a live bar (count, rate, ETA) on a terminal, and a plain log line
 * every few seconds elsewhere (CI logs, notebooks), so neither floods nor goes silent.
 */
import { SingleBar, Presets } from 'cli-progress';

export interface ProgressReporter {
  update(done: number, extra?: string): void;
  stop(message?: string): void;
}

/** A progress reporter for `total` items of `unit` on `stream`. */
export function createProgress(
  label: string,
  total: number,
  options: { unit?: string; stream?: NodeJS.WriteStream; intervalS?: number } = {},
): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  const unit = options.unit ?? 'files';
  const started = performance.now();
  const rate = (done: number) => done / Math.max(1e-9, (performance.now() - started) / 1000);
  if (stream.isTTY && !process.env.CI) {
    const bar = new SingleBar(
      { stream, format: `${label} [{bar}] {value}/{total} ${unit} | {rate} ${unit}/s | ETA {eta_formatted} {extra}`, hideCursor: true, clearOnComplete: false },
      Presets.shades_classic,
    );
    bar.start(total, 0, { rate: '0', extra: '' });
    return {
      update: (done, extra = '') => bar.update(done, { rate: rate(done).toFixed(0), extra }),
      stop: (message) => {
        bar.stop();
        if (message) stream.write(`${message}\n`);
      },
    };
  }
  const intervalMs = (options.intervalS ?? 5) * 1000;
  let last = 0;
  return {
    update: (done, extra = '') => {
      const now = performance.now();
      if (now - last < intervalMs && done < total) return;
      last = now;
      const r = rate(done);
      const eta = r > 0 ? Math.round((total - done) / r) : 0;
      stream.write(`${label}: ${done}/${total} ${unit} (${r.toFixed(0)} ${unit}/s, ETA ${eta} s)${extra ? ` ${extra}` : ''}\n`);
    },
    stop: (message) => {
      if (message) stream.write(`${message}\n`);
    },
  };
}
