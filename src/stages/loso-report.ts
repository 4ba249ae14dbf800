/**
 * Leave-one-speaker-out results: the summary of fold accuracies, and the results read back from
 * the tracking store for the evaluate notebook and the README (every finished LOSO parent run of
 * an experiment with its per-speaker accuracies, mean, spread and minimum, as a figure and a table).
 */
import type { Tracker } from '../tracking/tracker';
import type { Run } from '../tracking/store';
import { showFigure, showTable } from '../viz/display';
import { perGroupAccuracyFigure } from '../viz/plots';

export interface LosoSummary {
  runId: string;
  runName: string;
  /** Milliseconds since the Unix epoch. */
  startTime: number;
  /** The config file the run was started with (`loso.config` param), when known. */
  configFile?: string;
  /** Accuracy of each held-out speaker, 0..1. */
  folds: Record<string, number>;
  mean: number;
  std: number;
  min: number;
}

const FOLD_METRIC = 'loso_accuracy/';

/** Mean, population standard deviation and minimum of per-fold accuracies. */
export function summarizeFolds(accuracies: readonly number[]): { mean: number; std: number; min: number } {
  const mean = accuracies.reduce((a, b) => a + b, 0) / accuracies.length;
  const std = Math.sqrt(accuracies.reduce((a, b) => a + (b - mean) ** 2, 0) / accuracies.length);
  return { mean, std, min: Math.min(...accuracies) };
}

/** A finished LOSO parent run as a summary, or undefined for any other run. */
export function losoSummary(run: Run): LosoSummary | undefined {
  const { tags, metrics, params } = run.data;
  if (tags['melbook.mode'] !== 'loso' || run.info.status !== 'FINISHED' || metrics.loso_mean_accuracy === undefined) return undefined;
  const folds = Object.fromEntries(
    Object.entries(metrics).filter(([k]) => k.startsWith(FOLD_METRIC)).map(([k, m]) => [k.slice(FOLD_METRIC.length), m.value]).sort(([a], [b]) => String(a).localeCompare(String(b), 'en')),
  );
  return {
    runId: run.info.runId, runName: run.info.runName, startTime: run.info.startTime, configFile: params['loso.config'],
    folds, mean: metrics.loso_mean_accuracy.value, std: metrics.loso_std_accuracy?.value ?? Number.NaN, min: metrics.loso_min_accuracy?.value ?? Number.NaN,
  };
}

/** The finished LOSO parent runs of an experiment, newest first. */
export async function listLosoRuns(tracker: Tracker, experiment: string): Promise<LosoSummary[]> {
  let runs: Run[];
  try {
    runs = await tracker.listRuns(experiment);
  } catch {
    return []; // no such experiment yet: no LOSO run either
  }
  return runs.map(losoSummary).filter((s): s is LosoSummary => s !== undefined).sort((a, b) => b.startTime - a.startTime);
}

/** One row per LOSO run: name, each speaker's accuracy, mean, std and minimum, in percent. */
export function losoTableRows(summaries: readonly LosoSummary[]): Record<string, string | number>[] {
  const speakers = [...new Set(summaries.flatMap((s) => Object.keys(s.folds)))].sort((a, b) => a.localeCompare(b, 'en'));
  const pct = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '' : Number((100 * x).toFixed(1)));
  return summaries.map((s) => ({
    run: s.runName, ...(s.configFile ? { config: s.configFile } : {}),
    ...Object.fromEntries(speakers.map((sp) => [sp, pct(s.folds[sp])])),
    mean: pct(s.mean), std: pct(s.std), min: pct(s.min),
  }));
}

/**
 * The newest LOSO run as a per-speaker figure, then a table of the newest `max` runs side by
 * side. Says how to make one when there is none. Returns the summaries shown.
 */
export async function showLosoRuns(tracker: Tracker, experiment: string, max = 5): Promise<LosoSummary[]> {
  const summaries = (await listLosoRuns(tracker, experiment)).slice(0, max);
  if (summaries.length === 0) {
    console.log(`no leave-one-speaker-out run in experiment ${experiment} yet: run \`npx melbook evaluate --loso --jobs 2\` (one model per held-out speaker, about 30 min on 2 cores); with \`--config config/robust.yaml\` it trains that config's four seeds (\`evaluation.seeds\`) and scores their ensemble, about 2 h`);
    return summaries;
  }
  const newest = summaries[0];
  const perGroup = Object.fromEntries(Object.entries(newest.folds).map(([k, v]) => [k, { accuracy: v, count: 1 }]));
  showFigure(perGroupAccuracyFigure(perGroup, `Leave-one-speaker-out, ${newest.runName}: mean ${(100 * newest.mean).toFixed(1)} %, min ${(100 * newest.min).toFixed(1)} %`, { groupLabel: 'held-out speaker' }));
  showTable(losoTableRows(summaries), { caption: 'Leave-one-speaker-out runs, accuracy on the held-out speaker (%)' });
  return summaries;
}
