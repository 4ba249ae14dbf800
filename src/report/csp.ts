/**
 * Content-Security-Policies of the report and of the frames its HTML outputs render in.
 *
 * No inline script runs because of where it sits: the policy lists the sha256 hash of each
 * script the page was built with (CSP level 2 hash sources), so the page stays one
 * self-contained, deterministic file, and markup that slipped past escaping (an injected
 * `<script>`, an `onerror=` attribute, a `javascript:` link) is refused by the browser.
 * Neither `'unsafe-inline'` nor `'unsafe-eval'` is allowed: plotly.js draws without eval (its
 * few `Function(...)` probes sit in try/catch with a fallback).
 *
 * A frame whose document is `srcdoc` inherits the page's policy, and the browser enforces both
 * that and the frame's own: a script in a frame runs only when its hash is in both.
 */
import { createHash } from 'node:crypto';

/**
 * Text as an HTML parser hands it on: CR LF and lone CR become LF, NUL becomes U+FFFD. A
 * script's hash must be computed over this form, the one the browser hashes.
 */
export function parsedText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/\0/g, '\uFFFD');
}

/** The CSP hash source of a script's text (`'sha256-<base64>'`), over its UTF-8 bytes. */
export function scriptHash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/**
 * The text of every `<script>` element in a fragment of HTML, as the parser splits them: from
 * the end of the start tag to the first `</script` followed by whitespace, `/` or `>`. An
 * unusual fragment this misreads only leaves its script without a matching hash: it does not run.
 */
export function scriptTexts(html: string): string[] {
  return [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script[\s/>]/gi)].map((m) => m[1]);
}

/** `script-src` of a policy: the hashes, each once and sorted (the policy does not depend on order), or `'none'`. */
const scriptSrc = (hashes: readonly string[]) => `script-src ${hashes.length ? [...new Set(hashes)].sort().join(' ') : "'none'"}`;

/**
 * The report's policy: scripts only by hash; inline styles (plotly.js styles its SVG with
 * them); images, media and fonts only from data/blob URIs; no connection, form, base or
 * plugin. Frames only from `srcdoc` (no URL loads: `frame-src 'none'`). Links still work:
 * navigation is not a load.
 */
export function reportCsp(hashes: readonly string[]): string {
  return (
    `default-src 'none'; ${scriptSrc(hashes)}; style-src 'unsafe-inline'; img-src data: blob:; ` +
    "media-src data: blob:; font-src data:; connect-src 'none'; frame-src 'none'; object-src 'none'; " +
    "base-uri 'none'; form-action 'none'"
  );
}

/**
 * The policy of a sandboxed frame holding one `text/html` output: its own scripts by hash (none
 * when it has none), data-URI images and media, nothing from the network, no nested frames.
 */
export function frameCsp(hashes: readonly string[]): string {
  return (
    `default-src 'none'; ${scriptSrc(hashes)}; style-src 'unsafe-inline'; img-src data:; media-src data:; ` +
    "font-src data:; connect-src 'none'; frame-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'"
  );
}
