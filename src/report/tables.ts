/** Small escaped HTML tables and value formats shared by the report's sections. */
import { formatDuration } from '../tracking/format';
import { escapeAttr, escapeHtml } from '../viz/html-escape';

/** A two-column table of names and values; both escaped. */
export function keyValueTable(rows: readonly (readonly [string, string])[], cls = 'kv', headers?: readonly [string, string]): string {
  const head = headers ? `<thead><tr><th>${escapeHtml(headers[0])}</th><th>${escapeHtml(headers[1])}</th></tr></thead>` : '';
  const body = rows.map(([k, v]) => `<tr><td class="key">${escapeHtml(k)}</td><td class="value">${escapeHtml(v)}</td></tr>`).join('\n');
  return `<table class="${escapeAttr(cls)}">${head}<tbody>\n${body}\n</tbody></table>`;
}

export interface Column {
  /** Header text (escaped). */
  title: string;
  /** Right-aligned (numbers). Default false. */
  numeric?: boolean;
  /** Monospaced key column. Default false. */
  key?: boolean;
}

/** A table with headers; every cell escaped. */
export function table(columns: readonly Column[], rows: readonly (readonly string[])[], cls = ''): string {
  const classOf = (c: Column) => (c.numeric ? ' class="num"' : c.key ? ' class="key"' : '');
  const head = columns.map((c) => `<th${c.numeric ? ' class="num"' : ''}>${escapeHtml(c.title)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((v, j) => `<td${classOf(columns[j])}>${escapeHtml(v)}</td>`).join('')}</tr>`).join('\n');
  return `<table${cls ? ` class="${escapeAttr(cls)}"` : ''}><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** Seconds as `0.42 s`, `12.3 s`, `2m05s` or `1h02m03s`. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  return formatDuration(seconds * 1000);
}

/** Milliseconds since the epoch as `YYYY-MM-DD HH:MM:SS UTC`. */
export function formatUtc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
