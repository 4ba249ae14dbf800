/**
 * Scoring a trained model (or an ensemble of them) on a folder of labelled wavs outside the
 * dataset: `melbook evaluate --external DIR`, and `evaluation.external` folders after
 * `melbook train` and in the evaluate notebook. Each clip goes through the model bundle's own
 * audio chain (`Predictor`: decode, fit, features, normalisation as in training), optionally at
 * several test-time speed factors; the scores are the evaluate stage's (accuracy, macro F1,
 * confusion) with accuracy per speaker, else per sub-folder.
 */
import { Ensemble } from '../train/ensemble';
import { checkSpeedFactors } from '../train/predict';
import { scoreProbabilities, type Evaluation } from '../train/evaluate';
import { checkExternalLabels, externalSetName, listExternalClips, type ExternalSet } from '../data/external';
import { Tracker, withRun, type RunHandle } from '../tracking/tracker';
import type { PipelineConfig } from '../config/pipeline';
import { findTrainedModel, modelDirsOf } from './find-model';

/** What scores clips: a `Predictor` or an `Ensemble` seen through the same two members. */
export interface Classifier {
  readonly classNames: readonly string[];
  probabilities(files: readonly string[], speedFactors?: readonly number[]): Promise<Float32Array>;
}

export interface ExternalEvaluation extends Omit<Evaluation, 'split'> {
  /** The folder as given, and its metric-key-safe name. */
  dir: string;
  name: string;
  /** What `perGroup` is per: speakers, or sub-folders of `dir`. */
  groupBy: ExternalSet['groupBy'];
  speedFactors: number[];
  /** The lowest accuracy of a group (the voice the model serves worst). */
  minGroupAccuracy: number;
}

/** Score every clip of `dir` with `classifier`; named errors for empty, unlabelled or unknown-label folders. */
export async function scoreExternal(classifier: Classifier, dir: string, config: Pick<PipelineConfig, 'data'>, speedFactors: number[]): Promise<ExternalEvaluation> {
  checkSpeedFactors(speedFactors);
  const set = listExternalClips(dir, config.data);
  checkExternalLabels(set, classifier.classNames);
  const classIndex = new Map(classifier.classNames.map((c, i) => [c, i]));
  const clips = set.clips.map((c) => ({ id: c.id, source: c.file, speaker: c.group, label: c.label, labelIndex: classIndex.get(c.label)! }));
  const probs = await classifier.probabilities(clips.map((c) => c.source), speedFactors);
  const { split: _split, ...evaluation } = scoreProbabilities(probs, clips, classifier.classNames, 'test');
  void _split;
  const minGroupAccuracy = Math.min(...Object.values(evaluation.perGroup).map((g) => g.accuracy));
  return { ...evaluation, dir, name: externalSetName(dir), groupBy: set.groupBy, speedFactors, minGroupAccuracy };
}

/**
 * Log an external evaluation with metric keys starting `prefix`: `external_` in a run of its own
 * (`external_accuracy`, `external_macro_f1`, `external_min_group_accuracy`,
 * `external_group_accuracy/<group>`), `external/<name>/` inside a training run; JSON artifacts
 * under `evaluation/` (`external.json` or `external/<name>.json`).
 */
export async function logExternal(run: RunHandle, e: ExternalEvaluation, prefix: string, artifact: string): Promise<void> {
  const metrics: Record<string, number> = {
    [`${prefix}accuracy`]: e.accuracy,
    [`${prefix}macro_f1`]: e.macro.f1,
    [`${prefix}min_group_accuracy`]: e.minGroupAccuracy,
  };
  for (const [group, g] of Object.entries(e.perGroup)) metrics[`${prefix}group_accuracy/${group.replace(/[^A-Za-z0-9_.-]+/g, '_')}`] = g.accuracy;
  await run.logMetrics(metrics);
  await run.logJson(e, `evaluation/${artifact}.json`);
  await run.logJson({ classNames: e.classNames, matrix: e.confusion }, `evaluation/${artifact}_confusion.json`);
}

/**
 * Score the config's `evaluation.external` folders with one saved model and log each into `run`
 * (`external/<folder name>/accuracy`, ...). Used by `melbook train` and the evaluate stage.
 */
