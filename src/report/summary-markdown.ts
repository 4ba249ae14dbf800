/**
 * A run's summary as GitHub-flavoured markdown, for a CI job summary (`$GITHUB_STEP_SUMMARY`):
 * run name and status, the headline metrics, then per-class and per-speaker tables of the test
 * split (and the LOSO folds when the run has them).
 *
 * It holds no links and no markup: every string from data is escaped, and URL- or address-like
 * text is broken with a zero-width space so GitHub does not auto-link it. It stays under
 * SUMMARY_MAX_BYTES (GitHub refuses a step summary over 1 MiB and shows less; 64 KB keeps a
 * summary readable): long tables and long names are cut with a note saying so.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Tracker, type Run } from '../tracking';
import type { ClassReport } from '../train/metrics';
import { formatHeadline, headlineDetail, headlineMetrics, LOSO_SPEAKER_PREFIX, metricsUnder, TEST_SPEAKER_PREFIX } from './headline';

/** Largest summary in bytes (UTF-8). */
export const SUMMARY_MAX_BYTES = 64_000;
/** Rows kept per table; the rest are counted in a note. */
export const SUMMARY_MAX_ROWS = 100;
/** Characters kept of one table cell or the run name. */
const MAX_CELL_CHARS = 60;

/** What the summary shows besides the run's metrics (read from `artifacts/evaluation/test.json`). */
export interface SummaryExtras {
  /** Precision, recall, F1 and support per class; without it the table has F1 from the metrics. */
  perClass?: readonly ClassReport[];
  /** Test clips per speaker. */
  speakerCounts?: Readonly<Record<string, number>>;
}

const ZWSP = '\u200b';

/** Data text as inert markdown: specials escaped, no line breaks, no auto-linked URL or address. */
export function markdownText(text: string, maxChars = MAX_CELL_CHARS): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const cut = flat.length > maxChars ? `${flat.slice(0, maxChars - 1)}…` : flat;
  return cut
    .replace(/[\\`*_{}[\]()<>#+\-!|~&"'=]/g, (c) => `\\${c}`)
    // GitHub links `scheme://`, `www.host` and `user@host` in plain text; a zero-width space
    // after the `:`, the dot or the `@` leaves the text readable and unlinked.
    .replace(/:(?=\/)|\.(?=[A-Za-z0-9])|@/g, (c) => `${c}${ZWSP}`)
    .replace(/^$/, ' ');
}

function tableMd(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const kept = rows.slice(0, SUMMARY_MAX_ROWS);
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...kept.map((r) => `| ${r.join(' | ')} |`)];
  if (rows.length > kept.length) lines.push('', `${rows.length - kept.length} more rows not shown.`);
  return lines.join('\n');
}

const pct = (x: number) => formatHeadline(x, 'percent');
const ratio = (x: number) => formatHeadline(x, 'ratio');

function perClassTable(run: Run, extras: SummaryExtras): string {
  if (extras.perClass?.length) {
    return tableMd(['class', 'precision', 'recall', 'F1', 'clips'],
      extras.perClass.map((c) => [markdownText(c.class), ratio(c.precision), ratio(c.recall), ratio(c.f1), String(c.support)]));
  }
  const f1 = metricsUnder(run, 'test_class_f1/');
  return f1.length ? tableMd(['class', 'F1'], f1.map(([c, v]) => [markdownText(c), ratio(v)])) : '';
}

function perSpeakerTable(entries: readonly [string, number][], counts?: Readonly<Record<string, number>>): string {
  if (!entries.length) return '';
  const withCounts = counts !== undefined;
  return tableMd(['speaker', 'accuracy', ...(withCounts ? ['clips'] : [])],
    entries.map(([s, v]) => [markdownText(s), pct(v), ...(withCounts ? [String(counts[s] ?? '-')] : [])]));
}

/** The summary of a run whose metrics and evaluation are already read. Pure. */
export function summaryMarkdown(run: Run, extras: SummaryExtras = {}): string {
  const name = markdownText(run.info.runName || run.info.runId);
  const headline = headlineMetrics(run);
  const parts = [`## melbook run ${name}: ${markdownText(run.info.status)}`];
  parts.push(headline.length
    ? tableMd(['metric', 'value', ''], headline.map((h) => [h.label, formatHeadline(h.value, h.format), headlineDetail(h, markdownText) || ' ']))
    : 'No test or LOSO metrics were logged.');
  const sections: [string, string][] = [
    ['Per class (test)', perClassTable(run, extras)],
    ['Per speaker (test)', perSpeakerTable(metricsUnder(run, TEST_SPEAKER_PREFIX), extras.speakerCounts)],
    ['Per speaker (LOSO folds)', perSpeakerTable(metricsUnder(run, LOSO_SPEAKER_PREFIX))],
  ];
  for (const [title, body] of sections) if (body) parts.push(`### ${title}`, body);
  parts.push(`Run id ${run.info.runId}.`);
  return capBytes(`${parts.join('\n\n')}\n`);
}

/** Cuts the text at a line end so it fits SUMMARY_MAX_BYTES, saying so on its last line. */
function capBytes(text: string): string {
  if (Buffer.byteLength(text, 'utf8') <= SUMMARY_MAX_BYTES) return text;
  const note = '\n\nThe summary was cut to fit a job summary; the full figures are in report.html.\n';
  const room = SUMMARY_MAX_BYTES - Buffer.byteLength(note, 'utf8');
  const head = Buffer.from(text, 'utf8').subarray(0, room).toString('utf8');
  return head.slice(0, head.lastIndexOf('\n')).replace(/\uFFFD$/, '') + note;
}

/** Reads the run and its `evaluation/test.json` (when present) and renders the summary. */
export async function renderRunSummaryMarkdown(options: { runId: string; root?: string }): Promise<string> {
  const tracker = new Tracker({ root: options.root ?? 'runs', gitCommit: null });
  const run = await tracker.getRun(options.runId);
  const file = path.join(await tracker.store.artifactDir(options.runId), 'evaluation', 'test.json');
  return summaryMarkdown(run, await readTestEvaluation(file));
}

async function readTestEvaluation(file: string): Promise<SummaryExtras> {
  let json: { perClass?: unknown; perGroup?: unknown };
  try {
    json = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch {
    return {}; // no evaluation (or a broken one): the tables come from the metrics alone
  }
  const perClass = Array.isArray(json.perClass) && json.perClass.every(isClassReport) ? (json.perClass as ClassReport[]) : undefined;
  const groups = json.perGroup && typeof json.perGroup === 'object' ? Object.entries(json.perGroup as Record<string, { count?: unknown }>) : [];
  const speakerCounts = groups.length && groups.every(([, g]) => typeof g?.count === 'number')
    ? Object.fromEntries(groups.map(([s, g]) => [s, g.count as number])) : undefined;
  return { perClass, speakerCounts };
}

function isClassReport(c: unknown): c is ClassReport {
  const r = c as Partial<ClassReport> | null;
  return !!r && typeof r.class === 'string' && ['precision', 'recall', 'f1', 'support'].every((k) => typeof (r as Record<string, unknown>)[k] === 'number');
}
