/**
 * `npm run bench`: one table of melbook against the PyTorch + torchaudio yardstick, both
 * measured in this run on this machine: preprocessing files/s, training seconds per epoch
 * (seed network), inference clips/s and peak memory, with ratios. Medians over several runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { benchPreprocess } from './features';
import { benchTrain } from './train';
import { load1, median, runTorch, spread, table, torchAvailable } from './peers';

async function main(): Promise<void> {
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const epochs = Number(process.env.BENCH_EPOCHS ?? 3);
  const why = torchAvailable();
  // Interleaved (PyTorch, melbook, PyTorch...) so that a change in the machine's load hits both
  // sides; the yardstick writes its .npy files as melbook does, in its faster one-process loop.
  const torchRuns: ReturnType<typeof runTorch>[] = [];
  const torchRun = (i: number) => {
    if (why) return;
    process.stderr.write(`PyTorch yardstick run ${i + 1}/${runs} (${epochs} epochs), load ${load1().toFixed(2)}\n`);
    const dir = mkdtempSync(join(tmpdir(), 'yard-npy-'));
    try {
      torchRuns.push(runTorch(epochs, 2, { YARD_SAVE_NPY: dir }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  torchRun(0);
  const prep = await benchPreprocess(runs);
  const train = await benchTrain(epochs);
  for (let i = 1; i < runs; i++) torchRun(i);
  const t = (f: (x: (typeof torchRuns)[number]) => number) => (torchRuns.length ? median(torchRuns.map(f)) : undefined);
  const ratio = (a: number, b?: number) => (b ? (a / b).toFixed(2) : 'n/a');
  const fmt = (x: number | undefined, d = 0) => (x === undefined ? 'n/a' : x.toFixed(d));
  const rows: (string | number)[][] = [['', 'melbook', 'PyTorch', 'ratio melbook/PyTorch', 'better']];
  const prepOurs = median(prep.cold);
  const prepTorch = t((x) => x.prep_files_per_s);
  rows.push(['preprocess FSDD, files/s (both write .npy files)', fmt(prepOurs), fmt(prepTorch), ratio(prepOurs, prepTorch), 'higher']);
  const epochOurs = median(train.epochSeconds);
  const epochTorch = t((x) => x.epoch_s_median);
  rows.push(['train seed CNN (Adam 1e-3), s/epoch', `${spread(train.epochSeconds)}; CPU ${spread(train.epochCpuSeconds)}`, fmt(epochTorch, 2), ratio(epochOurs, epochTorch), 'lower']);
  const inferTorch = t((x) => 300 / x.infer_300_s);
  rows.push(['inference, clips/s (median of 5)', spread(train.inferClipsPerSecondRuns, 0), fmt(inferTorch), ratio(train.inferClipsPerSecond, inferTorch), 'higher']);
  const memOurs = Math.max(prep.peakRssMb, train.peakRssMb);
  const memTorch = t((x) => x.peak_rss_mb);
  rows.push(['peak resident memory (ru_maxrss), MB', fmt(memOurs), fmt(memTorch), ratio(memOurs, memTorch), 'lower']);
  console.log(`\nmelbook vs PyTorch on FSDD, ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'})`);
  console.log(`melbook: node ${process.version}, tfjs ${tf.version.tfjs}, backend ${train.backend} on ${train.threads} thread(s) (MELBOOK_THREADS), ${prep.workers} preprocess workers; medians of ${runs} preprocess runs and ${train.epochSeconds.length} epochs`);
  if (torchRuns.length) console.log(`PyTorch: torch ${torchRuns[0].torch}, ${torchRuns[0].threads} threads; medians of ${torchRuns.length} runs of ../shared/bench/torch_fsdd.py`);
  console.log(table(rows));
  console.log(`1-minute load at the end: ${load1().toFixed(2)} (figures are comparable only below ${availableParallelism()})`);
  if (why) console.log(`PyTorch not measured: ${why}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
