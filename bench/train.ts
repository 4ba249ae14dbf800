/**
 * `npm run bench:train`: seconds per epoch for the seed network (config/seed-cnn.yaml with the
 * yardstick's optimizer, Adam 1e-3, batch 32, the 2,700 training clips of FSDD's official
 * split), inference clips/s on the 300 test clips (median of 5 passes, as the yardstick) and
 * peak memory (the process's `ru_maxrss`, as the yardstick reports its own), on the backend in
 * use, next to the PyTorch yardstick run before and after melbook in the same run (its speed
 * drifts on a shared VM, so both runs' epochs count), with ratios. Every figure is a median with
 * its min-max; a ratio's range pairs the extremes (min / max to max / min). Each epoch also prints its CPU seconds and the 1-minute load: wall
 * time that grows while CPU time stays flat is other processes taking the cores, not melbook.
 * Not a test: prints a table.
 *
 *   BENCH_EPOCHS=4 npm run bench:train        (default 3 timed epochs after one warm-up epoch)
 *   MELBOOK_THREADS=2 npm run bench:train     (wasm on 2 XNNPACK threads; default 1)
 *   BENCH_REPLICAS=2 npm run bench:train      (training.replicas: data-parallel over 2 worker threads; default 1)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadPipelineConfig } from '../src/config/pipeline';
import { preprocess } from '../src/stages/preprocess';
import { AudioDataset } from '../src/data/dataset';
import { buildModel, disposeModel } from '../src/model/model';
import { compileModel } from '../src/model/cnn';
import { useBackend, trainEpoch } from '../src/train/train';
import { ReplicaPool } from '../src/train/data-parallel';
import { BACKEND_NAMES } from '../src/model/backend';
import { FSDD, REPO, load1, measureTorch, median, ratioSpread, spread, table, torchAvailable, torchEpochSeconds, type Yardstick } from './peers';

export interface TrainFigures {
  backend: string;
  /** XNNPACK threads of the wasm backend (1 on other backends). */
  threads: number;
  /** Data-parallel replicas (worker threads) that computed the gradients; 1 = this thread. */
  replicas: number;
  epochSeconds: number[];
  /** Process CPU seconds (user + system, all threads) of each timed epoch. */
  epochCpuSeconds: number[];
  /** Clips/s of each of the 5 inference passes over the test split. */
  inferClipsPerSecondRuns: number[];
  inferClipsPerSecond: number;
  /** The process's high-water resident memory (`ru_maxrss`), MB. */
  peakRssMb: number;
  testAccuracy?: number;
}

