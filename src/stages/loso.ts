/**
 * Leave-one-speaker-out evaluation: one model per held-out speaker, each trained on the other
 * speakers and tested on the held-out one, logged as nested runs under one parent run that
 * holds the per-speaker table, the mean and the spread.
 */
import { preprocess } from './preprocess';
import { trainStage, type TrainStageResult } from './train';
import { Tracker, withRun } from '../tracking/tracker';
import type { PipelineConfig } from '../config/pipeline';

export interface LosoOptions {
  config: PipelineConfig;
  configFile?: string;
  /** Only these speakers (default: every speaker in the metadata). */
  speakers?: string[];
  log?: (line: string) => void;
}

export interface LosoResult {
  parentRunId: string;
  folds: { speaker: string; runId: string; accuracy: number; count: number }[];
  mean: number;
  /** Population standard deviation of the per-speaker accuracies. */
  std: number;
  min: number;
}

/** Mean, standard deviation and minimum of per-fold accuracies. */
export function summarizeFolds(accuracies: readonly number[]): { mean: number; std: number; min: number } {
  const mean = accuracies.reduce((a, b) => a + b, 0) / accuracies.length;
  const std = Math.sqrt(accuracies.reduce((a, b) => a + (b - mean) ** 2, 0) / accuracies.length);
  return { mean, std, min: Math.min(...accuracies) };
}

export async function leaveOneSpeakerOut(options: LosoOptions): Promise<LosoResult> {
  const log = options.log ?? ((l: string) => console.log(l));
  const base = options.config;
  // The speakers come from the data, not from a constant.
  const prep = await preprocess({ ...base });
  const speakers = options.speakers ?? prep.metadata.speakers;
  const tracker = new Tracker({ root: base.tracking.root });
  return withRun(tracker, { experimentName: base.tracking.experiment, runName: base.tracking.runName ?? `loso-${new Date().toISOString().slice(0, 19)}`, tags: { 'melbook.mode': 'loso' } }, async (parent) => {
    await parent.logParams({ 'loso.speakers': speakers.join(' '), 'loso.folds': speakers.length });
    if (options.configFile) await parent.logArtifact(options.configFile, 'config');
    const folds: LosoResult['folds'] = [];
    for (const [i, speaker] of speakers.entries()) {
      log(`fold ${i + 1}/${speakers.length}: held-out speaker ${speaker}`);
      const config: PipelineConfig = { ...base, split: { ...base.split, mode: 'speaker', testSpeaker: speaker }, tracking: { ...base.tracking, runName: `loso-${speaker}` } };
      const r: TrainStageResult = await trainStage({ config, log, parentRunId: parent.runId, tags: { 'melbook.loso.speaker': speaker } });
      folds.push({ speaker, runId: r.runId, accuracy: r.evaluation.accuracy, count: r.evaluation.count });
      await parent.logMetric(`loso_accuracy/${speaker}`, r.evaluation.accuracy, i);
    }
    const { mean, std, min } = summarizeFolds(folds.map((f) => f.accuracy));
    await parent.logMetrics({ loso_mean_accuracy: mean, loso_std_accuracy: std, loso_min_accuracy: min });
    await parent.logJson({ folds, mean, std, min }, 'loso.json');
    return { parentRunId: parent.runId, folds, mean, std, min };
  });
}

/** The per-speaker table as text. */
export function formatLoso(r: LosoResult): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const rows = r.folds.map((f) => `  ${f.speaker.padEnd(10)} ${pct(f.accuracy).padStart(8)}  (${f.count} clips, run ${f.runId})`);
  return [`leave-one-speaker-out (parent run ${r.parentRunId}):`, ...rows, `  ${'mean'.padEnd(10)} ${pct(r.mean).padStart(8)}  std ${pct(r.std)}, min ${pct(r.min)}`].join('\n');
}
