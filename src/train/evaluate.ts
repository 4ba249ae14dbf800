/**
 * The evaluate stage: the trained model on the test split. Accuracy, per-class precision,
 * recall and F1, the confusion matrix, accuracy per speaker and the misclassified clips,
 * saved as JSON artifacts and logged as metrics.
 */
import * as tf from '@tensorflow/tfjs';
import type { AudioDataset, Normalization } from '../data/dataset';
import type { SplitName } from '../data/split';
import type { ManifestEntry } from '../data/manifest';
import type { RunHandle } from '../tracking/tracker';
import { argmaxRows, classificationReport, type EvaluationReport } from './metrics';

export interface Misclassified {
  id: string;
  source: string;
  speaker: string;
  label: string;
  predicted: string;
  probability: number;
}

export interface Evaluation extends EvaluationReport {
  split: SplitName;
  misclassified: Misclassified[];
}

/** Predict a split in batches (bounded memory) and score it. */
export async function evaluateModel(
  model: tf.LayersModel,
  dataset: AudioDataset,
  options: { split?: SplitName; batchSize?: number; normalization?: Normalization } = {},
): Promise<Evaluation> {
  const split = options.split ?? 'test';
  const entries = dataset.entries(split);
  const n = dataset.classNames.length;
  const probs = new Float32Array(entries.length * n);
  let offset = 0;
  await dataset.dataset(split, { batchSize: options.batchSize ?? 64, shuffle: false, normalization: options.normalization ?? 'global' }).forEachAsync((batch) => {
    const p = tf.tidy(() => model.predict(batch.xs) as tf.Tensor);
    probs.set(p.dataSync() as Float32Array, offset);
    offset += p.shape[0] * n;
    tf.dispose([p, batch.xs, batch.ys]);
  });
  return scoreProbabilities(probs, entries, dataset.classNames, split);
}

/** What scoring needs of a clip: a dataset entry, or a clip of an external folder (speaker = its group). */
export type ScoredClip = Pick<ManifestEntry, 'id' | 'source' | 'speaker' | 'label' | 'labelIndex'>;

/**
 * Score class probabilities (row-major `[entries.length, classNames.length]`) against the
 * entries' labels: the report, per-speaker accuracy and the misclassified clips.
 */
export function scoreProbabilities(probs: Float32Array, entries: readonly ScoredClip[], classNames: readonly string[], split: SplitName): Evaluation {
  const n = classNames.length;
  if (probs.length !== entries.length * n) throw new RangeError(`${probs.length} probabilities for ${entries.length} clips of ${n} classes`);
  const predicted = argmaxRows(probs, n);
  const truth = entries.map((e) => e.labelIndex);
  const report = classificationReport(truth, predicted, classNames, entries.map((e) => e.speaker));
  const misclassified = entries.flatMap((e, i) =>
    predicted[i] === e.labelIndex
      ? []
      : [{ id: e.id, source: e.source, speaker: e.speaker, label: e.label, predicted: classNames[predicted[i]], probability: probs[i * n + predicted[i]] }],
  );
  return { ...report, split, misclassified };
}

/**
 * Log an evaluation to the run: metrics `test_accuracy`, `test_macro_f1`, `test_speaker_accuracy/<speaker>`,
 * `test_class_f1/<class>` (not `test_accuracy/<speaker>`: a metric file cannot also be a folder) and JSON artifacts.
 */
export async function logEvaluation(run: RunHandle, evaluation: Evaluation): Promise<void> {
  const p = evaluation.split;
  const metrics: Record<string, number> = {
    [`${p}_accuracy`]: evaluation.accuracy,
    [`${p}_macro_precision`]: evaluation.macro.precision,
    [`${p}_macro_recall`]: evaluation.macro.recall,
    [`${p}_macro_f1`]: evaluation.macro.f1,
  };
  for (const [speaker, g] of Object.entries(evaluation.perGroup)) metrics[`${p}_speaker_accuracy/${speaker}`] = g.accuracy;
  for (const c of evaluation.perClass) metrics[`${p}_class_f1/${c.class}`] = c.f1;
  await run.logMetrics(metrics);
  await run.logJson(evaluation, `evaluation/${p}.json`);
  await run.logJson({ classNames: evaluation.classNames, matrix: evaluation.confusion }, `evaluation/${p}_confusion.json`);
  await run.logJson(evaluation.perGroup, `evaluation/${p}_per_speaker.json`);
}

/** A short text summary for the terminal. */
export function formatEvaluation(e: Evaluation): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const lines = [`${e.split}: accuracy ${pct(e.accuracy)} on ${e.count} clips, macro F1 ${e.macro.f1.toFixed(3)}`];
  const speakers = Object.entries(e.perGroup);
  if (speakers.length > 1) lines.push(`  per speaker: ${speakers.map(([s, g]) => `${s} ${pct(g.accuracy)}`).join(', ')}`);
  lines.push(`  per class F1: ${e.perClass.map((c) => `${c.class} ${c.f1.toFixed(2)}`).join(', ')}`);
  return lines.join('\n');
}
