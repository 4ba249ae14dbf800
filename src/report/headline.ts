/**
 * The few numbers a reader wants first from a run: test accuracy, macro F1 and the weakest
 * speaker on the test split; for a leave-one-speaker-out run, the mean over folds and the weakest
 * speaker. Read from the run's latest metrics (as `logEvaluation` and the LOSO stages log them),
 * so the HTML report and the markdown summary agree. Pure: a run in, values out.
 */
import type { Run } from '../tracking';

/** One headline figure. `value` is a fraction (accuracy, F1) in [0, 1]. */
export interface HeadlineMetric {
  /** Stable id, used as an HTML id and by tests: `test-accuracy`, `macro-f1`, ... */
  id: string;
  label: string;
  value: number;
  /** How to show it: `percent` (87.5 %) or `ratio` (0.874). */
  format: 'percent' | 'ratio';
  /** The speaker the figure is about (the weakest one), when it is about one. */
  speaker?: string;
  /** Standard deviation over folds, a fraction, for a mean over folds. */
  spread?: number;
}

/** Prefix of the per-speaker test accuracy metrics. */
export const TEST_SPEAKER_PREFIX = 'test_speaker_accuracy/';
/** Prefix of the per-speaker LOSO fold accuracy metrics. */
export const LOSO_SPEAKER_PREFIX = 'loso_accuracy/';

/** Latest value of every metric whose key starts with `prefix`, keyed by the rest of the key, sorted. */
export function metricsUnder(run: Run, prefix: string): [string, number][] {
  return Object.values(run.data.metrics)
    .filter((m) => m.key.startsWith(prefix))
    .map((m): [string, number] => [m.key.slice(prefix.length), m.value])
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
}

function weakest(entries: readonly [string, number][]): [string, number] | undefined {
  let low: [string, number] | undefined;
  for (const e of entries) if (Number.isFinite(e[1]) && (!low || e[1] < low[1])) low = e;
  return low;
}

/** The headline figures the run has, in reading order; empty when it logged none of them. */
export function headlineMetrics(run: Run): HeadlineMetric[] {
  const m = run.data.metrics;
  const out: HeadlineMetric[] = [];
  const add = (id: string, label: string, value: number | undefined, format: HeadlineMetric['format'], more: Pick<HeadlineMetric, 'speaker' | 'spread'> = {}) => {
    if (value !== undefined && Number.isFinite(value)) out.push({ id, label, value, format, ...more });
  };
  add('test-accuracy', 'test accuracy', m.test_accuracy?.value, 'percent');
  add('macro-f1', 'macro F1', m.test_macro_f1?.value, 'ratio');
  const low = weakest(metricsUnder(run, TEST_SPEAKER_PREFIX));
  if (low) add('speaker-min', 'per-speaker minimum', low[1], 'percent', { speaker: low[0] });
  add('loso-mean', 'LOSO mean accuracy', m.loso_mean_accuracy?.value, 'percent', { spread: m.loso_std_accuracy?.value });
  const fold = weakest(metricsUnder(run, LOSO_SPEAKER_PREFIX));
  if (fold) add('loso-weakest', 'LOSO weakest speaker', fold[1], 'percent', { speaker: fold[0] });
  else add('loso-weakest', 'LOSO weakest speaker', m.loso_min_accuracy?.value, 'percent');
  return out;
}

/** What a headline figure is about as plain text (`speaker theo`, `± 5.0 %`), escaped by `escape`; '' when nothing. */
export function headlineDetail(h: HeadlineMetric, escape: (text: string) => string): string {
  if (h.speaker !== undefined) return `speaker ${escape(h.speaker)}`;
  return h.spread !== undefined && Number.isFinite(h.spread) ? `± ${formatHeadline(h.spread, 'percent')}` : '';
}

/** `0.875` as `87.5 %` or `0.875`. */
export function formatHeadline(value: number, format: HeadlineMetric['format']): string {
  return format === 'percent' ? `${(100 * value).toFixed(1)} %` : value.toFixed(3);
}
