/**
 * One leave-one-speaker-out fold: train on every speaker but one, test on that one, as a nested
 * run of the LOSO parent. The default export is the piscina entry point, so folds can train in
 * worker threads side by side (`LosoOptions.jobs`); `runFold` is the same thing in-process.
 */
import { trainStage } from './train';
import type { PipelineConfig } from '../config/pipeline';

export interface FoldTask {
  config: PipelineConfig;
  speaker: string;
  parentRunId: string;
  /** Prefix every progress line with the speaker (folds running side by side interleave). */
  prefixLines?: boolean;
}

export interface FoldResult {
  speaker: string;
  runId: string;
  accuracy: number;
  count: number;
  /** Epochs trained and the median seconds per epoch. */
  epochs: number;
  epochSecondsMedian: number;
}

/** The config of the fold that holds out `speaker`. */
export function foldConfig(base: PipelineConfig, speaker: string): PipelineConfig {
  return { ...base, split: { ...base.split, mode: 'speaker', testSpeaker: speaker }, tracking: { ...base.tracking, runName: `loso-${speaker}` } };
}

export async function runFold(task: FoldTask, log: (line: string) => void = (l) => console.log(l)): Promise<FoldResult> {
  const out = task.prefixLines ? (l: string) => log(`[${task.speaker}] ${l}`) : log;
  const r = await trainStage({ config: foldConfig(task.config, task.speaker), log: out, parentRunId: task.parentRunId, tags: { 'melbook.loso.speaker': task.speaker } });
  const times = r.training.history.map((h) => h.epoch_seconds).sort((a, b) => a - b);
  return {
    speaker: task.speaker, runId: r.runId, accuracy: r.evaluation.accuracy, count: r.evaluation.count,
    epochs: r.training.history.length, epochSecondsMedian: times[Math.floor(times.length / 2)] ?? 0,
  };
}

export default function foldWorker(task: FoldTask): Promise<FoldResult> {
  return runFold(task);
}
