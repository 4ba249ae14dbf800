/**
 * The shareable report of a tracked run: one self-contained HTML file that opens offline.
 * It opens on the result (run name, status, error if it failed, headline metrics, evaluation
 * figures, loss and accuracy curves), then shows every stage notebook stored under
 * `artifacts/notebooks/*.ipynb`, in file-name order (`01-...`, `02-...`), cell by cell, and ends
 * with all final metrics, the parameters (folded) and the run's facts.
 *
 * Escaping: every string from data (params, tags, metric names, file names, stream text,
 * tracebacks, markdown, prompts) is HTML-escaped; only `text/html` outputs that a cell produced
 * render as HTML, each in a sandboxed frame (see markdown.ts, outputs.ts and frame.ts). plotly.js
 * is inlined once, only when a figure is shown; a Content-Security-Policy (csp.ts) stops the
 * page from loading anything from the network and runs only the scripts it was built with.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../atomic-write';
import { readNotebook } from '../runner/notebook-io';
import { ERROR_ARTIFACT, ERROR_TAG, Tracker } from '../tracking';
import { escapeAttr, escapeHtml } from '../viz/html-escape';
import { renderNotebookSection } from './notebook';
import { PageContext, htmlPage } from './page';
import {
  curvesSection, evaluationSection, headlineSection, metricsSection, paramsSection, runError, runFacts, runTitle, type EvaluationArtifacts,
} from './run-sections';

/** Folder under a run's artifacts holding the executed stage notebooks. */
export const NOTEBOOKS_ARTIFACT_DIR = 'notebooks';
/** File name of the report inside a run's artifacts. */
export const REPORT_ARTIFACT = 'report.html';

export interface RunReportOptions {
  /** Run to report on (32 hex digits). Required. */
  runId: string;
  /** Root folder of the tracking file store, resolved against the working directory. Default `runs`. */
  root?: string;
}

export interface WriteRunReportOptions extends RunReportOptions {
  /** Where to write the report. Default `<run>/artifacts/report.html`. */
  output?: string;
}

/**
 * The report of one run as a complete HTML document. It opens on the result (title and status,
 * the error if it failed, the headline figures, the confusion matrix and training curves), then
 * the notebooks, and ends with every metric, the parameters (folded) and the run's facts.
 */
export async function renderRunReport(options: RunReportOptions): Promise<string> {
  const tracker = new Tracker({ root: options.root ?? 'runs', gitCommit: null });
  const run = await tracker.getRun(options.runId);
  const artifacts = await tracker.store.artifactDir(options.runId);
  const ctx = new PageContext();
  const notes: string[] = [];

  const stack = await readOptional(path.join(artifacts, ERROR_ARTIFACT));
  const evaluations = await readEvaluations(path.join(artifacts, 'evaluation'), notes);
  const notebooks = await listNotebooks(path.join(artifacts, NOTEBOOKS_ARTIFACT_DIR));

  const sections: { id: string; title: string; html: string }[] = [];
  const add = (id: string, title: string, html: string) => { if (html) sections.push({ id, title, html }); };
  // Figures are numbered in the order they are made: curves first, as the report always did.
  const curves = curvesSection(run, ctx);
  add('evaluation', 'Evaluation', evaluationSection(evaluations, ctx));
  add('curves', 'Training curves', curves);
  for (const [i, file] of notebooks.entries()) add(`nb-${i + 1}`, file.replace(/\.ipynb$/, ''), await notebookSection(artifacts, file, `nb-${i + 1}`, ctx));
  add('metrics', 'Metrics', metricsSection(run));
  add('params', 'Parameters', paramsSection(run));
  add('facts', 'Run', runFacts(run));

  const toc = `<nav class="toc"><ol>${sections.map((s) => `<li><a href="#${escapeAttr(s.id)}">${escapeHtml(s.title)}</a></li>`).join('')}</ol></nav>`;
  const noteList = notes.length ? `<section id="notes"><h2>Notes</h2><ul>${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul></section>` : '';
  const body = [
    runTitle(run),
    runError(run.data.tags[ERROR_TAG], stack),
    headlineSection(run),
    toc,
    ...sections.map((s) => s.html),
    notebooks.length ? '' : `<p class="meta">${escapeHtml(`No notebooks under artifacts/${NOTEBOOKS_ARTIFACT_DIR}/.`)}</p>`,
    noteList,
  ].filter(Boolean).join('\n');
  return htmlPage({ title: `${run.info.runName || run.info.runId} · melbook run`, body, context: ctx });
}

