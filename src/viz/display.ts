/**
 * Showing results in a notebook: each helper builds a Jupyter display message (a mime bundle
 * plus metadata) and sends it to the display sink, by default the kernel the notebook runs in
 * (tslab, or Deno's `deno jupyter`). The `...Bundle` builders are pure and return the message instead, for tests, the
 * report and other sinks.
 *
 * Figures are sent with three mime types: `application/vnd.plotly.v1+json` (the spec, drawn
 * by JupyterLab's plotly renderer where one is installed, and by the run report),
 * `text/html` (a div and a script calling `Plotly.newPlot`, which works offline: the first
 * figure of a kernel session carries the plotly.js bundle inline, later ones reuse
 * `window.Plotly`), and `text/plain`. Jupyter runs scripts of HTML outputs only in trusted
 * notebooks: a notebook executed headless is untrusted until `jupyter trust FILE`; until then
 * the div shows a note instead of the figure.
 *
 * Every string from data is escaped (html-escape.ts); JSON inside scripts is `scriptJson`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { encodeWav } from '../audio/encode';
import { MelbookError } from '../errors';
import type { MimeBundle } from '../nbformat';
import { escapeAttr, escapeHtml, scriptJson, scriptText } from './html-escape';
import type { PlotlyFigure } from './plots';
import { renderSpectrogramPng, type SpectrogramImageOptions } from './spectrogram';
import { renderWaveformPng, type WaveformImageOptions } from './waveform';

/** The content of a Jupyter `display_data` message. */
export interface DisplayMessage {
  data: MimeBundle;
  /** Per-mime metadata, e.g. `{ 'image/png': { width: 640 } }`. */
  metadata: Record<string, unknown>;
}

/** Where `show...` helpers send their messages. */
export type DisplaySink = (message: DisplayMessage) => void;

export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

// Session state of this module (one per kernel process): the sink, and whether plotly.js was sent.
let currentSink: DisplaySink | null = null;
let plotlySent = false;

/**
 * Sends later `show...` output to `sink` (null: back to the kernel) and returns the
 * previous sink. Starts a new display session: the next figure carries plotly.js again.
 */
export function setDisplaySink(sink: DisplaySink | null): DisplaySink | null {
  const previous = currentSink;
  currentSink = sink;
  plotlySent = false;
  return previous;
}

function send(message: DisplayMessage, sink?: DisplaySink): void {
  (sink ?? currentSink ?? kernelSink)(message);
}

/** The part of Deno's `Deno.jupyter` namespace used here (present inside `deno jupyter`). */
interface DenoJupyter {
  /** A promise in Deno's documentation; Deno 2.9 sends at once and returns nothing. */
  broadcast(msgType: string, content: Record<string, unknown>, extra?: { metadata?: Record<string, unknown> }): Promise<void> | void;
}

/**
 * The display channel of the kernel this code runs in: Deno's when `Deno.jupyter` exists,
 * else tslab's. Both get the same whole `display_data` bundle, so a notebook shows the same
 * PNGs, figures, tables and audio players in either kernel.
 */
export function kernelSink(message: DisplayMessage): void {
  const jupyter = (globalThis as { Deno?: { jupyter?: DenoJupyter } }).Deno?.jupyter;
  if (!jupyter) return tslabSink(message);
  const failed = (error: unknown) => console.error(`melbook: Deno could not display ${Object.keys(message.data).join(', ')}: ${(error as Error).message}`);
  try {
    Promise.resolve(jupyter.broadcast('display_data', { data: message.data, metadata: message.metadata, transient: {} })).catch(failed);
  } catch (error) {
    failed(error);
  }
}

/** The part of tslab's public `display` object used here (tslab/dist/public.d.ts). */
interface TslabDisplay {
  raw(contentType: string, data: string | Uint8Array): unknown;
}

/**
 * The tslab kernel's display channel. tslab's public `display` sends one mime type per message;
 * its internal `lastWriteDisplayData` (tslab 1.0.x) sends a whole bundle, so it is used when
 * present, else the richest single mime the public API can carry.
 */