export async function scoreExternalSets(run: RunHandle, modelDir: string, config: PipelineConfig, log: (line: string) => void): Promise<ExternalEvaluation[]> {
  if (config.evaluation.external.length === 0) return [];
  const ensemble = await Ensemble.load([modelDir]);
  try {
    const out: ExternalEvaluation[] = [];
    for (const dir of config.evaluation.external) {
      const e = await scoreExternal(ensemble, dir, config, config.evaluation.speedFactors);
      await logExternal(run, e, `external/${e.name}/`, `external/${e.name}`);
      log(formatExternal(e));
      out.push(e);
    }
    return out;
  } finally {
    ensemble.dispose();
  }
}

/**
 * Check the config's `evaluation.external` folders against the classes a model will have, so a
 * bad folder stops `melbook train` before it trains rather than after.
 */
export function checkExternalSets(config: Pick<PipelineConfig, 'data' | 'evaluation'>, classNames: readonly string[]): void {
  for (const dir of config.evaluation.external) checkExternalLabels(listExternalClips(dir, config.data), classNames);
}

export interface EvaluateExternalOptions {
  /** Labels (data.layout, pattern), tracking, default speed factors. */
  config: PipelineConfig;
  configFile?: string;
  /** The folder of labelled wavs. */
  dir: string;
  /** Training run whose model to score. Default: the newest FINISHED run with a model. */
  runId?: string;
  /** Training runs to score as one model (mean of probabilities); instead of `runId`. */
  ensemble?: string[];
  /** Test-time speed factors. Default `config.evaluation.speedFactors`. */
  speedFactors?: number[];
  log?: (line: string) => void;
}

/** `melbook evaluate --external DIR`: a new tracked run (tag `melbook.mode: external`) with the scores. */
export async function evaluateExternal(options: EvaluateExternalOptions): Promise<{ runId: string; modelDirs: string[]; evaluation: ExternalEvaluation }> {
  const { config } = options;
  const log = options.log ?? ((l: string) => console.log(l));
  const speedFactors = options.speedFactors ?? config.evaluation.speedFactors;
  checkSpeedFactors(speedFactors);
  const tracker = new Tracker({ root: config.tracking.root });
  // Models and folder are checked before the run starts: bad input leaves no FAILED run behind.
  const modelDirs = options.ensemble?.length
    ? await modelDirsOf(tracker, options.ensemble)
    : [await findTrainedModel({ tracker, experiment: config.tracking.experiment, runId: options.runId })];
  const set = listExternalClips(options.dir, config.data);
  const ensemble = await Ensemble.load(modelDirs);
  try {
    checkExternalLabels(set, ensemble.classNames);
    const tags = { 'melbook.mode': 'external', ...(options.ensemble?.length ? { 'melbook.ensemble': options.ensemble.join(' ') } : {}) };
    const runName = config.tracking.runName ?? `external-${externalSetName(options.dir)}-${new Date().toISOString().slice(0, 19)}`;
    return await withRun(tracker, { experimentName: config.tracking.experiment, runName, tags }, async (run) => {
      await run.logParams({ 'external.dir': options.dir, 'external.models': modelDirs.join(' '), 'external.speedFactors': speedFactors.join(' '), ...(options.configFile ? { 'external.config': options.configFile } : {}) });
      const evaluation = await scoreExternal(ensemble, options.dir, config, speedFactors);
      await logExternal(run, evaluation, 'external_', 'external');
      log(`run ${run.runId}: ${formatExternal(evaluation)}`);
      return { runId: run.runId, modelDirs, evaluation };
    });
  } finally {
    ensemble.dispose();
  }
}

/** The scores as text for the terminal: accuracy, macro F1 and one line per group. */
export function formatExternal(e: ExternalEvaluation): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const rows = Object.entries(e.perGroup).map(([g, s]) => `  ${g.padEnd(12)} ${pct(s.accuracy).padStart(8)}  (${s.count} clips)`);
  return [`external ${e.dir}: accuracy ${pct(e.accuracy)} on ${e.count} clips, macro F1 ${e.macro.f1.toFixed(3)}; per ${e.groupBy}:`, ...rows].join('\n');
}
