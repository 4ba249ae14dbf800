/**
 * Plain-text views of runs for the `melbook runs` commands. Pure: runs in, string out.
 * Times are shown in UTC (`2024-05-01 12:00:00`), numbers with 4 significant digits.
 */
import { DEAD_STATUS, type Liveness } from './liveness';
import type { Run } from './store';

/** Cell shown for a param or metric a run does not have. */
export const MISSING = '-';
/** Prefix of a comparison row whose values differ between runs. */
export const DIFF_MARK = '*';

/**
 * One line per run: id, name, status, start (UTC) and the latest value of each metric in
 * `metricKeys` (default: every metric key of the runs, sorted). With `liveness` (one per run, in
 * the same order), a run judged dead shows `DEAD?` as its status and its reason in a last
 * column `why`, present only when some run is dead.
 */
export function formatRunsTable(runs: Run[], metricKeys?: string[], liveness?: Liveness[]): string {
  if (runs.length === 0) return '(no runs)\n';
  const keys = metricKeys ?? [...new Set(runs.flatMap((r) => Object.keys(r.data.metrics)))].sort();
  const anyDead = liveness?.some((l) => l.dead) ?? false;
  const header = ['run id', 'name', 'status', 'start (UTC)', ...keys, ...(anyDead ? ['why'] : [])];
  const rows = runs.map((r, i) => [
    r.info.runId,
    r.info.runName,
    shownStatus(r, liveness?.[i]),
    formatTime(r.info.startTime),
    ...keys.map((k) => (k in r.data.metrics ? formatNumber(r.data.metrics[k].value) : MISSING)),
    ...(anyDead ? [liveness?.[i]?.reason ?? ''] : []),
  ]);
  return renderTable([header, ...rows], 1);
}

/** The status `melbook runs` shows: the stored one, or `DEAD?` for a RUNNING run judged dead. */
export function shownStatus(run: Run, liveness?: Liveness): string {
  return liveness?.dead ? DEAD_STATUS : run.info.status;
}

/** One run as `melbook runs --json` prints it. Times in ms since the Unix epoch, as MLflow's. */
export interface RunJson {
  id: string;
  name: string;
  experimentId: string;
  /** Experiment name; null if the experiment is not among those passed. */
  experiment: string | null;
  /** Stored status: RUNNING, SCHEDULED, FINISHED, FAILED or KILLED. */
  status: string;
  /** What the table shows: `status`, or `DEAD?` for a RUNNING run judged dead. */
  shownStatus: string;
  /** Why the run is judged dead; null when it is not. */
  reason: string | null;
  startTime: number;
  endTime: number | null;
  params: Record<string, string>;
  /** Latest value of each metric (JSON has no NaN or Infinity: those become null). */
  metrics: Record<string, number | null>;
  tags: Record<string, string>;
}

/** Runs (and their liveness, same order) as plain objects for `JSON.stringify`. */
export function runsToJson(runs: Run[], liveness: Liveness[], experimentNames: ReadonlyMap<string, string>): RunJson[] {
  return runs.map((r, i) => ({
    id: r.info.runId,
    name: r.info.runName,
    experimentId: r.info.experimentId,
    experiment: experimentNames.get(r.info.experimentId) ?? null,
    status: r.info.status,
    shownStatus: shownStatus(r, liveness[i]),
    reason: liveness[i]?.reason ?? null,
    startTime: r.info.startTime,
    endTime: r.info.endTime,
    params: { ...r.data.params },
    metrics: Object.fromEntries(Object.entries(r.data.metrics).map(([k, m]) => [k, Number.isFinite(m.value) ? m.value : null])),
    tags: { ...r.data.tags },
  }));
}

/**
 * Runs side by side: a column per run, rows for name, status, start and duration, then every
 * param and every metric (latest value) any of them has. Rows whose values differ are marked
 * with `*`; a value a run lacks shows as `-`.
 */
export function formatRunsComparison(runs: Run[]): string {
  if (runs.length === 0) return '(no runs)\n';
  const header = ['', ...runs.map((r) => `${r.info.runName} (${r.info.runId.slice(0, 8)})`)];
  const rows: string[][] = [];
  const section = (title: string, cells: [string, string[]][]) => {
    rows.push([title, ...runs.map(() => '')]);
    for (const [label, values] of cells) {
      const differ = values.some((v) => v !== values[0]);
      rows.push([`${differ ? DIFF_MARK : ' '} ${label}`, ...values]);
    }
  };
  section('run', [
    ['status', runs.map((r) => r.info.status)],
    ['start (UTC)', runs.map((r) => formatTime(r.info.startTime))],
    ['duration', runs.map((r) => (r.info.endTime === null ? MISSING : formatDuration(r.info.endTime - r.info.startTime)))],
  ]);
  const paramKeys = [...new Set(runs.flatMap((r) => Object.keys(r.data.params)))].sort();
  section('params', paramKeys.map((k) => [k, runs.map((r) => r.data.params[k] ?? MISSING)]));
  const metricKeys = [...new Set(runs.flatMap((r) => Object.keys(r.data.metrics)))].sort();
  section('metrics', metricKeys.map((k) => [k, runs.map((r) => (k in r.data.metrics ? formatNumber(r.data.metrics[k].value) : MISSING))]));
  return renderTable([header, ...rows], 0);
}

/** 4 significant digits, integers in full, `nan`/`inf` as Python prints them. */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(4)));
}

/** `YYYY-MM-DD HH:MM:SS` in UTC. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** `1h02m03s`, `2m05s`, `4.2s`. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = `${String(s % 60).padStart(2, '0')}s`;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m${rest}` : `${m}m${rest}`;
}

/** Left-aligned columns separated by two spaces; a dashed rule after the first `headerRows` rows. */
function renderTable(rows: string[][], headerRows: number): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd();
  const out = rows.map(line);
  if (headerRows > 0) out.splice(headerRows, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return `${out.join('\n')}\n`;
}
