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

async function main(): Promise<void> {
  const ours: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'melbook-bench-'));
    const config = pipelineConfig({ data: { recordings: FSDD }, preprocess: { dir } });
    const cold = await preprocess(config);
    ours.push(cold.filesPerSecond);
    warm.push((await preprocess(config)).filesPerSecond);
    rmSync(dir, { recursive: true, force: true });
    process.stderr.write(`melbook run ${i + 1}/${RUNS}: ${cold.filesPerSecond.toFixed(0)} files/s cold (${cold.written} written, ${cold.workers} workers)\n`);
  }
  const why = torchAvailable();
  const torch: number[] = [];
  if (!why) {
    for (let i = 0; i < Math.min(RUNS, 3); i++) {
      const f = runTorch(1);
      torch.push(f.prep_files_per_s);
      process.stderr.write(`torchaudio run ${i + 1}: ${f.prep_files_per_s} files/s\n`);
    }
  }
  const m = median(ours);
  const rows: (string | number)[][] = [['', 'files/s (median)', 'runs', 'ratio vs torchaudio']];
  rows.push(['melbook preprocess, cold (.npy written)', m.toFixed(0), RUNS, torch.length ? (m / median(torch)).toFixed(2) : 'n/a']);
  rows.push(['melbook preprocess, cached rerun', median(warm).toFixed(0), RUNS, torch.length ? (median(warm) / median(torch)).toFixed(2) : 'n/a']);
  if (torch.length) rows.push(['torchaudio (torch_fsdd.py, no files written)', median(torch).toFixed(0), torch.length, '1.00']);
  console.log(`\nPreprocessing all of FSDD (3,000 clips, 1.0 s at 8 kHz -> 64x63 log-mel), ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}`);
  console.log(table(rows));
  if (why) console.log(`torchaudio not measured: ${why}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
