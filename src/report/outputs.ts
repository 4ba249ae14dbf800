/**
 * One notebook output to HTML. A display or result shows its richest mime type, in the order
 * of `MIME_ORDER`: a plotly spec is drawn with the page's plotly.js; `text/html` renders in a
 * sandboxed frame (frame.ts: its scripts may draw inside it but cannot reach the page); images
 * become `<img>` with a data URI (SVG too, never inline, so its scripts cannot run); every text
 * (streams, plain text, tracebacks, JSON, prompts) is escaped. Streams and errors lose their ANSI colour codes; a `\r` inside a stream line keeps
 * only what was written after it, as a terminal shows a progress bar.
 */
import type { MimeBundle, Output } from '../nbformat';
import { formatError } from '../runner/outputs';
import { PLOTLY_MIME } from '../viz/display';
import { escapeAttr, escapeHtml } from '../viz/html-escape';
import type { PlotlyFigure } from '../viz/plots';
import { renderMarkdown } from './markdown';
import type { PageContext } from './page';

/** Mime types the report renders, richest first. */
export const MIME_ORDER = [
  PLOTLY_MIME, 'text/html', 'image/svg+xml', 'image/png', 'image/jpeg', 'image/gif',
  'text/markdown', 'application/json', 'text/latex', 'text/plain',
] as const;

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** Terminal text as shown: ANSI codes removed, each line reduced to what followed its last `\r`. */
export function terminalText(text: string): string {
  return text
    .replace(ANSI, '')
    .split('\n')
    .map((line) => {
      const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
      const cut = trimmed.lastIndexOf('\r');
      return cut < 0 ? trimmed : trimmed.slice(cut + 1);
    })
    .join('\n');
}

/**
 * An execution count as a prompt shows it: a non-negative integer as digits, anything else
 * (null, or a value a reader did not check) as undefined.
 */
export const promptCount = (n: unknown): string | undefined => (Number.isSafeInteger(n) && (n as number) >= 0 ? String(n) : undefined);

const pre = (text: string, cls = '') => `<pre${cls ? ` class="${cls}"` : ''}>${escapeHtml(text)}</pre>`;

/** The HTML of one output. */
export function renderOutput(output: Output, ctx: PageContext): string {
  switch (output.output_type) {
    case 'stream':
      return `<div class="output stream ${output.name === 'stderr' ? 'stderr' : 'stdout'}">${pre(terminalText(output.text))}</div>`;
    case 'error':
      return `<div class="output error">${pre(terminalText(formatError(output)) || 'error (no message)')}</div>`;
    case 'execute_result': {
      const count = promptCount(output.execution_count);
      const prompt = count === undefined ? '' : `<div class="prompt">${escapeHtml(`Out[${count}]:`)}</div>`;
      return `<div class="output result">${prompt}${renderBundle(output.data, output.metadata, ctx)}</div>`;
    }
    case 'display_data':
      return `<div class="output display">${renderBundle(output.data, output.metadata, ctx)}</div>`;
    default:
      return `<div class="output"><p class="note">${escapeHtml(`output of unknown type ${JSON.stringify((output as { output_type?: unknown }).output_type)} not shown`)}</p></div>`;
  }
}

/** The richest renderable mime of a bundle; a note when none is. */
export function renderBundle(data: MimeBundle, metadata: Record<string, unknown>, ctx: PageContext): string {
  for (const mime of MIME_ORDER) {
    if (!(mime in data)) continue;
    const html = renderMime(mime, data[mime], metadata[mime], ctx);
    if (html !== undefined) return html;
  }
  const kinds = Object.keys(data).join(', ') || 'nothing';
  return `<p class="note">${escapeHtml(`output not shown (${kinds})`)}</p>`;
}

const textOf = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : Array.isArray(value) && value.every((v) => typeof v === 'string') ? value.join('') : undefined;

/** HTML of one mime's data, or undefined when the data is not of the expected shape. */
function renderMime(mime: (typeof MIME_ORDER)[number], value: unknown, meta: unknown, ctx: PageContext): string | undefined {
  switch (mime) {
    case PLOTLY_MIME: {
      const fig = value as Partial<PlotlyFigure> | null;
      if (!fig || typeof fig !== 'object' || !Array.isArray(fig.data)) return undefined;
      const layout = fig.layout && typeof fig.layout === 'object' ? fig.layout : {};
      const config = fig.config && typeof fig.config === 'object' ? displayConfig(fig.config) : undefined;
      return ctx.figure({ data: fig.data, layout, ...(config ? { config } : {}) });
    }
    case 'text/html': {
      const html = textOf(value);
      return html === undefined ? undefined : ctx.htmlFrame(html);
    }
    case 'image/svg+xml': {
      const svg = textOf(value);
      return svg === undefined ? undefined : img(`data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`, meta);
    }
    case 'image/png':
    case 'image/jpeg':
    case 'image/gif': {
      const b64 = textOf(value)?.replace(/\s+/g, '');
      return b64 === undefined || !/^[A-Za-z0-9+/=]+$/.test(b64) ? undefined : img(`data:${mime};base64,${b64}`, meta);
    }
    case 'text/markdown': {
      const md = textOf(value);
      return md === undefined ? undefined : `<div class="markdown-output">${renderMarkdown(md)}</div>`;
    }
    case 'application/json':
      return pre(JSON.stringify(value, null, 2) ?? 'undefined');
    case 'text/latex':
    case 'text/plain': {
      const text = textOf(value);
      return text === undefined ? undefined : pre(terminalText(text));
    }
  }
}

/**
 * Plotly config keys that only change how a figure looks and reacts. The others (`showLink`,
 * `sendData`, `plotlyServerURL`, `showEditInChartStudio`, `modeBarButtonsToAdd`, map and topojson
 * URLs, ...) can send the figure's data to a server; a notebook's figure keeps only these.
 */
const DISPLAY_CONFIG_KEYS = new Set([
  'responsive', 'displayModeBar', 'displaylogo', 'scrollZoom', 'staticPlot', 'editable', 'modeBarButtonsToRemove',
  'toImageButtonOptions', 'locale', 'doubleClick', 'showTips', 'showAxisDragHandles', 'frameMargins', 'autosizable', 'fillFrame',
]);

function displayConfig(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).filter(([k]) => DISPLAY_CONFIG_KEYS.has(k)));
}

/** An `<img>` with the size from the output's metadata (`{ width, height }` in CSS pixels) when given. */
function img(src: string, meta: unknown): string {
  const m = (meta && typeof meta === 'object' ? meta : {}) as { width?: unknown; height?: unknown };
  const size = (['width', 'height'] as const)
    .filter((k) => typeof m[k] === 'number' && Number.isFinite(m[k]) && (m[k] as number) > 0)
    .map((k) => ` ${k}="${Math.round(m[k] as number)}"`)
    .join('');
  return `<img src="${escapeAttr(src)}"${size} alt="">`;
}
