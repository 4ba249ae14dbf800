/**
 * The work of each stage notebook as one function per stage, so a notebook reads like the
 * stage it drives: open the stage, call its function, show what came out. Each function logs
 * its params, metrics and artifacts to the stage's run; the `show*` helpers only display.
 */
import { join } from 'node:path';
import { existsSync, readdirSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { preprocess, featureKeyFor, type PreprocessResult } from './preprocess';
import type { StageContext } from './context';
import { AudioDataset } from '../data/dataset';
import { createProgress } from '../progress';
import { train, flatten, type TrainResult } from '../train/train';
import type { Evaluation } from '../train/evaluate';
import { evaluateRun } from './evaluate';
import type { ExternalEvaluation } from './evaluate-external';
import { loadAudio } from '../audio/load';
import { readNpySync } from '../features/npy';
import { seededRandom, shuffled } from '../data/random';
import { showAudio, showFigure, showSpectrogram, showTable, showWaveform } from '../viz/display';
import { classBalanceFigure, confusionFigure, perGroupAccuracyFigure, trainingCurvesFigure } from '../viz/plots';
import { MelbookError } from '../errors';
import type { ManifestEntry, DatasetMetadata } from '../data/manifest';
import { augmentationPreview } from './augment-preview';
import type { TrainingConfig } from '../config/schema';

/** The feature folder the config's features and audio settings map to. */
export function featureDirFor(ctx: Pick<StageContext, 'config'>): string {
  return join(ctx.config.preprocess.dir, featureKeyFor(ctx.config.features, ctx.config.data, ctx.config.preprocess.augment));
}

/** Stage 01: preprocess with progress lines, then log what it did to the run. */
export async function preprocessStage(ctx: StageContext): Promise<PreprocessResult> {
  let progress: ReturnType<typeof createProgress> | undefined;
  const result = await preprocess({
    ...ctx.config,
    onProgress: (p) => {
      progress ??= createProgress('preprocess', p.total, { stream: process.stdout, intervalS: 2 });
      progress.update(p.done, p.skipped ? `(${p.skipped} skipped)` : '');
    },
  });
  progress?.stop();
  const m = result.metadata;
  await ctx.run.logParams({ ...flatten({ data: ctx.config.data, features: m.features }), 'dataset.featureKey': result.featureKey });
  await ctx.run.setTags({ 'melbook.featureDir': result.featureDir });
  await ctx.run.logMetrics({ preprocess_files_per_s: result.filesPerSecond, preprocess_seconds: result.seconds, clips: m.counts.total, clips_skipped: result.skipped.length });
  await ctx.run.logArtifact(result.metadataPath, 'dataset');
  await ctx.run.logArtifact(result.reportPath, 'dataset');
  return result;
}

/** A summary table of a preprocess result. */
export function showPreprocessSummary(r: PreprocessResult): void {
  const m = r.metadata;
  showTable([
    { item: 'files', value: r.total }, { item: 'written', value: r.written }, { item: 'reused (cache)', value: r.reused },
    { item: 'skipped', value: r.skipped.length }, { item: 'files/s', value: Math.round(r.filesPerSecond) },
    { item: 'feature shape', value: `[${m.featureShape.join(', ')}]` }, { item: 'classes', value: m.classNames.join(' ') },
    { item: 'train / validation / test', value: `${m.counts.bySplit.train} / ${m.counts.bySplit.validation} / ${m.counts.bySplit.test}` },
    { item: 'feature folder', value: r.featureDir },
  ], { caption: 'Preprocessing' });
  if (r.skipped.length > 0) showTable(r.skipped.map((s) => ({ file: s.file, reason: s.reason })), { caption: 'Skipped files' });
}

/** `perClass` clips of each class (seeded), from the training split. */
export function pickClips(dataset: AudioDataset, perClass = 1, seed = 0): ManifestEntry[] {
  const random = seededRandom(seed);
  return dataset.classNames.flatMap((c) => shuffled(dataset.entries('train').filter((e) => e.label === c), random).slice(0, perClass));
}

/**
 * The axes of a feature spectrogram from the feature parameters in the metadata: time from the
 * hop, a mel frequency axis for plain mel features, row indices otherwise (MFCC, stacked deltas).
 */
function spectrogramAxes({ features: f }: Pick<DatasetMetadata, 'features'>) {
  const melRange = f.kind === 'meyda' ? {} : { fMinHz: f.fMinHz, fMaxHz: f.fMaxHz, melScale: f.melScale };
  return { hopLength: f.hopLength, sampleRateHz: f.sampleRateHz, yAxis: f.kind === 'mel' && !f.deltas ? ('mel' as const) : ('index' as const), ...melRange };
}

/** Spectrogram (time and frequency axes, colour bar), waveform and audio player of each clip. */
export async function showClips(dataset: AudioDataset, entries: readonly ManifestEntry[]): Promise<void> {
  const axes = spectrogramAxes(dataset.metadata);
  const { features } = dataset.metadata;
  const scale = features.kind === 'meyda' ? undefined : features.scale;
  const audio = dataset.metadata.audio;
  for (const e of entries) {
    const { data, shape } = readNpySync(join(dataset.featureDir, e.feature));
    showSpectrogram(data, [shape[0], shape[1]], {
      ...axes, title: `class ${e.label} - ${e.id}`,
      colorbarLabel: scale === 'db' ? 'dB' : scale === 'log' ? 'ln power' : 'power', height: 260,
    });
    const source = dataset.sourceOf(e);
    if (source) {
      const clip = await loadAudio(source, audio);
      showWaveform(clip.samples, clip.sampleRateHz, { title: `waveform - ${e.id}`, height: 160 });
      showAudio(clip.samples, clip.sampleRateHz, { title: e.id });
    }
  }
}

/** Stage 02: open the dataset preprocess wrote, log its shape and sizes, show the class balance. */
export async function datasetStage(ctx: StageContext): Promise<AudioDataset> {
  const dir = featureDirFor(ctx);
  if (!existsSync(join(dir, 'metadata.json'))) throw new MelbookError(`${dir}: no preprocessed features for this config; run notebooks/01-preprocess.ipynb (or npx melbook preprocess) first`);
  const dataset = AudioDataset.open(dir);
  const m = dataset.metadata;
  await ctx.run.logParams({ 'dataset.inputShape': JSON.stringify(m.inputShape), 'dataset.classes': m.classNames.join(' '), 'dataset.train': m.counts.bySplit.train, 'dataset.validation': m.counts.bySplit.validation, 'dataset.test': m.counts.bySplit.test });
  await ctx.run.logJson(dataset.classBalance(), 'dataset/class_balance.json');
  return dataset;
}

/** Class balance as a figure and a table, plus the normalisation statistics. */
export function showDatasetSummary(dataset: AudioDataset): void {
  const rows = dataset.classBalance();
  showFigure(classBalanceFigure(rows, { title: 'Clips per class and split' }));
  showTable(rows, { caption: 'Class balance' });
  const n = dataset.metadata.normalization;
  showTable([{ statistic: 'mean', value: n.mean }, { statistic: 'std', value: n.std }, { statistic: 'values', value: n.count }], { caption: 'Normalisation (training split only)' });
}

/**
 * Before/after of the configured augmentation on `count` training clips: the clip as validation
 * and test see it, after `training.augment`, and each precomputed waveform copy with its audio.
 * Says so when augmentation is off. Returns how many views it showed.
 */
export async function showAugmentationPreview(dataset: AudioDataset, training: Pick<TrainingConfig, 'augment' | 'normalization'>, count = 2, seed = 0): Promise<number> {
  const axes = spectrogramAxes(dataset.metadata);
  const spectrogram = (data: Float32Array, shape: [number, number], title: string) =>
    showSpectrogram(data, shape, { ...axes, title, colorbarLabel: `normalised (${training.normalization})`, height: 220 });
  let shown = 0;
  for (const entry of pickClips(dataset, 1, seed).slice(0, count)) {
    const p = await augmentationPreview(dataset, training, entry, seed);
    if (!p.featureAugmented && p.copies.length === 0) {
      console.log('augmentation is off: set training.augment (SpecAugment, time shift) or preprocess.augment (speed, noise copies) in the config');
      return shown;
    }
    spectrogram(p.original, p.shape, `${entry.id}: as validation and test see it`);
    if (p.samples) showAudio(p.samples, p.sampleRateHz, { title: `${entry.id}: original` });
    shown += 1;
    if (p.featureAugmented) {
      spectrogram(p.featureAugmented, p.shape, `${entry.id}: after training.augment (time shift, SpecAugment)`);
      shown += 1;
    }
    for (const [j, c] of p.copies.entries()) {
      spectrogram(c.features, p.shape, `${entry.id}: waveform copy ${j + 1} of ${p.copies.length} (preprocess.augment)`);
      if (c.samples) showAudio(c.samples, p.sampleRateHz, { title: `${entry.id}: copy ${j + 1}` });
      shown += 1;
    }
  }
  return shown;
}

/** One batch of the training dataset, to check shapes and label range by eye. */
export async function previewBatch(dataset: AudioDataset, batchSize = 8): Promise<{ xs: number[]; ys: number[]; min: number; max: number }> {
  const it = await dataset.dataset('train', { batchSize }).iterator();
  const first = await it.next();
  const { xs, ys } = first.value as { xs: tf.Tensor; ys: tf.Tensor };
  const values = xs.dataSync();
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) { if (v < min) min = v; if (v > max) max = v; }
  const out = { xs: xs.shape, ys: Array.from(ys.dataSync()), min, max };
  tf.dispose([xs, ys]);
  return out;
}

