/**
 * Escaping for the HTML melbook writes (notebook outputs, the run report). Every string that
 * comes from data (params, metric names, file names, stream text, tracebacks) goes through one
 * of these before it reaches markup:
 *
 * - `escapeHtml` for element text;
 * - `escapeAttr` for a quoted attribute value (always quote attributes with `"`);
 * - `scriptJson` for a JSON value embedded in a `<script>` element;
 * - `scriptText` for JavaScript source (e.g. the plotly.js bundle) embedded in a `<script>` element.
 */

const HTML_ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text safe inside an element: `&`, `<`, `>`, `"` and `'` become entities. */
export function escapeHtml(text: string): string {
  return String(text).replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]!);
}

/**
 * A value safe inside a double- or single-quoted attribute. Also escapes the backtick (old IE
 * treated it as a quote) so the result is safe whichever quote the caller used.
 */
export function escapeAttr(text: string): string {
  return escapeHtml(text).replace(/`/g, '&#96;');
}

/**
 * `JSON.stringify(value)` made safe inside `<script>...</script>`: `<`, `>` and `&` become
 * `\u003c`, `\u003e`, `\u0026` (so neither `</script>` nor `<!--` can appear), and the line
 * separators U+2028/U+2029 (invalid in JavaScript string literals before ES2019) are escaped too. The
 * result is still valid JSON and a valid JavaScript expression with the same value.
 * Non-finite numbers become `null`, as in JSON.
 */
export function scriptJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) return 'null';
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * JavaScript source made safe inside `<script>...</script>`: `</script` and `<!--` (which end or
 * change how the HTML parser reads a script element) become `<\/script` and `<\!--`. Those
 * spellings mean the same inside string, template and regular-expression literals, the only
 * places real code holds them.
 */
export function scriptText(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}
