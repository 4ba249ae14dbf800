/**
 * `npm run bench:augment`: what the robust config's augmentation costs. Seconds per training
 * epoch of the same network on the same 2,700 clips (FSDD's official split), without augmentation
 * (config/default.yaml) and with config/robust.yaml's (waveform copies, time shift, SpecAugment,
 * per-utterance normalisation, silence trimming, mixup if set), measured in one run, alternating
 * A B A B so that machine noise hits both; plus the one-off preprocessing cost of the copies.
 * Issue 6 allows at most 25 % more time per epoch. Not a test: prints a table.
 *
 *   BENCH_EPOCHS=3 BENCH_ROUNDS=2 npm run bench:augment
 *   BENCH_SET='preprocess.augment.pitch.probability=0.5' npm run bench:augment
 *     (extra `--set` overrides for the augmented side, separated by ';': a recipe from a sweep)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { loadPipelineConfig, type PipelineConfig } from '../src/config/pipeline';
import { preprocess, type PreprocessResult } from '../src/stages/preprocess';
import { AudioDataset } from '../src/data/dataset';
import { buildModel, disposeModel } from '../src/model/model';
import { compileModel } from '../src/model/cnn';
import { useBackend, trainEpoch, trainingDatasets } from '../src/train/train';
import { FSDD, REPO, median, table } from './peers';

interface Side {
  name: string;
  config: PipelineConfig;
  prep?: PreprocessResult;
  epochs: number[];
}

function load(file: string, work: string, name: string, extra: string[] = []): PipelineConfig {
  return loadPipelineConfig(resolve(REPO, file), {
    overrides: [`data.recordings=${FSDD}`, `preprocess.dir=${join(work, name)}`, 'split.mode=official', 'split.validationFraction=0.1', 'training.backend=wasm', ...extra],
  });
}

/** BENCH_SET's overrides for the augmented side. */
const EXTRA = (process.env.BENCH_SET ?? '').split(';').map((o) => o.trim()).filter((o) => o.length > 0);

async function timeEpochs(side: Side, epochs: number): Promise<void> {
  const dataset = AudioDataset.fromPreprocess(side.prep!);
  const t = side.config.training;
  const { trainDs, loss } = trainingDatasets(dataset, t);
  const model = buildModel(side.config.model, dataset.inputShape, dataset.classNames.length, { seed: 0 });
  compileModel(model, { optimizer: t.optimizer, loss, metrics: t.metrics });
  for (let e = 0; e <= epochs; e++) {
    const t0 = performance.now();
    await trainEpoch(model, trainDs);
    const s = (performance.now() - t0) / 1000;
    if (e > 0) side.epochs.push(s);
    process.stderr.write(`${side.name} epoch ${e === 0 ? 'warm-up' : e}: ${s.toFixed(2)} s\n`);
  }
  disposeModel(model);
}

async function main(): Promise<void> {
  const epochs = Number(process.env.BENCH_EPOCHS ?? 3);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
  const work = mkdtempSync(join(tmpdir(), 'melbook-bench-augment-'));
  try {
    const sides: Side[] = [
      { name: 'default (no augmentation)', config: load('config/default.yaml', work, 'plain'), epochs: [] },
      { name: `robust (augmented)${EXTRA.length ? ` + ${EXTRA.join(' ')}` : ''}`, config: load('config/robust.yaml', work, 'robust', EXTRA), epochs: [] },
    ];
    for (const side of sides) {
      side.prep = await preprocess(side.config);
      process.stderr.write(`${side.name}: preprocessed ${side.prep.total} files (+ ${side.prep.metadata.augment?.copies ?? 0} copies each) in ${side.prep.seconds.toFixed(1)} s\n`);
    }
    const backend = await useBackend(sides[0].config, undefined, () => undefined);
    for (let r = 0; r < rounds; r++) for (const side of sides) await timeEpochs(side, epochs);
    const [a, b] = sides.map((s) => median(s.epochs));
    const clips = sides[0].prep!.metadata.counts.bySplit.train;
    console.log(`\nSeed network, batch 32, ${clips} training clips; backend ${backend.name}; ${availableParallelism()} cores; ${rounds} rounds of ${epochs} timed epochs each, alternating`);
    console.log(table([
      ['', 'default', 'robust', 'ratio robust / default'],
      ['seconds per epoch (median)', a.toFixed(2), b.toFixed(2), (b / a).toFixed(2)],
      ['preprocessing all of FSDD, s (once)', sides[0].prep!.seconds.toFixed(1), sides[1].prep!.seconds.toFixed(1), (sides[1].prep!.seconds / sides[0].prep!.seconds).toFixed(1)],
    ]));
    console.log(`epoch time ${b / a <= 1.25 ? 'within' : 'OVER'} issue 6's budget of +25 % (${(100 * (b / a - 1)).toFixed(1)} %)`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