export function tslabSink(message: DisplayMessage): void {
  let write: unknown;
  let display: TslabDisplay | undefined;
  try {
    /* eslint-disable @typescript-eslint/no-require-imports */
    write = (require('tslab/dist/jupyter') as { lastWriteDisplayData?: unknown }).lastWriteDisplayData;
    display = (require('tslab') as { display: TslabDisplay }).display;
    /* eslint-enable @typescript-eslint/no-require-imports */
  } catch (cause) {
    throw new MelbookError('cannot load tslab to display output; install it (npm install tslab) or call setDisplaySink(...)', { cause });
  }
  if (typeof write === 'function') {
    write({ data: message.data, metadata: message.metadata, transient: {} }, false);
    return;
  }
  const mime = ['text/html', 'image/png', 'text/plain'].find((m) => typeof message.data[m] === 'string');
  if (!mime || !display) throw new MelbookError(`tslab cannot display a bundle of ${Object.keys(message.data).join(', ')}`);
  try {
    display.raw(mime, message.data[mime] as string);
  } catch (cause) {
    throw new MelbookError('no notebook to display in: show... helpers run inside a tslab kernel; elsewhere call setDisplaySink(...) first', { cause });
  }
}

// ---------------------------------------------------------------------------------- figures

let plotlySource: string | undefined;

/**
 * The plotly.js bundle (minified when `plotly.js-dist-min` is installed, else `plotly.js-dist`),
 * read on first use, as a script that defines `window.Plotly` even where a RequireJS or
 * CommonJS loader is present, and then fires the `melbook:plotly-ready` event.
 */
export function plotlyBundleScript(): string {
  if (plotlySource === undefined) {
    let file: string | undefined;
    for (const id of ['plotly.js-dist-min/plotly.min.js', 'plotly.js-dist/plotly.js']) {
      try {
        file = require.resolve(id);
        break;
      } catch {
        // try the next
      }
    }
    if (!file) throw new MelbookError('plotly.js is not installed: npm install plotly.js-dist-min (or plotly.js-dist)');
    const bundle = readFileSync(file, 'utf8');
    plotlySource =
      'if (!window.Plotly) { (function () { var define, module, exports;\n' +
      `${scriptText(bundle)}\n` +
      "})(); window.dispatchEvent(new Event('melbook:plotly-ready')); }";
  }
  return plotlySource;
}

export interface FigureHtmlOptions {
  /** Id of the figure's div. Default `melbook-fig-` and 12 random hex digits. */
  id?: string;
  /** Put the plotly.js bundle (~4.6 MB) in this output. Default false. */
  includePlotlyJs?: boolean;
  /** Height of the div in CSS pixels. Default the layout's `height`, else 450. */
  height?: number;
}

const FIGURE_CONFIG = { responsive: true, displaylogo: false, scrollZoom: false };

/**
 * The HTML of one figure: a div (holding a note until plotly draws) and a script that draws it
 * with `window.Plotly`, now or when the bundle fires `melbook:plotly-ready`.
 */
export function figureHtml(fig: PlotlyFigure, options: FigureHtmlOptions = {}): string {
  const { div, script } = figureParts(fig, options);
  return `${div}\n` + (options.includePlotlyJs ? `<script>${plotlyBundleScript()}</script>\n` : '') + `<script>${script}</script>`;
}

/**
 * The two parts of `figureHtml` apart, for pages that place (and hash, for their
 * Content-Security-Policy) each script themselves: the div and the source of its draw script.
 */
