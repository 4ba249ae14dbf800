/**
 * The PyTorch + torchaudio yardstick (../shared/bench/torch_fsdd.py), run as a child process in
 * the same benchmark so ratios compare like with like. Returns undefined (with the reason) when
 * python3-torch is missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadavg } from 'node:os';
import { FSDD_DIR } from '../test/helpers/fsdd';

export const REPO = resolve(__dirname, '..');
/** FSDD where the tests find it: MELBOOK_FSDD, recordings/, then ../shared/fsdd/recordings. */
export const FSDD = FSDD_DIR;
export const YARDSTICK = resolve(REPO, '../shared/bench/torch_fsdd.py');
export const PYTHON = '/usr/bin/python3';

export interface TorchFigures {
  files: number;
  prep_s: number;
  prep_files_per_s: number;
  /** Preprocessing processes (YARD_PREP_WORKERS). */
  prep_workers?: number;
  /** Whether one .npy per clip was written (YARD_SAVE_NPY). */
  prep_saved_npy?: boolean;
  epoch_s_median: number;
  epochs: number;
  test_acc: number;
  threads: number;
  infer_300_s: number;
  torch: string;
}

/** One yardstick run as `runTorch` reports it. */
export interface TorchRun extends TorchFigures {
  /** The yardstick process's high-water resident memory (`ru_maxrss`), MB. */
  peak_rss_mb: number;
  /** Seconds of each training epoch, in order (empty if the yardstick stops keeping `ep_times`). */
  epoch_s: number[];
}

export function torchAvailable(): string | undefined {
  if (!existsSync(YARDSTICK)) return `${YARDSTICK} not found`;
  const r = spawnSync(PYTHON, ['-c', 'import torch, torchaudio'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : 'python3-torch / python3-torchaudio not installed (apt-get install -y python3-torch python3-torchaudio)';
}

/**
 * Run the yardstick once: `epochs` training epochs, `threads` torch threads; `env` adds its
 * switches (YARD_PREP_WORKERS, YARD_SAVE_NPY).
 */
export function runTorch(epochs: number, threads = 2, env: Record<string, string> = {}): TorchRun {
  // Run the yardstick unchanged through runpy, then report the process's peak resident memory
  // and the per-epoch seconds it keeps in `ep_times` (its JSON line has only their median).
  const wrapper = [
    'import json, resource, runpy, sys',
    'sys.argv = sys.argv[1:]',
    "g = runpy.run_path(sys.argv[0], run_name='__main__')",
    "print(json.dumps({'peak_rss_mb': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1), 'epoch_s': g.get('ep_times', [])}))",
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', wrapper, YARDSTICK, FSDD, String(epochs), String(threads)], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: String(threads), ...env },
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`torch yardstick failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const lines = r.stdout.trim().split('\n');
  const figures = JSON.parse(lines[lines.length - 2]) as TorchFigures;
  const { peak_rss_mb, epoch_s } = JSON.parse(lines[lines.length - 1]) as Pick<TorchRun, 'peak_rss_mb' | 'epoch_s'>;
  return { ...figures, peak_rss_mb, epoch_s };
}

/** Yardstick runs collected through a benchmark, interleaved with melbook's measurements. */
export interface Yardstick {
  /** Training epochs per run. */
  epochs: number;
  /** Torch threads (and OMP_NUM_THREADS) per run. */
  threads: number;
  /** Why it cannot run at all (`torchAvailable`); then no run is attempted. */
  unavailable?: string;
  runs: TorchRun[];
  /** Why a run failed; printed next to the figures. */
  problems: string[];
}

/**
 * Runs the yardstick once more, unless it is unavailable; a failed run is noted, not fatal, so
 * that the melbook figures measured around it are still printed. `when` names the run in messages.
 */
export function measureTorch(yard: Yardstick, when: string): void {
  if (yard.unavailable) return;
  process.stderr.write(`PyTorch yardstick ${when} (${yard.epochs} epochs, ${yard.threads} threads), load ${load1().toFixed(2)}\n`);
  try {
    yard.runs.push(runTorch(yard.epochs, yard.threads));
  } catch (err) {
    yard.problems.push(`run ${when}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Every training epoch of every yardstick run, s (its median alone if it stops keeping them). */
export function torchEpochSeconds(yard: Yardstick): number[] {
  return yard.runs.flatMap((r) => (r.epoch_s.length > 0 ? r.epoch_s : [r.epoch_s_median]));
}

/** `median (min-max)` of a sample, with `digits` decimals: every figure shows its spread. */
export function spread(xs: number[], digits = 2): string {
  if (xs.length === 0) return 'n/a';
  return `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)})`;
}

/** The 1-minute load average: timings are only comparable when it is below the core count. */
export function load1(): number {
  return loadavg()[0];
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export function table(rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map(String));
  const widths = cells[0].map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

/**
 * `median(a)/median(b) (lo-hi)`, the ratio of the medians with the extreme pairings as its range
 * (lo = min(a)/max(b), hi = max(a)/min(b)): the two samples are independent, so no pairing is
 * more right than another. 'n/a' when either sample is empty.
 */
export function ratioSpread(a: number[], b: number[], digits = 2): string {
  if (a.length === 0 || b.length === 0) return 'n/a';
  const lo = Math.min(...a) / Math.max(...b);
  const hi = Math.max(...a) / Math.min(...b);
  return `${(median(a) / median(b)).toFixed(digits)} (${lo.toFixed(digits)}-${hi.toFixed(digits)})`;
}

/** Training steps in one epoch of `clips` clips at `batch` clips per step (the last one partial). */
export function stepsPerEpoch(clips: number, batch: number): number {
  return Math.ceil(clips / batch);
}