/** Stage 03: train on the preprocessed features; curves live in the run as they happen. */
export async function trainStageInRun(ctx: StageContext): Promise<TrainResult> {
  const dir = featureDirFor(ctx);
  const seeds = ctx.config.evaluation.seeds;
  if (seeds.length > 0) console.log(`this notebook trains one model (training.seed ${ctx.config.training.seed}); the config's ensemble of seeds [${seeds.join(', ')}] is trained by \`npx melbook train --config <this config>\``);
  return train({ config: ctx.config, featureDir: dir, run: ctx.run, log: (l) => console.log(l) });
}

export function showTrainingCurves(result: Pick<TrainResult, 'history'>): void {
  showFigure(trainingCurvesFigure(result.history, { title: 'Training curves' }));
}

/** The model folder to evaluate: the given one, else this run's, else the newest run's with a model. */
export async function findModelDir(ctx: StageContext, modelDir = ''): Promise<string> {
  if (modelDir) return modelDir;
  const own = join(await ctx.run.artifactDir(), 'model');
  if (existsSync(join(own, 'model.json'))) return own;
  for (const run of await ctx.tracker.listRuns(ctx.config.tracking.experiment)) {
    const dir = join(ctx.config.tracking.root, run.info.experimentId, run.info.runId, 'artifacts', 'model');
    if (existsSync(join(dir, 'model.json')) && readdirSync(dir).includes('melbook.json')) return dir;
  }
  throw new MelbookError(`no trained model in ${ctx.config.tracking.root} (experiment ${ctx.config.tracking.experiment}); run notebooks/03-train.ipynb first or set model_dir`);
}

