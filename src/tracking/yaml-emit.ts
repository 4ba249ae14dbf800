/**
 * A flat YAML block mapping written byte for byte as PyYAML's CSafeDumper writes it
 * (`yaml.dump(data, default_flow_style=False, allow_unicode=True, sort_keys=True)`, which MLflow's
 * `write_yaml` uses for meta.yaml): keys sorted, `null` for None, `[]` for an empty list, and
 * strings plain when that reads back as the same string, else single-quoted, else double-quoted
 * with escapes, folded at 80 columns as libyaml's emitter folds them.
 */
import { TrackingError } from '../errors';

/** A value in a flat meta.yaml mapping. Numbers must be safe integers. */
export type YamlValue = string | number | null | readonly [];

const BEST_WIDTH = 80;
/** Indent of continuation lines of a top-level mapping value (libyaml's best_indent). */
const VALUE_INDENT = 2;

/** Dumps `{key: value}` with keys sorted, exactly as PyYAML's CSafeDumper does. */
export function dumpFlatMapping(entries: Record<string, YamlValue>): string {
  const keys = Object.keys(entries).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let out = '';
  for (const key of keys) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new TrackingError(`dumpFlatMapping: unsupported key ${JSON.stringify(key)}`);
    const value = entries[key];
    if (value === null) out += `${key}: null\n`;
    else if (Array.isArray(value)) {
      if (value.length !== 0) throw new TrackingError(`dumpFlatMapping: only empty lists are supported (key ${key})`);
      out += `${key}: []\n`;
    } else if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) throw new TrackingError(`dumpFlatMapping: ${key} must be a safe integer, got ${value}`);
      out += `${key}: ${value}\n`;
    } else {
      out += `${key}:${emitScalar(value as string, key.length + 1)}\n`;
    }
  }
  return out;
}

const isBreak = (c: string | undefined) => c === '\n' || c === '\r' || c === '\x85' || c === '\u2028' || c === '\u2029';
const isBlankz = (c: string | undefined) => c === undefined || c === ' ' || c === '\t' || c === '\0' || isBreak(c);

/** libyaml's IS_PRINTABLE on a code point (no astral characters, no NEL, no BOM). */
function isPrintable(c: string): boolean {
  const cp = c.codePointAt(0)!;
  return (
    cp === 0x0a ||
    (cp >= 0x20 && cp <= 0x7e) ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff)
  );
}

interface Analysis {
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
}

/** libyaml `yaml_emitter_analyze_scalar`, keeping what a block mapping value needs. */
function analyze(chars: string[]): Analysis {
  if (chars.length === 0) return { blockPlainAllowed: true, singleQuotedAllowed: true };
  let blockIndicators = false;
  let lineBreaks = false;
  let special = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  const text = chars.join('');
  if (text.startsWith('---') || text.startsWith('...')) blockIndicators = true;
  let precededByWhitespace = true;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    const followedByWhitespace = isBlankz(chars[i + 1]);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(c)) blockIndicators = true;
      if ((c === '?' || c === ':') && followedByWhitespace) blockIndicators = true;
      if (c === '-' && followedByWhitespace) blockIndicators = true;
    } else {
      if (c === ':' && followedByWhitespace) blockIndicators = true;
      if (c === '#' && precededByWhitespace) blockIndicators = true;
    }
    if (!isPrintable(c)) special = true;
    if (isBreak(c)) lineBreaks = true;
    if (c === ' ') {
      if (i === 0) leadingSpace = true;
      if (i === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(c)) {
      if (i === 0) leadingBreak = true;
      if (i === chars.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlankz(c);
  }
  let blockPlain = true;
  let single = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) blockPlain = false;
  if (breakSpace) blockPlain = single = false;
  if (spaceBreak || special) blockPlain = single = false;
  if (lineBreaks) blockPlain = false;
  if (blockIndicators) blockPlain = false;
  return { blockPlainAllowed: blockPlain, singleQuotedAllowed: single };
}

// PyYAML's implicit resolvers (yaml/resolver.py): a plain scalar matching one of these would not
// read back as a string, so it must be quoted. Python's `$` also matches before a final newline.
const IMPLICIT = [
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)\n?$/,
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\n?$/,
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)\n?$/,
  /^(?:<<)\n?$/,
  /^(?:~|null|Null|NULL|)\n?$/,
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)\n?$/,
  /^(?:=)\n?$/,
];

/** Whether PyYAML would read the plain scalar back as a string. */
function plainIsString(text: string): boolean {
  return !IMPLICIT.some((re) => re.test(text));
}

