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

export function torchAvailable(): string | undefined {
  if (!existsSync(YARDSTICK)) return `${YARDSTICK} not found`;
  const r = spawnSync(PYTHON, ['-c', 'import torch, torchaudio'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : 'python3-torch / python3-torchaudio not installed (apt-get install -y python3-torch python3-torchaudio)';
}

/**
 * Run the yardstick once: `epochs` training epochs, `threads` torch threads; `env` adds its
 * switches (YARD_PREP_WORKERS, YARD_SAVE_NPY).
 */
export function runTorch(epochs: number, threads = 2, env: Record<string, string> = {}): TorchFigures & { peak_rss_mb: number } {
  // Run the yardstick unchanged through runpy, then report the process's peak resident memory.
  const wrapper = [
    'import resource, runpy, sys',
    'sys.argv = sys.argv[1:]',
    "runpy.run_path(sys.argv[0], run_name='__main__')",
    "print('{\"peak_rss_mb\": %.1f}' % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))",
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', wrapper, YARDSTICK, FSDD, String(epochs), String(threads)], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: String(threads), ...env },
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`torch yardstick failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const lines = r.stdout.trim().split('\n');
  const figures = JSON.parse(lines[lines.length - 2]) as TorchFigures;
  const { peak_rss_mb } = JSON.parse(lines[lines.length - 1]) as { peak_rss_mb: number };
  return { ...figures, peak_rss_mb };
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
