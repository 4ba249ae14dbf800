/**
 * `melbook evaluate --ensemble`: score several tracked training runs as one model (the mean of
 * their probabilities, optionally over test-time speed factors), in a new tracked run.
 * - On the config's test split: the runs are ordinary training runs (`melbook train`).
 * - With `loso`: the runs are leave-one-speaker-out parent runs. For each held-out speaker the
 *   fold models of every parent are averaged and tested on that speaker's clips; the new run is a
 *   LOSO parent run (tag `melbook.mode: loso`, one nested run per speaker), so `showLosoRuns` and
 *   the evaluate notebook list it next to single-seed LOSO runs.
 * Nothing is trained: the models are read from the runs' `artifacts/model`, and the clips are
 * read from the recordings with each model's own loading, features and normalisation.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { preprocess } from './preprocess';
import { summarizeFolds } from './loso-report';
import { AudioDataset } from '../data/dataset';
import type { ManifestEntry } from '../data/manifest';
import { Ensemble } from '../train/ensemble';
import { useBackend } from '../train/train';
import { checkSpeedFactors } from '../train/predict';
import { logEvaluation, scoreProbabilities, type Evaluation } from '../train/evaluate';
import { Tracker, withRun, type RunHandle } from '../tracking/tracker';
import type { PipelineConfig } from '../config/pipeline';
import { MelbookError } from '../errors';

export interface EnsembleOptions {
  /** Where the clips and the split come from (data, features, split, preprocess) and where the run goes (tracking). */
  config: PipelineConfig;
  configFile?: string;
  /** Training runs to average; with `loso`, LOSO parent runs. At least one. */
  runIds: string[];
  /** Test-time speed factors. Default `config.evaluation.speedFactors`. */
  speedFactors?: number[];
  loso?: boolean;
  log?: (line: string) => void;
}

export interface EnsembleFold {
  speaker: string;
  accuracy: number;
  count: number;
  /** The fold run of each parent, in the order of `runIds`. */
  members: string[];
  runId: string;
}

export interface EnsembleResult {
  runId: string;
  speedFactors: number[];
  /** Without `loso`: the test split's evaluation. */
  evaluation?: Evaluation;
  /** With `loso`: one fold per speaker, and their summary. */
  folds?: EnsembleFold[];
  mean?: number;
  std?: number;
  min?: number;
}

/** The saved model of a finished training run, or an error saying which runs an ensemble takes. */
export async function modelDirOf(tracker: Tracker, runId: string): Promise<string> {
  const run = await tracker.getRun(runId);
  if (run.info.status !== 'FINISHED') throw new MelbookError(`run ${runId} is ${run.info.status}; an ensemble takes finished training runs`);
  const dir = join(await tracker.store.artifactDir(runId), 'model');
  if (!existsSync(join(dir, 'model.json'))) throw new MelbookError(`run ${runId} has no saved model (${dir}/model.json); pass runs made by \`melbook train\` or \`melbook evaluate --loso\``);
  return dir;
}

/** Source audio of each entry, or an error naming the first missing file. */
export function sourcesOf(dataset: AudioDataset, entries: readonly ManifestEntry[]): string[] {
  return entries.map((e) => {
    const file = dataset.sourceOf(e);
    if (!file) throw new MelbookError(`${e.source}: the recording is gone; an ensemble classifies the recordings themselves (data.recordings)`);
    return file;
  });
}

async function scoreEnsemble(modelDirs: string[], dataset: AudioDataset, entries: readonly ManifestEntry[], speedFactors: number[]): Promise<Evaluation> {
  const ensemble = await Ensemble.load(modelDirs);
  try {
    if (ensemble.classNames.join('\u0000') !== dataset.classNames.join('\u0000')) {
      throw new MelbookError(`the models' classes [${ensemble.classNames.join(', ')}] differ from the data's [${dataset.classNames.join(', ')}]; evaluate with the config the runs were trained with`);
    }
    const probs = await ensemble.probabilities(sourcesOf(dataset, entries), speedFactors);
    return scoreProbabilities(probs, entries, dataset.classNames, 'test');
  } finally {
    ensemble.dispose();
  }
}

export async function evaluateEnsemble(options: EnsembleOptions): Promise<EnsembleResult> {
  const { config } = options;
  const log = options.log ?? ((l: string) => console.log(l));
  const speedFactors = options.speedFactors ?? config.evaluation.speedFactors;
  checkSpeedFactors(speedFactors);
  if (options.runIds.length === 0) throw new MelbookError('melbook evaluate --ensemble: pass at least one run id');
  const prep = await preprocess({ ...config });
  const dataset = AudioDataset.fromPreprocess(prep);
  const tracker = new Tracker({ root: config.tracking.root });
  const memberList = options.runIds.join(' ');
  const tags = { 'melbook.mode': options.loso ? 'loso' : 'ensemble', 'melbook.ensemble': memberList };
  const runName = config.tracking.runName ?? `ensemble-${new Date().toISOString().slice(0, 19)}`;
  // Every run is checked before the new run starts: a wrong id leaves no FAILED run behind.
  const members = options.loso
    ? await losoMembers(tracker, config.tracking.experiment, options.runIds)
    : { dirs: await Promise.all(options.runIds.map((id) => modelDirOf(tracker, id))) };
  return withRun(tracker, { experimentName: config.tracking.experiment, runName, tags }, async (run) => {
    await run.logParams({ 'ensemble.members': memberList, 'ensemble.size': options.runIds.length, 'ensemble.speedFactors': speedFactors.join(' '), ...(options.configFile ? { 'ensemble.config': options.configFile } : {}) });
    if (options.configFile) await run.logArtifact(options.configFile, 'config');
    log(`ensemble of ${options.runIds.length} run(s), test-time speed factors [${speedFactors.join(', ')}]: run ${run.runId}`);
    await useBackend(config, run, log);
    if ('dirs' in members) {
      const evaluation = await scoreEnsemble(members.dirs, dataset, dataset.entries('test'), speedFactors);
      await logEvaluation(run, evaluation);
      return { runId: run.runId, speedFactors, evaluation };
    }
    if (options.configFile) await run.logParams({ 'loso.config': options.configFile });
    return losoEnsemble(members, { tracker, run, config, dataset, speedFactors, log });
  });
}