export function figureParts(fig: PlotlyFigure, options: Omit<FigureHtmlOptions, 'includePlotlyJs'> = {}): { div: string; script: string } {
  const id = options.id ?? `melbook-fig-${randomBytes(6).toString('hex')}`;
  const layoutHeight = typeof fig.layout.height === 'number' ? fig.layout.height : undefined;
  const height = options.height ?? layoutHeight ?? 450;
  const maxWidth = typeof fig.layout.width === 'number' ? `max-width:${fig.layout.width}px;` : '';
  const spec = { data: fig.data, layout: fig.layout, config: { ...FIGURE_CONFIG, ...fig.config } };
  const note = 'Interactive figure: it needs JavaScript. Trust the notebook (jupyter trust FILE) or open the run report.';
  const script =
    '(function () {\n' +
    `  var fig = ${scriptJson(spec)};\n` +
    `  var id = ${scriptJson(id)};\n` +
    '  function draw() { var el = document.getElementById(id); if (!el || el.dataset.drawn) return; el.dataset.drawn = "1";' +
    ' el.textContent = ""; window.Plotly.newPlot(el, fig.data, fig.layout, fig.config); }\n' +
    "  if (window.Plotly) draw(); else window.addEventListener('melbook:plotly-ready', draw);\n" +
    '})();';
  const div =
    `<div id="${escapeAttr(id)}" class="melbook-figure" style="width:100%;${maxWidth}height:${Math.round(height)}px">` +
    `<p style="color:#666;font-style:italic">${escapeHtml(note)}</p></div>`;
  return { div, script };
}

function figureTitle(fig: PlotlyFigure): string {
  const t = fig.layout.title;
  const text = typeof t === 'string' ? t : typeof t === 'object' && t !== null ? (t as { text?: unknown }).text : undefined;
  return typeof text === 'string' ? text : '';
}

/** The display message of a figure (see the module doc); `includePlotlyJs` default false. */
export function figureBundle(fig: PlotlyFigure, options: FigureHtmlOptions = {}): DisplayMessage {
  const title = figureTitle(fig);
  return {
    data: {
      [PLOTLY_MIME]: JSON.parse(JSON.stringify({ data: fig.data, layout: fig.layout, ...(fig.config ? { config: fig.config } : {}) })),
      'text/html': figureHtml(fig, options),
      'text/plain': `<Figure${title ? ` "${title}"` : ''}: ${fig.data.length} trace${fig.data.length === 1 ? '' : 's'}>`,
    },
    metadata: {},
  };
}

export interface ShowFigureOptions extends Omit<FigureHtmlOptions, 'includePlotlyJs'> {
  /** `auto`: only the first figure of the session carries plotly.js; `always`; `never`. Default `auto`. */
  includePlotlyJs?: 'auto' | 'always' | 'never';
  /** Send to this sink instead of the session's. */
  sink?: DisplaySink;
}

/** Shows an interactive plotly figure in the notebook (see the module doc for how it loads offline). */
export function showFigure(fig: PlotlyFigure, options: ShowFigureOptions = {}): void {
  const mode = options.includePlotlyJs ?? 'auto';
  const include = mode === 'always' || (mode === 'auto' && !plotlySent);
  send(figureBundle(fig, { ...options, includePlotlyJs: include }), options.sink);
  if (include) plotlySent = true;
}

