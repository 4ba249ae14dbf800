/**
 * `npm run bench`: one table of melbook against the PyTorch + torchaudio yardstick, both
 * measured in this run on this machine: preprocessing files/s, training seconds per epoch
 * (seed network), inference clips/s and peak memory, with ratios. Medians (min-max) over several
 * runs on both sides.
 *
 *   npm run bench                       (training on one thread, the default)
 *   BENCH_REPLICAS=2 npm run bench      (training.replicas: 2 data-parallel worker threads)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { benchPreprocess } from './features';
import { benchTrain } from './train';
import { load1, ratioSpread, runTorch, spread, table, torchAvailable } from './peers';

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
  const all = (f: (x: (typeof torchRuns)[number]) => number[]) => torchRuns.flatMap(f);
  const torchPrep = all((x) => [x.prep_files_per_s]);
  const torchEpochs = all((x) => (x.epoch_s.length > 0 ? x.epoch_s : [x.epoch_s_median]));
  const torchInfer = all((x) => [300 / x.infer_300_s]);
  const torchRss = all((x) => [x.peak_rss_mb]);
  const memOurs = Math.max(prep.peakRssMb, train.peakRssMb);
  // Every cell a median (min-max); a ratio's range pairs the extremes (min / max to max / min).
  const rows: (string | number)[][] = [['', 'melbook', 'PyTorch', 'ratio melbook/PyTorch', 'better']];
  rows.push(['preprocess FSDD, files/s (both write .npy files)', spread(prep.cold, 0), spread(torchPrep, 0), ratioSpread(prep.cold, torchPrep), 'higher']);
  rows.push(['train seed CNN (Adam 1e-3), s/epoch', `${spread(train.epochSeconds)}; CPU ${spread(train.epochCpuSeconds)}`, spread(torchEpochs), ratioSpread(train.epochSeconds, torchEpochs), 'lower']);
  rows.push(['inference, clips/s (median of 5)', spread(train.inferClipsPerSecondRuns, 0), spread(torchInfer, 0), ratioSpread(train.inferClipsPerSecondRuns, torchInfer), 'higher']);
  rows.push(['peak resident memory (ru_maxrss), MB', memOurs.toFixed(0), spread(torchRss, 0), ratioSpread([memOurs], torchRss), 'lower']);
  console.log(`\nmelbook vs PyTorch on FSDD, ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'})`);
  console.log(`melbook: node ${process.version}, tfjs ${tf.version.tfjs}, backend ${train.backend} on ${train.threads} thread(s) (MELBOOK_THREADS), training on ${train.replicas} replica(s) (BENCH_REPLICAS), ${prep.workers} preprocess workers; medians (min-max) of ${runs} preprocess runs and ${train.epochSeconds.length} epochs`);
  if (torchRuns.length) console.log(`PyTorch: torch ${torchRuns[0].torch}, ${torchRuns[0].threads} threads; medians (min-max) over ${torchRuns.length} runs of ../shared/bench/torch_fsdd.py (every epoch of each), interleaved with melbook's`);
  console.log(table(rows));
  console.log(`1-minute load at the end: ${load1().toFixed(2)} (figures are comparable only below ${availableParallelism()})`);
  if (why) console.log(`PyTorch not measured: ${why}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
