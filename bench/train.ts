/**
 * `npm run bench:train`: seconds per epoch for the seed network (config/seed-cnn.yaml, batch 32,
 * the 2,700 training clips of FSDD's official split), inference clips/s on the 300 test clips
 * and peak memory, on the backend in use, next to the PyTorch yardstick measured in the same
 * run, with ratios. Medians over epochs (and runs of the yardstick). Not a test: prints a table.
 *
 *   BENCH_EPOCHS=4 npm run bench:train        (default 3 timed epochs after one warm-up epoch)
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
import { FSDD, REPO, median, runTorch, table, torchAvailable } from './peers';

export interface TrainFigures {
  backend: string;
  epochSeconds: number[];
  inferClipsPerSecond: number;
  peakRssMb: number;
  testAccuracy?: number;
}

/** Train the seed network for warm-up + `epochs` epochs and time them. */
export async function benchTrain(epochs: number): Promise<TrainFigures> {
  const work = mkdtempSync(join(tmpdir(), 'melbook-bench-train-'));
  try {
    const config = loadPipelineConfig(resolve(REPO, 'config/seed-cnn.yaml'), {
      overrides: [`data.recordings=${FSDD}`, `preprocess.dir=${join(work, 'features')}`, 'split.validationFraction=0', 'training.backend=wasm'].filter((o) => !(process.env.MELBOOK_BACKEND && o.startsWith('training.backend'))),
    });
    const prep = await preprocess(config);
    const backend = await useBackend(config, undefined, () => undefined);
    const dataset = AudioDataset.open(prep.featureDir);
    const model = buildModel(config.model, dataset.inputShape, dataset.classNames.length, { seed: 0 });
    compileModel(model, { optimizer: config.training.optimizer, loss: config.training.loss, metrics: config.training.metrics });
    const ds = dataset.dataset('train', { batchSize: config.training.batchSize, seed: 0 });
    let peak = process.memoryUsage().rss;
    const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 200);
    const times: number[] = [];
    for (let e = 0; e <= epochs; e++) {
      const t0 = performance.now();
      const { loss, accuracy } = await trainEpoch(model, ds);
      const s = (performance.now() - t0) / 1000;
      if (e > 0) times.push(s);
      process.stderr.write(`melbook epoch ${e === 0 ? 'warm-up' : e}: ${s.toFixed(2)} s (${dataset.size('train')} clips, loss ${loss.toFixed(3)}, acc ${accuracy.toFixed(3)})\n`);
    }
    const { xs, ys } = dataset.load('test');
    const t0 = performance.now();
    const probs = model.predict(xs, { batchSize: 300 }) as tf.Tensor;
    const predicted = probs.argMax(-1).dataSync();
    const inferS = (performance.now() - t0) / 1000;
    const truth = ys.dataSync();
    let correct = 0;
    for (let i = 0; i < truth.length; i++) if (predicted[i] === truth[i]) correct++;
    const acc = correct / truth.length;
    tf.dispose([xs, ys, probs]);
    clearInterval(sample);
    disposeModel(model);
    return { backend: backend.name, epochSeconds: times, inferClipsPerSecond: truth.length / inferS, peakRssMb: Math.max(peak, process.memoryUsage().rss) / 2 ** 20, testAccuracy: acc };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const epochs = Number(process.env.BENCH_EPOCHS ?? 3);
  const ours = await benchTrain(epochs);
  const why = torchAvailable();
  const torch = why ? undefined : runTorch(Math.max(2, epochs));
  const m = median(ours.epochSeconds);
  const rows: (string | number)[][] = [['', 'melbook', 'PyTorch', 'ratio (melbook / PyTorch)']];
  rows.push(['seconds per epoch (median)', m.toFixed(2), torch ? torch.epoch_s_median.toFixed(2) : 'n/a', torch ? (m / torch.epoch_s_median).toFixed(2) : 'n/a']);
  const torchInfer = torch ? 300 / torch.infer_300_s : undefined;
  rows.push(['inference clips/s', ours.inferClipsPerSecond.toFixed(0), torchInfer ? torchInfer.toFixed(0) : 'n/a', torchInfer ? (ours.inferClipsPerSecond / torchInfer).toFixed(2) : 'n/a']);
  rows.push(['peak resident memory, MB', ours.peakRssMb.toFixed(0), torch ? torch.peak_rss_mb.toFixed(0) : 'n/a', torch ? (ours.peakRssMb / torch.peak_rss_mb).toFixed(2) : 'n/a']);
  console.log(`\nSeed network (config/seed-cnn.yaml), batch 32, 2,700 training clips of [64, 63, 1]; ${availableParallelism()} cores, node ${process.version}`);
  console.log(`melbook: backend ${ours.backend}, tfjs ${tf.version.tfjs}, ${ours.epochSeconds.length} timed epochs after 1 warm-up`);
  if (torch) console.log(`PyTorch: torch ${torch.torch}, ${torch.threads} threads, ${torch.epochs} epochs`);
  console.log(table(rows));
  if (why) console.log(`PyTorch not measured: ${why}`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
