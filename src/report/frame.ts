/**
 * A `text/html` output as a sandboxed frame. A notebook's HTML may carry scripts (a figure
 * drawing itself) but is not trusted with the report: it renders in
 * `<iframe sandbox="allow-scripts" srcdoc="...">`, without `allow-same-origin`, so its scripts
 * run in an opaque origin that cannot read or change the page, open dialogs or popups, submit
 * forms or navigate the page, and the frame's policy (csp.ts) lets it load nothing from the
 * network. Its scripts run only by hash: the page's policy must list `scriptHashes` too.
 *
 * Height: a frame does not grow with its content and, without a same-origin or postMessage
 * channel, the page cannot measure it; the height is estimated from the markup (figure heights,
 * rows and blocks), capped, and the reader can drag the frame taller (`resize: vertical`).
 */
import { escapeAttr } from '../viz/html-escape';
import { frameCsp, parsedText, scriptHash, scriptTexts } from './csp';

/** Styles of the frame's document: the report's font, no margin. */
const FRAME_CSS =
  'body { margin: 0; padding: 4px 0; color: #1f2328; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }' +
  ' table { border-collapse: collapse; } th, td { border: 1px solid #d1d9e0; padding: 3px 8px; text-align: left; }';

/** Height bounds of a frame, in CSS pixels. */
export const FRAME_MIN_HEIGHT = 48;
export const FRAME_MAX_HEIGHT = 800;
/** Estimated height of one row or block of text, in CSS pixels. */
const LINE_HEIGHT = 26;

export interface SandboxedFrame {
  /** The `<iframe>` element. */
  html: string;
  /** Hash sources of the scripts inside, for the page's policy. */
  scriptHashes: string[];
  /** Height of the frame in CSS pixels. */
  height: number;
}

/**
 * The frame's height estimated from its markup: the declared heights of figures and images,
 * plus one line per row, line break or block element; between FRAME_MIN_HEIGHT and FRAME_MAX_HEIGHT.
 */
export function estimateFrameHeight(html: string): number {
  const markup = html.replace(/<script\b[\s\S]*?<\/script[\s/>]/gi, '');
  const declared = [...markup.matchAll(/<(?:div|img|svg|video|canvas)\b[^>]*?(?<![-\w])height\s*[:=]\s*"?(\d{1,5})(?:px)?/gi)]
    .reduce((sum, m) => sum + Number(m[1]), 0);
  const blocks = (markup.match(/<(?:tr|br|p|li|h[1-6]|pre|caption|audio|hr|dt|dd|blockquote)\b/gi) ?? []).length;
  const text = markup.replace(/<[^>]*>/g, '').trim() ? 1 : 0;
  const estimate = 8 + declared + LINE_HEIGHT * Math.max(blocks, text);
  return Math.min(FRAME_MAX_HEIGHT, Math.max(FRAME_MIN_HEIGHT, Math.round(estimate)));
}

/** The sandboxed frame of one `text/html` output (see the module doc). */
export function sandboxedFrame(outputHtml: string): SandboxedFrame {
  const html = parsedText(outputHtml);
  const scriptHashes = [...new Set(scriptTexts(html).map(scriptHash))];
  const height = estimateFrameHeight(html);
  const doc =
    '<!DOCTYPE html>\n<html><head>' +
    `<meta http-equiv="Content-Security-Policy" content="${frameCsp(scriptHashes)}">` +
    `<style>${FRAME_CSS}</style></head>\n<body>\n${html}\n</body></html>`;
  return {
    html: `<iframe class="html-output" sandbox="allow-scripts" title="HTML output" height="${height}" srcdoc="${escapeAttr(doc)}"></iframe>`,
    scriptHashes,
    height,
  };
}
