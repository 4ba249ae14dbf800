/**
 * `npm run bench:ensemble-sizes -- [--loso P,P,...] [--runs R,R,...]`: how reliable a k-seed
 * ensemble is. Given tracked runs of one config that differ only in their seed (LOSO parent runs
 * from `melbook evaluate --loso`, training runs from `melbook train`), it scores every subset of
 * every size k as one model, exactly as `melbook evaluate --ensemble` would (the mean of the
 * members' probabilities, each clip at the test-time speed factors), and prints per k: how many
 * subsets, their mean, range and how many reach the targets. Each model classifies its clips once;
 * the subsets only average. Tracks nothing and writes nothing. Not a test: prints tables.
 *
 *   npm run bench:ensemble-sizes -- --config config/robust.yaml --loso P0,P1,P2,P3,P4,P5 \
 *     --runs R0,R1,R2,R3,R4,R5 --set data.recordings=../shared/fsdd/recordings
 *
 * Options: --config (config/robust.yaml) for the data, the split and the runs store; --set k=v
 * (repeatable); --tta 0.9,1,1.1 (default evaluation.speedFactors); --loso-target 0.85,
 * --floor 0.70, --test-target 0.99.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { loadPipelineConfig } from '../src/config/pipeline';
import { preprocess } from '../src/stages/preprocess';
import { losoMembers, modelDirOf, sourcesOf } from '../src/stages/evaluate-ensemble';
import { summarizeFolds } from '../src/stages/loso-report';
import { AudioDataset } from '../src/data/dataset';
import type { ManifestEntry } from '../src/data/manifest';
import { Predictor, checkSpeedFactors } from '../src/train/predict';
import { scoreProbabilities } from '../src/train/evaluate';
import { useBackend } from '../src/train/train';
import { Tracker } from '../src/tracking/tracker';
import { REPO, table } from './peers';

/** Every k-element subset of [0, n), in lexicographic order. */
function subsets(n: number, k: number): number[][] {
  const out: number[][] = [];
  const pick = (start: number, chosen: number[]): void => {
    if (chosen.length === k) { out.push(chosen); return; }
    for (let i = start; i < n; i++) pick(i + 1, [...chosen, i]);
  };
  pick(0, []);
  return out;
}

function mean(probs: Float32Array[], members: number[]): Float32Array {
  const sum = new Float32Array(probs[members[0]].length);
  for (const m of members) for (let i = 0; i < sum.length; i++) sum[i] += probs[m][i] / members.length;
  return sum;
}

/** Each model's probabilities on `entries`' recordings, averaged over the speed factors. */
async function probabilitiesOf(modelDir: string, dataset: AudioDataset, entries: readonly ManifestEntry[], speedFactors: number[]): Promise<Float32Array> {
  const predictor = await Predictor.load(modelDir);
  try {
    return await predictor.probabilities(sourcesOf(dataset, entries), speedFactors);
  } finally {
    predictor.dispose();
  }
}

const pct = (x: number) => (100 * x).toFixed(2);

/** Rows of one shape as a table, the first row's keys as the header. */
function tableOf(rows: Record<string, string | number>[]): string {
  const keys = Object.keys(rows[0]);
  return table([keys, ...rows.map((r) => keys.map((k) => r[k]))]);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string', default: 'config/robust.yaml' }, set: { type: 'string', multiple: true, default: [] },
      loso: { type: 'string', default: '' }, runs: { type: 'string', default: '' }, tta: { type: 'string' },
      'loso-target': { type: 'string', default: '0.85' }, floor: { type: 'string', default: '0.70' }, 'test-target': { type: 'string', default: '0.99' },
    },
  });
  const config = loadPipelineConfig(resolve(REPO, values.config!), { overrides: values.set });
  const speedFactors = values.tta ? values.tta.split(',').map(Number) : config.evaluation.speedFactors;
  checkSpeedFactors(speedFactors);
  const ids = (list: string) => list.split(',').filter((s) => s.length > 0);
  const [losoTarget, floor, testTarget] = [Number(values['loso-target']), Number(values.floor), Number(values['test-target'])];
  const tracker = new Tracker({ root: config.tracking.root });
  await useBackend(config);
  const dataset = AudioDataset.fromPreprocess(await preprocess({ ...config }));
  const entries = (['train', 'validation', 'test'] as const).flatMap((split) => dataset.entries(split));
  console.log(`test-time speed factors [${speedFactors.join(', ')}]`);

  const parents = ids(values.loso!);
  if (parents.length > 0) {
    const members = await losoMembers(tracker, config.tracking.experiment, parents);
    // probs[speaker][parent]: each fold model once.
    const probs = new Map<string, Float32Array[]>();
    const own = new Map(members.speakers.map((s) => [s, entries.filter((e) => e.speaker === s)]));
    for (const speaker of members.speakers) {
      const runs = members.folds.get(speaker)!;
      const list: Float32Array[] = [];
      for (const run of runs) list.push(await probabilitiesOf(await modelDirOf(tracker, run), dataset, own.get(speaker)!, speedFactors));
      probs.set(speaker, list);
      process.stderr.write(`${speaker}: ${runs.length} fold models scored\n`);
    }
    const rows: Record<string, string | number>[] = [];
    for (let k = 1; k <= parents.length; k++) {
      const results = subsets(parents.length, k).map((subset) => {
        const accuracies = members.speakers.map((s) => scoreProbabilities(mean(probs.get(s)!, subset), own.get(s)!, dataset.classNames, 'test').accuracy);
        return { accuracies, ...summarizeFolds(accuracies) };
      });
      const means = results.map((r) => r.mean);
      rows.push({
        seeds: k, subsets: results.length, 'mean of means %': pct(summarizeFolds(means).mean),
        'range %': `${pct(Math.min(...means))} to ${pct(Math.max(...means))}`,
        [`mean >= ${pct(losoTarget)} %`]: results.filter((r) => r.mean >= losoTarget - 1e-9).length,
        [`every speaker >= ${pct(floor)} %`]: results.filter((r) => r.min >= floor - 1e-9).length,
        ...Object.fromEntries(members.speakers.map((s, i) => [s, pct(summarizeFolds(results.map((r) => r.accuracies[i])).mean)])),
      });
    }
    console.log(`\nleave-one-speaker-out, every subset of ${parents.length} LOSO runs\n${tableOf(rows)}`);
  }

  const runIds = ids(values.runs!);
  if (runIds.length > 0) {
    const test = dataset.entries('test');
    const probs: Float32Array[] = [];
    for (const id of runIds) probs.push(await probabilitiesOf(await modelDirOf(tracker, id), dataset, test, speedFactors));
    const rows: Record<string, string | number>[] = [];
    for (let k = 1; k <= runIds.length; k++) {
      const accuracies = subsets(runIds.length, k).map((subset) => scoreProbabilities(mean(probs, subset), test, dataset.classNames, 'test').accuracy);
      rows.push({
        seeds: k, subsets: accuracies.length, 'mean %': pct(summarizeFolds(accuracies).mean),
        'range %': `${pct(Math.min(...accuracies))} to ${pct(Math.max(...accuracies))}`,
        [`>= ${pct(testTarget)} %`]: accuracies.filter((a) => a >= testTarget - 1e-9).length,
      });
    }
    console.log(`\ntest split (${test.length} clips), every subset of ${runIds.length} training runs\n${tableOf(rows)}`);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
