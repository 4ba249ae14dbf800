/**
 * Loading the pipeline configuration: read YAML, apply `--set key=value` overrides, validate
 * with the schema, and turn the first validation issue into a ConfigError that names the YAML
 * path (with its line), the value and what is allowed.
 */
import { readFileSync } from 'node:fs';
import { parseDocument, parse as parseYamlValue, isNode, LineCounter, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors';

/** Options of `loadConfigFile`. */
export interface LoadConfigOptions {
  /** `key.path=value` overrides, applied before validation; values are parsed as YAML scalars/lists. */
  overrides?: readonly string[];
}

/** Read, override and validate a YAML config file against `schema`. */
export function loadConfigFile<S extends z.ZodTypeAny>(file: string, schema: S, options: LoadConfigOptions = {}): z.output<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('', file, 'a readable YAML file (check the --config path)', { cause: err, file });
  }
  return parseConfigText(text, schema, { ...options, file });
}

/** Validate YAML text; `file` only labels errors. */
export function parseConfigText<S extends z.ZodTypeAny>(
  text: string,
  schema: S,
  options: LoadConfigOptions & { file?: string } = {},
): z.output<S> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    throw new ConfigError('', text.slice(first.pos[0], first.pos[0] + 40), `valid YAML (${first.message})`, { file: options.file });
  }
  const raw = toPlain(doc, text, options.file);
  const withOverrides = applyOverrides(raw, options.overrides ?? [], options.file);
  return validate(withOverrides, schema, { file: options.file, doc, lineCounter });
}

/** Validate an already-parsed object (e.g. a config built in a notebook). */
export function validate<S extends z.ZodTypeAny>(
  raw: unknown,
  schema: S,
  context: { file?: string; doc?: Document; lineCounter?: LineCounter } = {},
): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = formatPath(issue.path);
  const value = valueAt(raw, issue.path);
  const line = context.doc && context.lineCounter ? lineOf(context.doc, context.lineCounter, issue.path) : undefined;
  const file = context.file ? (line ? `${context.file}:${line}` : context.file) : undefined;
  throw new ConfigError(path, value, describeIssue(issue), { file });
}

/**
 * Apply `a.b.c=value` overrides to a plain object, returning a new object. The value is parsed
 * as YAML (`3` is a number, `true` a boolean, `[1, 2]` a list, `null` null, `x` a string).
 */
export function applyOverrides(raw: unknown, overrides: readonly string[], file?: string): unknown {
  if (overrides.length === 0) return raw;
  const root: Record<string, unknown> = structuredClone(isPlainObject(raw) ? raw : {});
  for (const override of overrides) {
    const eq = override.indexOf('=');
    if (eq <= 0) throw new ConfigError('--set', override, 'key.path=value, e.g. --set training.epochs=3', { file });
    const keys = override.slice(0, eq).trim().split('.');
    const value = overrideValue(override, eq, file);
    let node: Record<string, unknown> = root;
    for (const [i, key] of keys.entries()) {
      if (key === '' || key === '__proto__' || key === 'constructor' || key === 'prototype') {
        throw new ConfigError('--set', override, 'a dotted path of plain keys, e.g. training.epochs', { file });
      }
      if (i === keys.length - 1) {
        node[key] = value;
      } else {
        if (!isPlainObject(node[key])) node[key] = {};
        node = node[key] as Record<string, unknown>;
      }
    }
  }
  return root;
}

/** The document as plain data; an alias without its anchor (or an alias bomb) is a ConfigError, not a crash. */
function toPlain(doc: Document, text: string, file: string | undefined): unknown {
  try {
    return (doc.toJS() ?? {}) as unknown;
  } catch (error) {
    throw new ConfigError('', text.slice(0, 40), `valid YAML (${(error as Error).message})`, { file, cause: error });
  }
}

/** The value after `=` of an override, parsed as YAML; unparsable text is a ConfigError naming the override. */
function overrideValue(override: string, eq: number, file: string | undefined): unknown {
  try {
    return parseYamlValue(override.slice(eq + 1)) as unknown;
  } catch (error) {
    throw new ConfigError('--set', override, `a YAML value after "=" (${(error as Error).message.split('\n')[0]})`, { file, cause: error });
  }
}

function describeIssue(issue: z.ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')} (check the spelling; see the configuration reference in README.md)`;
    case 'invalid_enum_value':
      return `allowed: ${issue.options.map((o) => JSON.stringify(o)).join(', ')}`;
    case 'invalid_union_discriminator':
      return `allowed: ${issue.options.map((o) => JSON.stringify(o)).join(', ')}`;
    case 'invalid_literal':
      return `allowed: ${JSON.stringify(issue.expected)}`;
    case 'invalid_type':
      return issue.received === 'undefined' ? `required (${issue.expected})` : `expected ${issue.expected}`;
    case 'too_small':
      return issue.type === 'array' || issue.type === 'string'
        ? `needs at least ${String(issue.minimum)} ${issue.type === 'array' ? 'entries' : 'characters'}`
        : `must be ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`;
    case 'too_big':
      return issue.type === 'array' || issue.type === 'string'
        ? `allows at most ${String(issue.maximum)} ${issue.type === 'array' ? 'entries' : 'characters'}`
        : `must be ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}`;
    default:
      return issue.message;
  }
}

function formatPath(path: readonly (string | number)[]): string {
  return path.map((p) => String(p)).join('.');
}

function valueAt(raw: unknown, path: readonly (string | number)[]): unknown {
  let node: unknown = raw;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

function lineOf(doc: Document, counter: LineCounter, path: readonly (string | number)[]): number | undefined {
  for (let n = path.length; n > 0; n--) {
    const node = doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
