/**
 * `npm run bench:features`: preprocessing all of FSDD (decode, log-mel, .npy writing, manifest)
 * in files/s, fresh extraction into new folders (never a cached rerun), next to torchaudio's
 * throughput measured in the same run with the yardstick's settings and writing its own .npy
 * per clip (YARD_SAVE_NPY). Each side runs at 1 and 2 workers and is compared at its best;
 * median (min-max) of the runs. Not a test: prints a table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { preprocess } from '../src/stages/preprocess';
import { pipelineConfig } from '../src/config/pipeline';
import { FSDD, load1, median, runTorch, spread, table, torchAvailable } from './peers';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

/** Cold (fresh feature folder) and cached preprocessing of all of FSDD, files/s per run. */
export async function benchPreprocess(runs: number, workerCount = 0): Promise<{ cold: number[]; cached: number[]; workers: number; peakRssMb: number }> {
  const cold: number[] = [];
  const cached: number[] = [];
  let workers = 0;
  let peak = process.memoryUsage().rss;
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'melbook-bench-'));
    const config = pipelineConfig({ data: { recordings: FSDD }, preprocess: { dir, workers: workerCount } });
    const first = await preprocess(config);
    cold.push(first.filesPerSecond);
    workers = first.workers;
    cached.push((await preprocess(config)).filesPerSecond);
    peak = Math.max(peak, process.memoryUsage().rss);
    rmSync(dir, { recursive: true, force: true });
    process.stderr.write(`melbook preprocess run ${i + 1}/${runs}: ${first.filesPerSecond.toFixed(0)} files/s cold (${first.written} written, ${first.workers} workers)\n`);
  }
  return { cold, cached, workers, peakRssMb: peak / 2 ** 20 };
}

/** The yardstick's preprocessing, writing one .npy per clip into a fresh folder, files/s per run. */
function torchPreprocess(runs: number, workers: number): number[] {
  return Array.from({ length: runs }, (_, i) => {
    const dir = mkdtempSync(join(tmpdir(), 'yard-npy-'));
    try {
      const f = runTorch(1, 2, { YARD_PREP_WORKERS: String(workers), YARD_SAVE_NPY: dir });
      process.stderr.write(`torchaudio run ${i + 1}/${runs}, ${workers} worker(s), .npy written: ${f.prep_files_per_s} files/s\n`);
      return f.prep_files_per_s;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** The worker count whose median is highest, and its runs. */
function best(byWorkers: Map<number, number[]>): { workers: number; runs: number[] } {
  const [workers, runs] = [...byWorkers].sort((a, b) => median(b[1]) - median(a[1]))[0];
  return { workers, runs };
}

async function main(): Promise<void> {
  const ours = new Map<number, number[]>();
  for (const w of [1, 2]) ours.set(w, (await benchPreprocess(RUNS, w)).cold);
  const why = torchAvailable();
  const torch = new Map<number, number[]>();
  if (!why) for (const w of [1, 2]) torch.set(w, torchPreprocess(Math.min(RUNS, 3), w));
  const rows: (string | number)[][] = [['', 'workers', 'files/s, median (min-max)', 'runs']];
  for (const [w, runs] of ours) rows.push(['melbook preprocess, fresh folder, .npy written', w, spread(runs, 0), runs.length]);
  for (const [w, runs] of torch) rows.push(['torchaudio (torch_fsdd.py), .npy written', w, spread(runs, 0), runs.length]);
  const a = best(ours);
  console.log(`\nPreprocessing all of FSDD (3,000 clips, 1.0 s at 8 kHz -> 64x63 log-mel) on ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}, load ${load1().toFixed(2)}`);
  console.log(table(rows));
  if (torch.size) {
    const b = best(torch);
    console.log(`best against best: melbook ${median(a.runs).toFixed(0)} files/s (${a.workers} workers) / torchaudio ${median(b.runs).toFixed(0)} files/s (${b.workers} workers) = ${(median(a.runs) / median(b.runs)).toFixed(2)}`);
  }
  if (why) console.log(`torchaudio not measured: ${why}`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
