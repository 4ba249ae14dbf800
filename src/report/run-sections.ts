/**
 * The run part of the report: header, error, parameters, final metrics, metric curves and the
 * evaluation figures. Each function takes data already read and returns escaped HTML.
 */
import { MLFLOW_TAGS, type Run } from '../tracking';
import { formatNumber } from '../tracking/format';
import { escapeAttr, escapeHtml } from '../viz/html-escape';
import { confusionFigure, perGroupAccuracyFigure, trainingCurvesFigure, type TrainingHistoryRow } from '../viz/plots';
import { formatHeadline, headlineDetail, headlineMetrics } from './headline';
import type { PageContext } from './page';
import { formatSeconds, formatUtc, keyValueTable, table } from './tables';

/** Tag holding the training backend (`tfjs-node`, `wasm`, `cpu`). */
export const BACKEND_TAG = 'melbook.backend';

/** Run name and status: the first line of the report. */
export function runTitle(run: Run): string {
  const { info } = run;
  return `<h1>${escapeHtml(info.runName || info.runId)} <span class="badge ${escapeAttr(info.status)}">${escapeHtml(info.status)}</span></h1>`;
}

/**
 * The headline figures (test accuracy, macro F1, weakest speaker; LOSO mean and weakest speaker)
 * as large numbers right under the title, or a line saying there are none.
 */
export function headlineSection(run: Run): string {
  const figures = headlineMetrics(run);
  if (figures.length === 0) return '<section id="headline"><p class="meta">No test or LOSO metrics were logged.</p></section>';
  const cards = figures.map((h) => {
    const detail = headlineDetail(h, escapeHtml);
    return `<div class="headline-metric" id="headline-${escapeAttr(h.id)}"><div class="value">${escapeHtml(formatHeadline(h.value, h.format))}</div>` +
      `<div class="label">${escapeHtml(h.label)}${detail ? ` <span class="meta">(${detail})</span>` : ''}</div></div>`;
  });
  return `<section id="headline" class="headline">${cards.join('')}</section>`;
}

/** The facts of the run (ids, times, duration, backend, source), for the end of the report. */
export function runFacts(run: Run): string {
  const { info, data } = run;
  const rows: [string, string][] = [
    ['run id', info.runId],
    ['experiment id', info.experimentId],
    ['status', info.status],
    ['started', formatUtc(info.startTime)],
    ['ended', info.endTime === null ? '(not ended)' : formatUtc(info.endTime)],
    ['duration', info.endTime === null ? '(running)' : formatSeconds((info.endTime - info.startTime) / 1000)],
    ['backend', data.tags[BACKEND_TAG] ?? '(not recorded)'],
  ];
  const optional: [string, string | undefined][] = [
    ['user', info.userId],
    ['source', data.tags[MLFLOW_TAGS.sourceName]],
    ['git commit', data.tags[MLFLOW_TAGS.gitCommit]],
    ['parent run', data.tags[MLFLOW_TAGS.parentRunId]],
  ];
  for (const [k, v] of optional) if (v) rows.push([k, v]);
  return `<section id="facts"><h2>Run</h2>
${keyValueTable(rows, 'facts')}</section>`;
}

/** The run's error (tag `melbook.error`, stack from `error.txt`), or '' when it has none. */
export function runError(summary: string | undefined, stack: string | undefined): string {
  if (!summary && !stack) return '';
  return (
    '<section class="run-error" id="error"><h2>The run failed</h2>\n' +
    (summary ? `<p class="mono">${escapeHtml(summary)}</p>\n` : '') +
    (stack ? `<details open><summary>error.txt</summary><pre>${escapeHtml(stack)}</pre></details>` : '') +
    '</section>'
  );
}

/**
 * Parameters grouped by their first dotted segment (`data`, `features`, `training`, ...), each
 * group a small table sorted by key, side by side, folded (they close the report, for whoever
 * needs them); every tag in a collapsed table.
 */
export function paramsSection(run: Run): string {
  const params = Object.entries(run.data.params).sort(([a], [b]) => a.localeCompare(b, 'en'));
  const tags = Object.entries(run.data.tags).sort(([a], [b]) => a.localeCompare(b, 'en'));
  const groups = new Map<string, [string, string][]>();
  for (const [key, value] of params) {
    const dot = key.indexOf('.');
    const group = dot > 0 ? key.slice(0, dot) : '';
    groups.set(group, [...(groups.get(group) ?? []), [dot > 0 ? key.slice(dot + 1) : key, value]]);
  }
  const tables = [...groups].map(([group, rows]) =>
    `<div>${keyValueTable(rows, 'kv', [group || 'parameter', 'value'])}</div>`);
  return (
    '<section id="params"><h2>Parameters</h2>\n' +
    (params.length
      ? `<details><summary>${params.length} parameters</summary><div class="param-groups">${tables.join('\n')}</div></details>`
      : '<p class="meta">No parameters were logged.</p>') +
    (tags.length ? `\n<details><summary>${tags.length} tags</summary>${keyValueTable(tags, 'kv', ['tag', 'value'])}</details>` : '') +
    '</section>'
  );
}

