/**
 * `npm run bench:features`: preprocessing all of FSDD (decode, log-mel, .npy writing, manifest)
 * in files/s, median of several cold runs into fresh folders, next to torchaudio's throughput
 * measured in the same run with the yardstick's settings. Not a test: prints a table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { preprocess } from '../src/stages/preprocess';
import { pipelineConfig } from '../src/config/pipeline';
import { FSDD, median, runTorch, table, torchAvailable } from './peers';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

/** Cold (fresh feature folder) and cached preprocessing of all of FSDD, files/s per run. */
export async function benchPreprocess(runs: number): Promise<{ cold: number[]; cached: number[]; workers: number; peakRssMb: number }> {
  const cold: number[] = [];
  const cached: number[] = [];
  let workers = 0;
  let peak = process.memoryUsage().rss;
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'melbook-bench-'));
    const config = pipelineConfig({ data: { recordings: FSDD }, preprocess: { dir } });
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

async function main(): Promise<void> {
  const ours = await benchPreprocess(RUNS);
  const why = torchAvailable();
  const torch: number[] = [];
  if (!why) {
    for (let i = 0; i < Math.min(RUNS, 3); i++) {
      const f = runTorch(1);
      torch.push(f.prep_files_per_s);
      process.stderr.write(`torchaudio run ${i + 1}: ${f.prep_files_per_s} files/s\n`);
    }
  }
  const m = median(ours.cold);
  const rows: (string | number)[][] = [['', 'files/s (median)', 'runs', 'ratio vs torchaudio']];
  rows.push(['melbook preprocess, cold (.npy written)', m.toFixed(0), RUNS, torch.length ? (m / median(torch)).toFixed(2) : 'n/a']);
  rows.push(['melbook preprocess, cached rerun', median(ours.cached).toFixed(0), RUNS, torch.length ? (median(ours.cached) / median(torch)).toFixed(2) : 'n/a']);
  if (torch.length) rows.push(['torchaudio (torch_fsdd.py, no files written)', median(torch).toFixed(0), torch.length, '1.00']);
  console.log(`\nPreprocessing all of FSDD (3,000 clips, 1.0 s at 8 kHz -> 64x63 log-mel), ${ours.workers} workers on ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}`);
  console.log(table(rows));
  if (why) console.log(`torchaudio not measured: ${why}`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
