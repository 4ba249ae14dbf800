/**
 * An executed notebook to HTML, cell by cell: markdown rendered (see markdown.ts for the
 * policy on raw HTML), code with its prompt, run status and duration (the runner's
 * `metadata.melbook`), tags and outputs (outputs.ts). The runner's error banner and anchor
 * cells (tagged `melbook-error-cell-tag`) are shown as a red banner linking to the failed cell
 * and a marker before it, rebuilt from their text: their HTML is not inserted.
 */
import { ERROR_CELL_TAG, type Cell, type CellRunMetadata, type CodeCell, type Notebook, type TextCell } from '../nbformat';
import { escapeAttr, escapeHtml } from '../viz/html-escape';
import { renderMarkdown } from './markdown';
import { promptCount, renderOutput } from './outputs';
import { PageContext, htmlPage } from './page';
import { formatSeconds, formatUtc, keyValueTable } from './tables';

export interface NotebookSectionOptions {
  /** Prefix of the element ids in this notebook (`<idPrefix>-cell-<i>`). Default `nb`. */
  idPrefix?: string;
  /** Heading text (escaped). Default none. */
  title?: string;
}

/** Cell status from the runner's metadata, if the cell has it. */
function runMeta(cell: CodeCell): Partial<CellRunMetadata> | undefined {
  const m = cell.metadata.melbook;
  return m && typeof m === 'object' ? (m as Partial<CellRunMetadata>) : undefined;
}

/** The cell's tags; none when its metadata holds something else under `tags`. */
const tagsOf = (cell: Cell): unknown[] => (Array.isArray(cell.metadata?.tags) ? cell.metadata.tags : []);

const isErrorCell = (cell: Cell) => tagsOf(cell).includes(ERROR_CELL_TAG);

/** Visible text of a bit of HTML: tags dropped, the basic entities decoded. */
function htmlToText(html: string): string {
  const entities: Record<string, string> = { lt: '<', gt: '>', quot: '"', amp: '&', '#39': "'", apos: "'", nbsp: ' ' };
  return html.replace(/<[^>]*>/g, '').replace(/&(lt|gt|quot|amp|#39|apos|nbsp);/g, (_m, e: string) => entities[e]).trim();
}

/** The body of one notebook: its metadata and every cell. */
export function renderNotebookSection(nb: Notebook, ctx: PageContext, options: NotebookSectionOptions = {}): string {
  const prefix = options.idPrefix ?? 'nb';
  const cellId = (i: number) => `${prefix}-cell-${i}`;
  const failedIndex = nb.cells.findIndex((c) => c.cell_type === 'code' && runMeta(c)?.status === 'failed');
  const parts: string[] = [];
  if (options.title !== undefined) parts.push(`<h2>${escapeHtml(options.title)}</h2>`);
  parts.push(notebookFacts(nb));
  let errorCellsSeen = 0;
  for (const [i, cell] of nb.cells.entries()) {
    if (isErrorCell(cell)) {
      parts.push(errorCell(cell as TextCell, errorCellsSeen === 0, failedIndex >= 0 ? cellId(failedIndex) : undefined));
      errorCellsSeen += 1;
    } else if (cell.cell_type === 'code') {
      parts.push(codeCell(cell, cellId(i), ctx));
    } else if (cell.cell_type === 'markdown') {
      parts.push(`<div class="cell markdown" id="${escapeAttr(cellId(i))}">${renderMarkdown(cell.source, cell.attachments)}</div>`);
    } else {
      parts.push(`<div class="cell raw" id="${escapeAttr(cellId(i))}"><pre>${escapeHtml(cell.source)}</pre></div>`);
    }
  }
  return parts.join('\n');
}

/** One line of outcome, duration, start and kernel, and the parameters, from the runner's `metadata.melbook`. */
function notebookFacts(nb: Notebook): string {
  const m = nb.metadata.melbook as Record<string, unknown> | undefined;
  if (!m || typeof m !== 'object') return '';
  const facts: string[] = [];
  if (typeof m.exception === 'boolean') facts.push(`<span class="badge ${m.exception ? 'failed' : 'completed'}">${m.exception ? 'failed' : 'completed'}</span>`);
  if (typeof m.duration === 'number') facts.push(escapeHtml(`in ${formatSeconds(m.duration)}`));
  const started = typeof m.start_time === 'string' ? Date.parse(m.start_time) : Number.NaN;
  if (Number.isFinite(started)) facts.push(escapeHtml(`started ${formatUtc(started)}`));
  if (typeof m.engine === 'string') facts.push(escapeHtml(`kernel ${m.engine}`));
  const line = facts.length ? `<p class="meta">${facts.join(' · ')}</p>` : '';
  const params = m.parameters && typeof m.parameters === 'object' ? Object.entries(m.parameters as Record<string, unknown>) : [];
  const paramTable = params.length
    ? `<details><summary>${params.length} parameter${params.length === 1 ? '' : 's'}</summary>` +
      keyValueTable(params.map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])) + '</details>'
    : '';
  return line + paramTable;
}

function codeCell(cell: CodeCell, id: string, ctx: PageContext): string {
  const meta = runMeta(cell);
  const status = meta?.status;
  const head = [
    `<span class="prompt">${escapeHtml(`In [${promptCount(cell.execution_count) ?? ' '}]:`)}</span>`,
    ...tagsOf(cell).map((t) => `<span class="tag">${escapeHtml(String(t))}</span>`),
    '<span class="spacer"></span>',
    typeof meta?.duration === 'number' ? `<span class="duration">${escapeHtml(formatSeconds(meta.duration))}</span>` : '',
    typeof status === 'string' ? `<span class="badge${/^[a-z]+$/.test(status) ? ` ${status}` : ''}">${escapeHtml(status)}</span>` : '',
  ].join('');
  const outputs = cell.outputs.map((o) => renderOutput(o, ctx)).join('\n');
  const cls = status === 'failed' ? 'cell code failed' : 'cell code';
  return (
    `<div class="${cls}" id="${escapeAttr(id)}">\n<div class="cell-head">${head}</div>\n` +
    `<pre class="source"><code>${escapeHtml(cell.source)}</code></pre>\n<div class="outputs">${outputs}</div>\n</div>`
  );
}

function errorCell(cell: TextCell, isBanner: boolean, failedId: string | undefined): string {
  const text = htmlToText(cell.source);
  if (!isBanner) return `<div class="error-marker">${escapeHtml(text)}</div>`;
  const link = failedId ? ` <a href="#${escapeAttr(failedId)}">Go to the failed cell.</a>` : '';
  return `<div class="error-banner">${escapeHtml(text)}${link}</div>`;
}

/** One notebook as a complete, self-contained HTML page (e.g. one stage of a run). */
export function renderNotebookHtml(nb: Notebook, options: { title?: string } = {}): string {
  const ctx = new PageContext();
  const title = options.title ?? 'Notebook';
  const body = `<h1>${escapeHtml(title)}</h1>\n${renderNotebookSection(nb, ctx)}`;
  return htmlPage({ title, body, context: ctx });
}