/**
 * Latest value of each metric. Keys without `/` in one table; keys with `/` (per speaker, per
 * class) grouped by their prefix in collapsed tables.
 */
export function metricsSection(run: Run): string {
  const metrics = Object.values(run.data.metrics).sort((a, b) => a.key.localeCompare(b.key, 'en'));
  if (metrics.length === 0) return '<section id="metrics"><h2>Metrics</h2><p class="meta">No metrics were logged.</p></section>';
  const columns = [{ title: 'metric', key: true }, { title: 'value', numeric: true }, { title: 'step', numeric: true }];
  const row = (m: (typeof metrics)[number], key = m.key) => [key, formatNumber(m.value), String(m.step)];
  const plain = metrics.filter((m) => !m.key.includes('/'));
  const groups = new Map<string, typeof metrics>();
  for (const m of metrics.filter((x) => x.key.includes('/'))) {
    const prefix = m.key.slice(0, m.key.indexOf('/'));
    groups.set(prefix, [...(groups.get(prefix) ?? []), m]);
  }
  const grouped = [...groups].map(([prefix, ms]) =>
    `<details><summary>${escapeHtml(prefix)}/… (${ms.length})</summary>${table(columns, ms.map((m) => row(m, m.key.slice(prefix.length + 1))))}</details>`);
  return `<section id="metrics"><h2>Metrics</h2>\n${plain.length ? table(columns, plain.map((m) => row(m))) : ''}${grouped.join('\n')}</section>`;
}

/** `loss`, `accuracy`, `val_loss`, `val_accuracy` histories joined by step; empty when the run logged none. */
export function historyFromMetrics(run: Run): TrainingHistoryRow[] {
  const keys = ['loss', 'accuracy', 'val_loss', 'val_accuracy'] as const;
  const h = run.data.metricHistory;
  if (!keys.some((k) => (h[k]?.length ?? 0) > 0)) return [];
  const byStep = new Map<number, TrainingHistoryRow>();
  for (const key of keys) {
    for (const m of h[key] ?? []) {
      const row = byStep.get(m.step) ?? { epoch: m.step, loss: Number.NaN, accuracy: Number.NaN };
      row[key] = m.value; // a value logged twice at one step: the later one wins, as in a plot of the log
      byStep.set(m.step, row);
    }
  }
  return [...byStep.values()].sort((a, b) => a.epoch - b.epoch);
}

/** Loss and accuracy curves from the metric history, or '' when there are none. */
export function curvesSection(run: Run, ctx: PageContext): string {
  const history = historyFromMetrics(run);
  if (history.length === 0) return '';
  return `<section id="curves"><h2>Training curves</h2>\n${ctx.figure(trainingCurvesFigure(history))}</section>`;
}

/** What `logEvaluation` wrote for one split, as read back from `artifacts/evaluation/`. */
export interface EvaluationArtifacts {
  split: string;
  confusion?: { classNames: string[]; matrix: number[][] };
  perGroup?: Record<string, { accuracy: number; count: number }>;
}

/** Confusion matrix and per-speaker accuracy of each evaluated split, or '' when there are none. */
export function evaluationSection(evaluations: readonly EvaluationArtifacts[], ctx: PageContext): string {
  const parts: string[] = [];
  for (const e of evaluations) {
    const figures: string[] = [];
    if (e.confusion) figures.push(ctx.figure(confusionFigure(e.confusion.matrix, e.confusion.classNames, { title: `Confusion matrix (${e.split})` })));
    if (e.perGroup && Object.keys(e.perGroup).length) figures.push(ctx.figure(perGroupAccuracyFigure(e.perGroup, `Accuracy per speaker (${e.split})`, { groupLabel: 'speaker' })));
    if (figures.length) parts.push(`<div class="figures">${figures.map((f) => `<div>${f}</div>`).join('')}</div>`);
  }
  return parts.length ? `<section id="evaluation"><h2>Evaluation</h2>\n${parts.join('\n')}</section>` : '';
}