/** One stored notebook as a report section, or a line saying why it cannot be shown. */
async function notebookSection(artifacts: string, file: string, id: string, ctx: PageContext): Promise<string> {
  const title = `Notebook ${file.replace(/\.ipynb$/, '')}`;
  let body: string;
  try {
    const nb = await readNotebook(path.join(artifacts, NOTEBOOKS_ARTIFACT_DIR, file));
    body = renderNotebookSection(nb, ctx, { idPrefix: id, title });
  } catch (error) {
    body = `<h2>${escapeHtml(title)}</h2><div class="run-error"><pre>${escapeHtml(`${NOTEBOOKS_ARTIFACT_DIR}/${file}: cannot be read: ${(error as Error).message}`)}</pre></div>`;
  }
  return `<section class="notebook" id="${escapeAttr(id)}">\n${body}\n</section>`;
}

/**
 * Renders the report and writes it atomically (a temporary file in the same folder, then a
 * rename) to `<run>/artifacts/report.html` or `output`. Resolves with the file's path.
 */
export async function writeRunReport(options: WriteRunReportOptions): Promise<string> {
  const html = await renderRunReport(options);
  const dest = options.output
    ? path.resolve(options.output)
    : path.join(await new Tracker({ root: options.root ?? 'runs', gitCommit: null }).store.artifactDir(options.runId), REPORT_ARTIFACT);
  await writeAtomic(dest, html);
  return dest;
}

/** Writes `text` to `file` through a temporary file and a rename, so readers never see half a file. */
export async function writeAtomic(file: string, text: string): Promise<void> {
  await writeFileAtomic(file, text, { mkdir: true });
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** `*.ipynb` file names of a folder in stage order (natural sort: `2-` before `10-`). */
async function listNotebooks(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names.filter((n) => n.endsWith('.ipynb')).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

const isCounts = (m: unknown, n: number): m is number[][] =>
  Array.isArray(m) && m.length === n && m.every((r) => Array.isArray(r) && r.length === n && r.every((v) => typeof v === 'number'));

/** `<split>_confusion.json` and `<split>_per_speaker.json` files (as `logEvaluation` writes them), checked. */
async function readEvaluations(dir: string, notes: string[]): Promise<EvaluationArtifacts[]> {
  let names: string[];
  try {
    names = (await fs.readdir(dir)).sort();
  } catch {
    return [];
  }
  const bySplit = new Map<string, EvaluationArtifacts>();
  const entry = (split: string) => bySplit.get(split) ?? bySplit.set(split, { split }).get(split)!;
  for (const name of names) {
    const m = /^(.+)_(confusion|per_speaker)\.json$/.exec(name);
    if (!m) continue;
    const where = `evaluation/${name}`;
    let json: unknown;
    try {
      json = JSON.parse(await fs.readFile(path.join(dir, name), 'utf8'));
    } catch (error) {
      notes.push(`${where}: not shown, it is not JSON (${(error as Error).message})`);
      continue;
    }
    if (m[2] === 'confusion') {
      const c = json as { classNames?: unknown; matrix?: unknown };
      const names = Array.isArray(c.classNames) && c.classNames.every((x) => typeof x === 'string') ? (c.classNames as string[]) : undefined;
      if (names && names.length > 0 && isCounts(c.matrix, names.length)) entry(m[1]).confusion = { classNames: names, matrix: c.matrix };
      else notes.push(`${where}: not shown, expected { classNames: string[], matrix: number[][] } with one row and column per class`);
    } else {
      const groups = json && typeof json === 'object' && !Array.isArray(json) ? Object.entries(json as Record<string, unknown>) : undefined;
      const ok = groups?.every(([, g]) => typeof (g as { accuracy?: unknown })?.accuracy === 'number' && typeof (g as { count?: unknown })?.count === 'number');
      if (groups && ok) entry(m[1]).perGroup = json as Record<string, { accuracy: number; count: number }>;
      else notes.push(`${where}: not shown, expected { <speaker>: { accuracy: number, count: number } }`);
    }
  }
  return [...bySplit.values()];
}