/**
 * Stage 04: the saved model on the test split and the `evaluation.external` folders, logged to
 * the stage's run as metrics and JSON artifacts (`evaluateRun` does the work).
 */
export async function evaluateStage(ctx: StageContext, modelDir = ''): Promise<{ evaluation: Evaluation; modelDir: string; dataset: AudioDataset; external: ExternalEvaluation[] }> {
  const dir = await findModelDir(ctx, modelDir);
  const { evaluation, external, dataset } = await evaluateRun({ config: ctx.config, modelDir: dir, run: ctx.run, dataset: AudioDataset.open(featureDirFor(ctx)) });
  return { evaluation, modelDir: dir, dataset, external };
}

/** Confusion heatmap, per-speaker accuracy and the per-class table. */
export function showEvaluation(e: Evaluation): void {
  showFigure(confusionFigure(e.confusion, e.classNames, { title: `Confusion matrix (${e.split}, accuracy ${(100 * e.accuracy).toFixed(1)} %)` }));
  showFigure(perGroupAccuracyFigure(e.perGroup, 'Accuracy per speaker'));
  showTable(e.perClass.map((c) => ({ class: c.class, precision: c.precision, recall: c.recall, f1: c.f1, support: c.support })), { caption: 'Per class' });
}

/** The misclassified clips: a table, then each clip's spectrogram and an audio player. */
export async function showMisclassified(dataset: AudioDataset, e: Evaluation, max = 8): Promise<void> {
  if (e.misclassified.length === 0) {
    showTable([{ result: `every ${e.split} clip was classified correctly` }]);
    return;
  }
  showTable(e.misclassified.map((m) => ({ clip: m.id, speaker: m.speaker, label: m.label, predicted: m.predicted, probability: m.probability })), { caption: `Misclassified (${e.misclassified.length})` });
  const byId = new Map(dataset.manifest.entries.map((x) => [x.id, x]));
  await showClips(dataset, e.misclassified.slice(0, max).map((m) => byId.get(m.id)!).filter(Boolean));
}