export interface LosoMembers {
  speakers: string[];
  /** For each speaker, the fold run of each parent, in the order of the parents. */
  folds: Map<string, string[]>;
}

/** The held-out speakers common to every LOSO parent run, and each one's fold runs. */
export async function losoMembers(tracker: Tracker, experiment: string, parentIds: string[]): Promise<LosoMembers> {
  const all = await tracker.listRuns(experiment);
  const foldsOf = parentIds.map((parent) => {
    const bySpeaker = new Map<string, string>();
    for (const r of all) {
      const speaker = r.data.tags['melbook.loso.speaker'];
      if (r.data.tags['mlflow.parentRunId'] === parent && speaker && r.info.status === 'FINISHED') bySpeaker.set(speaker, r.info.runId);
    }
    if (bySpeaker.size === 0) throw new MelbookError(`run ${parent} has no finished leave-one-speaker-out folds in experiment ${experiment}; pass LOSO parent runs (\`melbook evaluate --loso\`)`);
    return bySpeaker;
  });
  const speakers = [...foldsOf[0].keys()].filter((s) => foldsOf.every((m) => m.has(s))).sort((a, b) => a.localeCompare(b, 'en'));
  if (speakers.length === 0) throw new MelbookError(`the runs ${parentIds.join(', ')} have no held-out speaker in common`);
  return { speakers, folds: new Map(speakers.map((s) => [s, foldsOf.map((m) => m.get(s)!)])) };
}

async function losoEnsemble(
  members: LosoMembers,
  ctx: { tracker: Tracker; run: RunHandle; config: PipelineConfig; dataset: AudioDataset; speedFactors: number[]; log: (l: string) => void },
): Promise<EnsembleResult> {
  const { tracker, run, config, dataset, speedFactors, log } = ctx;
  const { speakers } = members;
  await run.logParams({ 'loso.speakers': speakers.join(' '), 'loso.folds': speakers.length });
  const entries = (['train', 'validation', 'test'] as const).flatMap((split) => dataset.entries(split));
  const folds: EnsembleFold[] = [];
  for (const [i, speaker] of speakers.entries()) {
    const runs = members.folds.get(speaker)!;
    const dirs = await Promise.all(runs.map((id) => modelDirOf(tracker, id)));
    const own = entries.filter((e) => e.speaker === speaker);
    const evaluation = await scoreEnsemble(dirs, dataset, own, speedFactors);
    const child = await withRun(tracker, { experimentName: config.tracking.experiment, runName: `ensemble-${speaker}`, parentRunId: run.runId, tags: { 'melbook.loso.speaker': speaker, 'melbook.ensemble': runs.join(' ') } }, async (c) => {
      await logEvaluation(c, evaluation);
      return c.runId;
    });
    folds.push({ speaker, accuracy: evaluation.accuracy, count: evaluation.count, members: runs, runId: child });
    await run.logMetric(`loso_accuracy/${speaker}`, evaluation.accuracy, i);
    log(`fold ${i + 1}/${speakers.length}: ${speaker} ${(100 * evaluation.accuracy).toFixed(1)} % (${evaluation.count} clips, ${runs.length} model(s))`);
  }
  const { mean, std, min } = summarizeFolds(folds.map((f) => f.accuracy));
  await run.logMetrics({ loso_mean_accuracy: mean, loso_std_accuracy: std, loso_min_accuracy: min });
  await run.logJson({ folds, mean, std, min, speedFactors }, 'loso.json');
  return { runId: run.runId, speedFactors, folds, mean, std, min };
}

/** The result as text for the terminal. */
export function formatEnsemble(r: EnsembleResult): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const head = `ensemble run ${r.runId}, test-time speed factors [${r.speedFactors.join(', ')}]`;
  if (r.evaluation) return `${head}\n  test accuracy ${pct(r.evaluation.accuracy)} on ${r.evaluation.count} clips`;
  const rows = (r.folds ?? []).map((f) => `  ${f.speaker.padEnd(10)} ${pct(f.accuracy).padStart(8)}  (${f.count} clips, run ${f.runId})`);
  return [head, ...rows, `  ${'mean'.padEnd(10)} ${pct(r.mean!).padStart(8)}  std ${pct(r.std!)}, min ${pct(r.min!)}`].join('\n');
}
