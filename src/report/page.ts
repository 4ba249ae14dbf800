/**
 * The shell of a self-contained HTML page: one file that opens offline. Its styles are inline,
 * plotly.js is inlined once (only when a figure needs it), and a Content-Security-Policy
 * (csp.ts) lets the page load nothing from the network and run only the scripts it was built
 * with, each allowed by its hash: images and audio come from data URIs, scripts and styles from
 * the page itself, `text/html` outputs render in sandboxed frames (frame.ts).
 */
import { escapeHtml, scriptText } from '../viz/html-escape';
import { figureParts, plotlyBundleScript } from '../viz/display';
import type { PlotlyFigure } from '../viz/plots';
import { parsedText, reportCsp, scriptHash } from './csp';
import { sandboxedFrame } from './frame';

/**
 * State shared while one page is rendered: unique element ids, whether plotly.js is needed,
 * and the hashes of the scripts placed so far (the page's policy allows exactly those).
 */
export class PageContext {
  private counter = 0;
  private readonly hashes = new Set<string>();
  /** True once a figure has been placed; the page then inlines plotly.js. */
  usesPlotly = false;

  /** A new element id, unique within the page: `<prefix>-<n>`. */
  nextId(prefix: string): string {
    this.counter += 1;
    return `${prefix}-${this.counter}`;
  }

  /** A `<script>` element running `source`, its hash recorded for the page's policy. */
  script(source: string): string {
    const text = parsedText(scriptText(source));
    this.hashes.add(scriptHash(text));
    return `<script>${text}</script>`;
  }

  /** Hash sources of every script placed so far, in the order they were placed. */
  get scriptHashes(): string[] {
    return [...this.hashes];
  }

  /** The HTML of an interactive figure (plotly.js itself is inlined once, in the page head). */
  figure(fig: PlotlyFigure): string {
    this.usesPlotly = true;
    const { div, script } = figureParts(fig, { id: this.nextId('fig') });
    return `${div}\n${this.script(script)}`;
  }

  /** A `text/html` output in a sandboxed frame; its scripts' hashes join the page's policy (a frame inherits it). */
  htmlFrame(html: string): string {
    const frame = sandboxedFrame(html);
    for (const h of frame.scriptHashes) this.hashes.add(h);
    return frame.html;
  }
}

const CSS = `
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa; --accent: #0969da;
  --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 1.8em; margin: 0.2em 0 0.3em; }
h2 { font-size: 1.35em; margin: 1.8em 0 0.6em; padding-bottom: 0.25em; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.1em; margin: 1.4em 0 0.5em; }
a { color: var(--accent); }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 13px; }
pre { margin: 0; padding: 10px 12px; overflow-x: auto; white-space: pre-wrap; word-break: break-word; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 14px; }
th, td { border: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
tbody tr:nth-child(even) td { background: #fbfcfd; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.key { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; white-space: nowrap; }
td.value { word-break: break-word; }
caption { caption-side: top; text-align: left; color: var(--muted); padding-bottom: 4px; }
details { margin: 0.4em 0; }
summary { cursor: pointer; color: var(--muted); }
.badge { display: inline-block; padding: 1px 9px; border-radius: 10px; font-size: 12px; font-weight: 600; vertical-align: middle; border: 1px solid currentColor; }
.badge.FINISHED, .badge.completed { color: var(--ok); }
.badge.FAILED, .badge.KILLED, .badge.failed { color: var(--bad); }
.badge.RUNNING, .badge.SCHEDULED, .badge.running { color: var(--warn); }
.badge.pending { color: var(--muted); }
.meta { color: var(--muted); font-size: 14px; }
.facts td:first-child { color: var(--muted); white-space: nowrap; }
nav.toc ol { margin: 0.3em 0; padding-left: 0; list-style: none; display: flex; flex-wrap: wrap; gap: 2px 14px; font-size: 14px; }
.run-error, .error-banner { border: 1px solid var(--bad); background: #fff5f5; border-radius: 6px; padding: 10px 14px; margin: 1em 0; }
.run-error h2 { border: 0; margin-top: 0; color: var(--bad); }
.error-banner { color: var(--bad); font-weight: 600; }
.error-marker { color: var(--bad); font-weight: 600; margin: 12px 0 4px; }
.notebook { margin-top: 2.5em; }
.cell { margin: 12px 0; }
.cell.code { border: 1px solid var(--line); border-radius: 6px; overflow: hidden; }
.cell.code.failed { border-color: var(--bad); box-shadow: 0 0 0 1px var(--bad); }
.cell-head { display: flex; gap: 10px; align-items: center; padding: 3px 10px; background: var(--soft); border-bottom: 1px solid var(--line); font-size: 12px; color: var(--muted); }
.cell-head .prompt { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; color: #3b5bdb; }
.cell-head .tag { background: #eaeef2; border-radius: 4px; padding: 0 6px; }
.cell-head .spacer { flex: 1; }
pre.source { background: #f6f8fa; border-bottom: 1px solid var(--line); }
.outputs { padding: 4px 0; }
.outputs:empty { display: none; }
.output { padding: 4px 12px; overflow-x: auto; }
.output .prompt { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; color: #c92a2a; }
.output pre { padding: 2px 0; }
.output.stderr pre { background: #fff5f5; color: #a4161a; padding: 4px 8px; border-radius: 4px; }
.output.error pre { background: #fff5f5; color: var(--bad); padding: 6px 8px; border-left: 3px solid var(--bad); }
.output img { max-width: 100%; height: auto; }
.output iframe.html-output { display: block; width: 100%; border: 0; resize: vertical; overflow: auto; }
.output .note, .remote-image { color: var(--muted); font-style: italic; }
.cell.markdown { padding: 0 4px; }
.cell.markdown h1 { font-size: 1.5em; }
.cell.markdown h2 { font-size: 1.25em; border: 0; margin-top: 1em; }
.cell.markdown h3, .cell.markdown h4 { font-size: 1.05em; }
.cell.markdown img { max-width: 100%; }
.cell.markdown pre { background: var(--soft); border-radius: 4px; }
.cell.raw pre { background: var(--soft); color: var(--muted); }
.melbook-figure { margin: 4px 0; }
.param-groups { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 0 20px; align-items: start; }
.param-groups table { width: 100%; margin-top: 0.3em; }
.figures { display: flex; flex-wrap: wrap; gap: 12px; }
.headline { display: flex; flex-wrap: wrap; gap: 10px 28px; margin: 0.4em 0 0.8em; }
.headline-metric .value { font-size: 2em; font-weight: 600; line-height: 1.1; }
.headline-metric .label { color: var(--muted); font-size: 14px; }
.figures > div { flex: 0 0 auto; max-width: 100%; overflow-x: auto; }
`;

export interface PageOptions {
  /** Text of the `<title>` element (escaped here). */
  title: string;
  /** The body's HTML, already safe. */
  body: string;
  /** The context the body was rendered with: decides whether plotly.js is inlined. */
  context: PageContext;
}

/** A complete HTML document around `body`, with the policy of the context's scripts. */
export function htmlPage(options: PageOptions): string {
  const ctx = options.context;
  const plotly = ctx.usesPlotly ? `${ctx.script(plotlyBundleScript())}\n` : '';
  return (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    `<meta http-equiv="Content-Security-Policy" content="${reportCsp(ctx.scriptHashes)}">\n` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    '<meta name="generator" content="melbook">\n' +
    `<title>${escapeHtml(options.title)}</title>\n<style>${CSS}</style>\n${plotly}</head>\n` +
    `<body>\n<main>\n${options.body}\n</main>\n</body>\n</html>\n`
  );
}
