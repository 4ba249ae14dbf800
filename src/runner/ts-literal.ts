/**
 * Translating JavaScript values into TypeScript source literals (for injected notebook
 * parameters). Evaluating the literal gives back an equal value: `-0`, `NaN`, `Infinity`,
 * `undefined`, lone surrogates and line/paragraph separators survive, which JSON would lose.
 */
import { ConfigError } from '../errors';

/** Words that cannot name a variable in strict-mode TypeScript. */
const RESERVED = new Set((
  'break case catch class const continue debugger default delete do else enum export extends false finally for ' +
  'function if import in instanceof new null return super switch this throw true try typeof var void while with ' +
  'yield let static implements interface package private protected public await arguments eval undefined NaN Infinity'
).split(' '));

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** True for a name usable as a variable: an ASCII identifier that is not a reserved word. */
export function isVariableName(name: string): boolean {
  return IDENTIFIER.test(name) && !RESERVED.has(name);
}

export interface LiteralOptions {
  /** Lines longer than this are broken, one element/property per line. Default: 80. */
  width?: number;
  /** Indentation unit for broken lines. Default: two spaces. */
  indent?: string;
}

/**
 * The source of a TypeScript expression that evaluates to `value`. Supports strings, numbers,
 * bigints, booleans, null, undefined, Dates, arrays and plain objects (nested); anything else
 * (functions, symbols, class instances, cycles) throws ConfigError naming the path.
 */
export function toTsLiteral(value: unknown, options: LiteralOptions = {}, path = '(value)'): string {
  return render(value, path, { width: options.width ?? 80, indent: options.indent ?? '  ' }, '', new Set());
}

/** A double-quoted string literal. Escapes quotes, backslashes, controls, U+2028/9 and lone surrogates. */
export function quoteString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ch = text[i];
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f || c === 0x2028 || c === 0x2029) out += unicodeEscape(c);
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += ch + text[i + 1];
        i++;
      } else out += unicodeEscape(c); // lone high surrogate
    } else if (c >= 0xdc00 && c <= 0xdfff) out += unicodeEscape(c); // lone low surrogate
    else out += ch;
  }
  return `${out}"`;
}

function unicodeEscape(code: number): string {
  return `\\u${code.toString(16).padStart(4, '0')}`;
}

function numberLiteral(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  if (Object.is(n, -0)) return '-0';
  return String(n);
}

/** An object key: bare when an identifier, quoted otherwise; `__proto__` computed so it stays an own property. */
function keyLiteral(key: string): string {
  if (key === '__proto__') return `["__proto__"]`;
  return IDENTIFIER.test(key) ? key : quoteString(key);
}

interface Layout { width: number; indent: string }

function render(value: unknown, path: string, layout: Layout, pad: string, seen: Set<object>): string {
  switch (typeof value) {
    case 'string': return quoteString(value);
    case 'number': return numberLiteral(value);
    case 'bigint': return `${value}n`;
    case 'boolean': return String(value);
    case 'undefined': return 'undefined';
    case 'object': break;
    default:
      throw new ConfigError(path, String(value), `a parameter must be a string, number, bigint, boolean, null, undefined, Date, array or plain object, not a ${typeof value}`);
  }
  if (value === null) return 'null';
  if (value instanceof Date) return `new Date(${quoteString(Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString())})`;
  if (seen.has(value)) throw new ConfigError(path, '(circular reference)', 'parameters must not contain cycles');
  const proto = Object.getPrototypeOf(value);
  const isArray = Array.isArray(value);
  if (!isArray && proto !== Object.prototype && proto !== null) {
    throw new ConfigError(path, String(value), `a parameter object must be a plain object or array, not a ${proto?.constructor?.name ?? 'class instance'}`);
  }
  seen.add(value);
  const inner = pad + layout.indent;
  const parts = isArray
    ? Array.from(value as unknown[], (v, i) => render(v, `${path}.${i}`, layout, inner, seen))
    : Object.keys(value).map((k) => `${keyLiteral(k)}: ${render((value as Record<string, unknown>)[k], `${path}.${k}`, layout, inner, seen)}`);
  seen.delete(value);
  const [open, close] = isArray ? ['[', ']'] : ['{', '}'];
  if (parts.length === 0) return `${open}${close}`;
  const flat = isArray ? `[${parts.join(', ')}]` : `{ ${parts.join(', ')} }`;
  if (!flat.includes('\n') && pad.length + flat.length <= layout.width) return flat;
  return `${open}\n${parts.map((p) => `${inner}${p},`).join('\n')}\n${pad}${close}`;
}