/** Train the seed network for warm-up + `epochs` epochs and time them. */
export async function benchTrain(epochs: number, replicas = Number(process.env.BENCH_REPLICAS ?? 1)): Promise<TrainFigures> {
  const work = mkdtempSync(join(tmpdir(), 'melbook-bench-train-'));
  try {
    const config = loadPipelineConfig(resolve(REPO, 'config/seed-cnn.yaml'), {
      overrides: [`data.recordings=${FSDD}`, `preprocess.dir=${join(work, 'features')}`, 'split.validationFraction=0', 'training.backend=wasm', 'training.optimizer.type=adam', 'training.optimizer.learningRate=0.001'].filter((o) => !(process.env.MELBOOK_BACKEND && o.startsWith('training.backend'))),
    });
    const prep = await preprocess(config);
    const backend = await useBackend(config, undefined, () => undefined);
    const dataset = AudioDataset.open(prep.featureDir);
    const model = buildModel(config.model, dataset.inputShape, dataset.classNames.length, { seed: 0 });
    compileModel(model, { optimizer: config.training.optimizer, loss: config.training.loss, metrics: config.training.metrics });
    const ds = dataset.dataset('train', { batchSize: config.training.batchSize, seed: 0 });
    const backendName = BACKEND_NAMES.find((n) => n === backend.name) ?? 'cpu';
    const pool = replicas > 1 ? await ReplicaPool.start(model, { replicas, model: config.model, inputShape: [...dataset.inputShape], numClasses: dataset.classNames.length, seed: 0, loss: config.training.loss, metrics: config.training.metrics, backend: backendName }) : undefined;
    const times: number[] = [];
    const cpuTimes: number[] = [];
    for (let e = 0; e <= epochs; e++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const { loss, accuracy } = await trainEpoch(model, ds, pool);
      const s = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(c0);
      const cpuS = (c.user + c.system) / 1e6;
      if (e > 0) {
        times.push(s);
        cpuTimes.push(cpuS);
      }
      process.stderr.write(`melbook epoch ${e === 0 ? 'warm-up' : e}: ${s.toFixed(2)} s wall, ${cpuS.toFixed(2)} s CPU, load ${load1().toFixed(2)} (${dataset.size('train')} clips, loss ${loss.toFixed(3)}, acc ${accuracy.toFixed(3)})\n`);
    }
    await pool?.close();
    const { inferRuns, testAccuracy } = timeInference(model, dataset);
    disposeModel(model);
    const threads = backend.name === 'wasm' ? wasmThreads() : 1;
    return { backend: backend.name, threads, replicas, epochSeconds: times, epochCpuSeconds: cpuTimes, inferClipsPerSecondRuns: inferRuns, inferClipsPerSecond: median(inferRuns), peakRssMb: process.resourceUsage().maxRSS / 1024, testAccuracy };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Clips/s of 5 passes over the test split (the yardstick's protocol) and the accuracy. */
function timeInference(model: tf.LayersModel, dataset: AudioDataset): { inferRuns: number[]; testAccuracy: number } {
  const { xs, ys } = dataset.load('test');
  const truth = ys.dataSync();
  const inferRuns: number[] = [];
  let predicted: ArrayLike<number> = [];
  for (let run = 0; run < 5; run++) {
    const t0 = performance.now();
    predicted = tf.tidy(() => (model.predict(xs, { batchSize: truth.length }) as tf.Tensor).argMax(-1).dataSync());
    inferRuns.push(truth.length / ((performance.now() - t0) / 1000));
  }
  let correct = 0;
  for (let i = 0; i < truth.length; i++) if (predicted[i] === truth[i]) correct++;
  tf.dispose([xs, ys]);
  return { inferRuns, testAccuracy: correct / truth.length };
}

function wasmThreads(): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm')).getThreadsCount();
}

async function main(): Promise<void> {
  const epochs = Number(process.env.BENCH_EPOCHS ?? 3);
  // The yardstick runs before and after melbook (its speed drifts on a shared VM); every one of
  // its epochs counts in its median (min-max).
  const yard: Yardstick = { epochs: Math.max(2, epochs), threads: 2, unavailable: torchAvailable(), runs: [], problems: [] };
  measureTorch(yard, 'before melbook');
  const ours = await benchTrain(epochs);
  measureTorch(yard, 'after melbook');
  const torchEpochs = torchEpochSeconds(yard);
  const torchInfer = yard.runs.map((r) => 300 / r.infer_300_s);
  const torchRss = yard.runs.map((r) => r.peak_rss_mb);
  const rows: (string | number)[][] = [['', 'melbook', 'PyTorch', 'ratio melbook / PyTorch, median (min-max)']];
  rows.push(['seconds per epoch, median (min-max)', spread(ours.epochSeconds), spread(torchEpochs), ratioSpread(ours.epochSeconds, torchEpochs)]);
  rows.push(['CPU seconds per epoch, median (min-max)', spread(ours.epochCpuSeconds), 'n/a', 'n/a']);
  rows.push(['inference clips/s, median of 5 (min-max)', spread(ours.inferClipsPerSecondRuns, 0), spread(torchInfer, 0), ratioSpread(ours.inferClipsPerSecondRuns, torchInfer)]);
  rows.push(['peak resident memory (ru_maxrss), MB', ours.peakRssMb.toFixed(0), spread(torchRss, 0), ratioSpread([ours.peakRssMb], torchRss)]);
  console.log(`\nSeed network (config/seed-cnn.yaml), batch 32, 2,700 training clips of [64, 63, 1]; ${availableParallelism()} cores, node ${process.version}`);
  console.log(`melbook: backend ${ours.backend} on ${ours.threads} thread(s), training on ${ours.replicas === 1 ? 'this thread' : `${ours.replicas} data-parallel replicas (worker threads)`}, tfjs ${tf.version.tfjs}, ${ours.epochSeconds.length} timed epochs after 1 warm-up`);
  const run = yard.runs[0];
  if (run) console.log(`PyTorch: torch ${run.torch}, ${run.threads} threads, ${yard.runs.length} runs of ${yard.epochs} epochs (before and after melbook): ${torchEpochs.map((e) => e.toFixed(2)).join(', ')} s`);
  console.log(`1-minute load at the end: ${load1().toFixed(2)} (figures are comparable only below ${availableParallelism()})`);
  console.log(table(rows));
  if (yard.unavailable) console.log(`PyTorch not measured: ${yard.unavailable}`);
  for (const p of yard.problems) console.log(`PyTorch run failed: ${p}`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