/** libyaml's writer state for one scalar. `column` counts characters. */
class Writer {
  out = '';
  constructor(
    public column: number,
    public whitespace = false,
    public indention = false,
  ) {}
  put(s: string): void {
    this.out += s;
    this.column += Array.from(s).length;
  }
  putBreak(s = '\n'): void {
    this.out += s;
    this.column = 0;
  }
  /** `yaml_emitter_write_indent` with the value indent. */
  indent(): void {
    if (!this.indention || this.column > VALUE_INDENT || (this.column === VALUE_INDENT && !this.whitespace)) this.putBreak();
    while (this.column < VALUE_INDENT) this.put(' ');
    this.whitespace = true;
    this.indention = true;
  }
}

/** Emits a string value after `key:` (the writer starts at `column`), with its leading space. */
function emitScalar(text: string, column: number): string {
  const chars = Array.from(text);
  const a = analyze(chars);
  const w = new Writer(column);
  if (a.blockPlainAllowed && plainIsString(text)) writePlain(w, chars);
  else if (a.singleQuotedAllowed) writeSingleQuoted(w, chars);
  else writeDoubleQuoted(w, chars);
  return w.out;
}

function writePlain(w: Writer, chars: string[]): void {
  if (!w.whitespace && chars.length) w.put(' ');
  let spaces = false;
  let breaks = false;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === ' ') {
      if (!spaces && w.column > BEST_WIDTH && chars[i + 1] !== ' ') w.indent();
      else w.put(c);
      spaces = true;
    } else if (isBreak(c)) {
      // unreachable for block-mapping values (line breaks forbid plain), kept for completeness
      if (!breaks && c === '\n') w.putBreak();
      w.putBreak(c === '\n' ? '\n' : c);
      w.indention = true;
      breaks = true;
    } else {
      if (breaks) w.indent();
      w.put(c);
      w.indention = false;
      spaces = false;
      breaks = false;
    }
  }
  w.whitespace = false;
  w.indention = false;
}

function writeSingleQuoted(w: Writer, chars: string[]): void {
  w.put(w.whitespace ? "'" : " '");
  w.whitespace = false;
  w.indention = false;
  let spaces = false;
  let breaks = false;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === ' ') {
      if (!spaces && w.column > BEST_WIDTH && i !== 0 && i !== chars.length - 1 && chars[i + 1] !== ' ') w.indent();
      else w.put(c);
      spaces = true;
    } else if (isBreak(c)) {
      if (!breaks && c === '\n') w.putBreak();
      w.putBreak(c === '\n' ? '\n' : c);
      w.indention = true;
      breaks = true;
    } else {
      if (breaks) w.indent();
      w.put(c === "'" ? "''" : c);
      w.indention = false;
      spaces = false;
      breaks = false;
    }
  }
  if (breaks) w.indent();
  w.put("'");
  w.whitespace = false;
  w.indention = false;
}

const ESCAPES: Record<string, string> = {
  '\0': '0',
  '\x07': 'a',
  '\b': 'b',
  '\t': 't',
  '\n': 'n',
  '\v': 'v',
  '\f': 'f',
  '\r': 'r',
  '\x1b': 'e',
  '"': '"',
  '\\': '\\',
  '\x85': 'N',
  '\xa0': '_',
  '\u2028': 'L',
  '\u2029': 'P',
};

function writeDoubleQuoted(w: Writer, chars: string[]): void {
  w.put(w.whitespace ? '"' : ' "');
  w.whitespace = false;
  w.indention = false;
  let spaces = false;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (!isPrintable(c) || c === '\uFEFF' || isBreak(c) || c === '"' || c === '\\') {
      const esc = ESCAPES[c];
      if (esc !== undefined) w.put(`\\${esc}`);
      else {
        const cp = c.codePointAt(0)!;
        const [letter, width] = cp <= 0xff ? ['x', 2] : cp <= 0xffff ? ['u', 4] : ['U', 8];
        w.put(`\\${letter}${cp.toString(16).toUpperCase().padStart(width as number, '0')}`);
      }
      spaces = false;
    } else if (c === ' ') {
      if (!spaces && w.column > BEST_WIDTH && i !== 0 && i !== chars.length - 1) {
        w.indent();
        if (chars[i + 1] === ' ') w.put('\\');
      } else w.put(c);
      spaces = true;
    } else {
      w.put(c);
      spaces = false;
    }
  }
  w.put('"');
  w.whitespace = false;
  w.indention = false;
}
