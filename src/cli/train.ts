/** `melbook train`, `melbook predict`, `melbook runs`: the training side of the command line. */
import { loadPipelineConfig } from '../config/pipeline';
import { trainStage } from '../stages/train';
import { leaveOneSpeakerOut, formatLoso } from '../stages/loso';
import { evaluateEnsemble, formatEnsemble, losoSeedEnsemble, trainSeedEnsemble } from '../stages/ensemble';
import { Predictor } from '../train/predict';
import { Ensemble } from '../train/ensemble';
import { useBackend } from '../train/train';
import { Tracker } from '../tracking/tracker';
import { formatRunsTable, formatRunsComparison } from '../tracking/format';

/** `--seeds 0,1` or `--tta 0.9,1,1.1` as numbers; '' is none (an item that is not a number becomes NaN, which the caller rejects). */
function numberList(text: string): number[] {
  return text.split(',').filter((item) => item.trim() !== '').map((item) => Number(item.trim()));
}

/** The ensemble's seeds: `--seeds` when given, else the config's `evaluation.seeds` ([] = one model). */
function seedsOf(cli: string | undefined, config: { evaluation: { seeds: number[] } }): number[] {
  return cli !== undefined ? numberList(cli) : config.evaluation.seeds;
}

export async function trainCommand(opts: { config: string; set: string[]; runName?: string; seeds?: string }): Promise<number> {
  const overrides = [...opts.set];
  if (opts.runName) overrides.push(`tracking.runName=${JSON.stringify(opts.runName)}`);
  const config = loadPipelineConfig(opts.config, { overrides });
  const seeds = seedsOf(opts.seeds, config);
  if (seeds.length > 0) {
    const { seeds: runs, ensemble } = await trainSeedEnsemble({ config, configFile: opts.config, seeds });
    for (const [i, r] of runs.entries()) console.log(`run ${r.runId} (seed ${seeds[i]}): test accuracy ${(100 * r.evaluation.accuracy).toFixed(1)} %; model in ${r.runDir}/artifacts/model`);
    console.log(formatEnsemble(ensemble));
    return 0;
  }
  const result = await trainStage({ config, configFile: opts.config });
  console.log(`run ${result.runId} finished: test accuracy ${(100 * result.evaluation.accuracy).toFixed(1)} %; model in ${result.runDir}/artifacts/model`);
  return 0;
}

export async function predictCommand(modelDir: string, files: string[], opts: { top: string; json?: boolean; backend?: string; tta?: string }): Promise<number> {
  const speedFactors = numberList(opts.tta ?? '1');
  const config = loadPipelineConfig('/dev/null', { overrides: opts.backend ? [`training.backend=${opts.backend}`] : [] });
  await useBackend(config, undefined, () => undefined);
  // Several model folders joined by commas are one ensemble (the mean of their probabilities).
  const dirs = modelDir.split(',').map((d) => d.trim()).filter(Boolean);
  const predictor = dirs.length > 1 ? await Ensemble.load(dirs) : await Predictor.load(dirs[0] ?? modelDir);
  try {
    const predictions = await predictor.predict(files, Number(opts.top), speedFactors);
    if (opts.json) console.log(JSON.stringify(predictions, null, 2));
    else for (const p of predictions) console.log(`${p.file}: ${p.top.map((t) => `${t.class} ${(100 * t.probability).toFixed(1)} %`).join(', ')}`);
  } finally {
    predictor.dispose();
  }
  return 0;
}

export async function runsCommand(opts: { root: string; experiment?: string; metrics?: string }): Promise<number> {
  const tracker = new Tracker({ root: opts.root, gitCommit: null });
  const runs = await tracker.listRuns(opts.experiment);
  const metrics = opts.metrics ? opts.metrics.split(',').map((m) => m.trim()) : ['test_accuracy', 'val_accuracy', 'loss'];
  console.log(runs.length === 0 ? `no runs under ${opts.root}` : formatRunsTable(runs, metrics));
  return 0;
}

export async function compareCommand(ids: string[], opts: { root: string }): Promise<number> {
  const tracker = new Tracker({ root: opts.root, gitCommit: null });
  const runs = await Promise.all(ids.map((id) => tracker.getRun(id)));
  console.log(formatRunsComparison(runs));
  return 0;
}

export async function evaluateCommand(opts: { config: string; set: string[]; loso?: boolean; speakers?: string; jobs?: string; ensemble?: string; tta?: string; seeds?: string }): Promise<number> {
  const config = loadPipelineConfig(opts.config, { overrides: opts.set });
  let speedFactors: number[] | undefined;
  if (opts.tta !== undefined) {
    speedFactors = numberList(opts.tta);
    if (speedFactors.some((f) => !(f > 0 && f <= 2))) {
      console.error(`melbook evaluate: --tta takes comma-separated speed factors in (0, 2], e.g. 0.9,1,1.1; got ${JSON.stringify(opts.tta)}`);
      return 2;
    }
  }
  if (opts.ensemble !== undefined) {
    const runIds = opts.ensemble.split(',').map((s) => s.trim()).filter(Boolean);
    const result = await evaluateEnsemble({ config, configFile: opts.config, runIds, speedFactors, loso: opts.loso });
    console.log(formatEnsemble(result));
    return 0;
  }
  if (opts.seeds !== undefined && !opts.loso) {
    console.error('melbook evaluate: --seeds goes with --loso (one leave-one-speaker-out run per seed, then their ensemble)');
    return 2;
  }
  const seeds = seedsOf(opts.seeds, config);
  if (opts.tta !== undefined && seeds.length === 0) {
    console.error('melbook evaluate: --tta applies to --ensemble and to seed ensembles (--seeds or evaluation.seeds; an ensemble of one seed is that run with test-time augmentation)');
    return 2;
  }
  if (!opts.loso) {
    console.error('melbook evaluate: pass --loso (train one fold per speaker) or --ensemble <run-ids> (score tracked runs as one model); the test split of a single run is evaluated by `melbook train` and notebooks/04-evaluate.ipynb');
    return 2;
  }
  const jobs = Number(opts.jobs ?? 1);
  if (!Number.isInteger(jobs) || jobs < 1) {
    console.error(`melbook evaluate: --jobs must be a whole number of folds >= 1, got ${JSON.stringify(opts.jobs)}`);
    return 2;
  }
  const speakers = opts.speakers?.split(',').map((s) => s.trim());
  if (seeds.length > 0) {
    const { seeds: runs, ensemble } = await losoSeedEnsemble({ config, configFile: opts.config, seeds, jobs, speakers, speedFactors });
    for (const r of runs) console.log(formatLoso(r));
    console.log(formatEnsemble(ensemble));
    return 0;
  }
  const result = await leaveOneSpeakerOut({ config, configFile: opts.config, jobs, speakers });
  console.log(formatLoso(result));
  return 0;
}
