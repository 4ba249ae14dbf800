/**
 * The meta.yaml files of MLflow's file store, byte for byte.
 *
 * MLflow writes them with `yaml.dump(data, default_flow_style=False, allow_unicode=True,
 * sort_keys=True, Dumper=CSafeDumper)` (mlflow/utils/file_utils.py `write_yaml`): a flat block
 * mapping with keys in sorted order, `null` for None, `[]` for an empty list, and strings plain
 * when that reads back as the same string, else single-quoted, else double-quoted with escapes.
 * `dumpFlatMapping` reproduces libyaml's emitter (which CSafeDumper uses) for such mappings,
 * including its folding of long strings at 80 columns. Reading uses the `yaml` package with
 * the YAML 1.1 schema PyYAML speaks.
 */
import { parse } from 'yaml';
import { TrackingError } from '../errors';
import {
  RUN_STATUSES,
  RUN_STATUS_CODES,
  LIFECYCLE_STAGES,
  type Experiment,
  type LifecycleStage,
  type RunInfo,
  type RunStatus,
} from './store';

/** A value in a flat meta.yaml mapping. Numbers must be safe integers. */
export type YamlValue = string | number | null | readonly [];

/** MLflow's `SourceType.LOCAL`, the constant `source_type` of every file-store run. */
export const SOURCE_TYPE_LOCAL = 4;

/** The dict MLflow persists for a run (`_make_persisted_run_info_dict`), keys in write order. */
export function runMetaEntries(info: RunInfo): Record<string, YamlValue> {
  return {
    artifact_uri: info.artifactUri,
    end_time: info.endTime,
    entry_point_name: '',
    experiment_id: info.experimentId,
    lifecycle_stage: info.lifecycleStage,
    run_id: info.runId,
    run_name: info.runName,
    run_uuid: info.runId,
    source_name: '',
    source_type: SOURCE_TYPE_LOCAL,
    source_version: '',
    start_time: info.startTime,
    status: RUN_STATUS_CODES[info.status],
    tags: [],
    user_id: info.userId,
  };
}

/** The dict MLflow persists for an experiment (`dict(experiment)` without `tags`). */
export function experimentMetaEntries(exp: Experiment): Record<string, YamlValue> {
  return {
    artifact_location: exp.artifactLocation,
    creation_time: exp.creationTime,
    experiment_id: exp.experimentId,
    last_update_time: exp.lastUpdateTime,
    lifecycle_stage: exp.lifecycleStage,
    name: exp.name,
  };
}

export function runInfoToYaml(info: RunInfo): string {
  return dumpFlatMapping(runMetaEntries(info));
}

export function experimentToYaml(exp: Experiment): string {
  return dumpFlatMapping(experimentMetaEntries(exp));
}

/** Reads a run meta.yaml (ours or MLflow's, including legacy integer experiment ids). */
export function parseRunMeta(text: string, file: string): RunInfo {
  const m = parseMapping(text, file);
  const status = m.status === undefined || m.status === null ? 1 : Number(m.status);
  const statusName = RUN_STATUSES.find((s) => RUN_STATUS_CODES[s] === status);
  if (!statusName) throw new TrackingError(`${file}: unknown run status ${String(m.status)}; expected 1-5`);
  const runId = String(m.run_id ?? m.run_uuid ?? '');
  return {
    runId,
    runName: m.run_name === null || m.run_name === undefined ? '' : String(m.run_name),
    experimentId: requireString(m, 'experiment_id', file),
    userId: m.user_id === null || m.user_id === undefined ? '' : String(m.user_id),
    status: statusName as RunStatus,
    startTime: requireTime(m, 'start_time', file) ?? 0,
    endTime: requireTime(m, 'end_time', file),
    artifactUri: m.artifact_uri === null || m.artifact_uri === undefined ? '' : String(m.artifact_uri),
    lifecycleStage: lifecycle(m.lifecycle_stage, file),
  };
}

/** Reads an experiment meta.yaml; `tags` come from the tags/ folder and start empty here. */
export function parseExperimentMeta(text: string, file: string): Experiment {
  const m = parseMapping(text, file);
  return {
    experimentId: requireString(m, 'experiment_id', file),
    name: requireString(m, 'name', file),
    artifactLocation: m.artifact_location === null || m.artifact_location === undefined ? '' : String(m.artifact_location),
    lifecycleStage: lifecycle(m.lifecycle_stage, file),
    creationTime: requireTime(m, 'creation_time', file),
    lastUpdateTime: requireTime(m, 'last_update_time', file),
    tags: {},
  };
}

function parseMapping(text: string, file: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parse(text, { schema: 'yaml-1.1', intAsBigInt: true });
  } catch (err) {
    throw new TrackingError(`${file}: not valid YAML (${(err as Error).message})`, { cause: err });
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new TrackingError(`${file}: expected a YAML mapping, found ${doc === null ? 'nothing' : typeof doc}`);
  }
  return doc as Record<string, unknown>;
}

function requireString(m: Record<string, unknown>, key: string, file: string): string {
  const v = m[key];
  if (v === undefined || v === null) throw new TrackingError(`${file}: missing ${key}`);
  return String(v); // legacy files stored experiment_id as an int; a bigint keeps every digit
}

function requireTime(m: Record<string, unknown>, key: string, file: string): number | null {
  const v = m[key];
  if (v === undefined || v === null) return null;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new TrackingError(`${file}: ${key} is ${String(v)}, expected milliseconds since the epoch`);
  return n;
}

function lifecycle(v: unknown, file: string): LifecycleStage {
  if (v === undefined || v === null) return 'active'; // as MLflow's _read_persisted_run_info_dict
  const s = String(v);
  if (!(LIFECYCLE_STAGES as readonly string[]).includes(s)) {
    throw new TrackingError(`${file}: lifecycle_stage ${JSON.stringify(s)}; expected one of ${LIFECYCLE_STAGES.join(', ')}`);
  }
  return s as LifecycleStage;
}

// ---------------------------------------------------------------------------------------------
// Emitter: a block mapping of scalars, as libyaml writes it with allow_unicode and width 80.

const BEST_WIDTH = 80;
/** Indent of continuation lines of a top-level mapping value (libyaml's best_indent). */
const VALUE_INDENT = 2;

/** Dumps `{key: value}` with keys sorted, exactly as PyYAML's CSafeDumper does (see header). */
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