// ----------------------------------------------------------------------------- images, audio

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Uint8Array): { width: number; height: number } {
  const isPng = png.length >= 24 && png[0] === 0x89 && png[1] === 0x50 && png[2] === 0x4e && png[3] === 0x47;
  if (!isPng) throw new MelbookError(`not a PNG image (${png.length} bytes, starting ${Buffer.from(png.subarray(0, 8)).toString('hex')}); expected PNG bytes such as renderSpectrogramPng returns`);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** The display message of a PNG image. */
export function pngBundle(png: Uint8Array): DisplayMessage {
  const { width, height } = pngSize(png);
  return { data: { 'image/png': base64(png), 'text/plain': `<PNG image ${width}x${height}>` }, metadata: { 'image/png': { width, height } } };
}

/** Shows PNG bytes (e.g. from renderSpectrogramPng) as an image. */
export function showPng(png: Uint8Array, options: { sink?: DisplaySink } = {}): void {
  send(pngBundle(png), options.sink);
}

/** Renders and shows a spectrogram; `data` is [nBins, nFrames] row-major (see renderSpectrogramPng). */
export function showSpectrogram(data: Float32Array, shape: readonly [number, number], options: SpectrogramImageOptions & { sink?: DisplaySink }): void {
  showPng(renderSpectrogramPng(data, shape, options), options);
}

/** Renders and shows a waveform (see renderWaveformPng). */
export function showWaveform(samples: Float32Array, sampleRateHz: number, options: WaveformImageOptions & { sink?: DisplaySink } = {}): void {
  showPng(renderWaveformPng(samples, sampleRateHz, options), options);
}

export interface AudioOptions {
  /** Caption shown before the player. Default none. */
  title?: string;
}

/** The display message of an audio player: a 16-bit WAV in a data URI, so it plays offline. */
export function audioBundle(samples: Float32Array, sampleRateHz: number, options: AudioOptions = {}): DisplayMessage {
  const wav = encodeWav(samples, sampleRateHz);
  const seconds = samples.length / sampleRateHz;
  const caption = options.title === undefined ? '' : `<div class="melbook-audio-title">${escapeHtml(options.title)}</div>`;
  const html = `<div class="melbook-audio">${caption}<audio controls preload="metadata" src="data:audio/wav;base64,${base64(wav)}"></audio></div>`;
  const label = options.title === undefined ? '' : ` "${options.title}"`;
  return { data: { 'text/html': html, 'text/plain': `<Audio${label}: ${seconds.toFixed(2)} s at ${sampleRateHz} Hz>` }, metadata: {} };
}

/** Shows an audio player for mono samples in [-1, 1] at `sampleRateHz` (a positive integer). */
export function showAudio(samples: Float32Array, sampleRateHz: number, options: AudioOptions & { sink?: DisplaySink } = {}): void {
  send(audioBundle(samples, sampleRateHz, options), options.sink);
}

// ------------------------------------------------------------------------------------ tables

export interface TableOptions {
  /** Columns in order. Default: every key of the rows, in first-seen order. */
  columns?: string[];
  /** Rows shown; the rest are counted in a note. Default 50. */
  maxRows?: number;
  /** Significant digits of non-integer numbers. Default 4. */
  digits?: number;
  /** Caption above the table. Default none. */
  caption?: string;
}

function formatCell(value: unknown, digits: number): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isInteger(value) || !Number.isFinite(value) ? String(value) : String(Number(value.toPrecision(digits)));
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value) ?? String(value);
}

/** The display message of a table: escaped HTML and an aligned plain-text version. */
export function tableBundle(rows: readonly Record<string, unknown>[], options: TableOptions = {}): DisplayMessage {
  const digits = options.digits ?? 4;
  const maxRows = options.maxRows ?? 50;
  const columns = options.columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const shown = rows.slice(0, maxRows);
  const cells = shown.map((r) => columns.map((c) => formatCell(r[c], digits)));
  const numeric = columns.map((c) => shown.length > 0 && shown.every((r) => typeof r[c] === 'number' || r[c] === null || r[c] === undefined));
  const more = rows.length > shown.length ? `${rows.length - shown.length} more rows not shown (${rows.length} in all)` : '';

  const th = columns.map((c, j) => `<th${numeric[j] ? ' class="num"' : ''}>${escapeHtml(c)}</th>`).join('');
  const body = cells.map((row) => `<tr>${row.map((v, j) => `<td${numeric[j] ? ' class="num"' : ''}>${escapeHtml(v)}</td>`).join('')}</tr>`).join('\n');
  const html =
    '<table class="melbook-table">' +
    (options.caption === undefined ? '' : `<caption>${escapeHtml(options.caption)}</caption>`) +
    `<thead><tr>${th}</tr></thead>\n<tbody>\n${body}\n</tbody></table>` +
    (more ? `\n<p class="melbook-table-note">${escapeHtml(more)}</p>` : '');

  const widths = columns.map((c, j) => Math.max(c.length, ...cells.map((row) => row[j].length)));
  const line = (row: string[]) => row.map((v, j) => (numeric[j] ? v.padStart(widths[j]) : v.padEnd(widths[j]))).join('  ').trimEnd();
  const text = [
    ...(options.caption === undefined ? [] : [options.caption]),
    line(columns),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.map(line),
    ...(more ? [more] : []),
  ].join('\n');
  return { data: { 'text/html': html, 'text/plain': text }, metadata: {} };
}

/** Shows rows of records as a table (HTML with a plain-text fallback). */
export function showTable(rows: readonly Record<string, unknown>[], options: TableOptions & { sink?: DisplaySink } = {}): void {
  send(tableBundle(rows, options), options.sink);
}
