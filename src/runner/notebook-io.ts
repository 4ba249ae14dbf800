/**
 * nbformat 4 notebooks (types in src/nbformat.ts): reading and writing `.ipynb` files the way Jupyter does
 * (JSON with sorted keys, 1-space indent, multi-line strings split into lists of lines,
 * trailing newline), and an atomic save (write a temp file, then rename over the target).
 *
 * In memory every multi-line string (cell source, stream text, text mime data) is one
 * `string`; files may hold either a string or a list of lines, both are read.
 * https://nbformat.readthedocs.io/en/latest/format_description.html
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { writeFileAtomic } from '../atomic-write';
import { ConfigError, NotebookFormatError } from '../errors';

import type { Cell, CodeCell, MimeBundle, Notebook, Output } from '../nbformat';

/** Mime types whose string values Jupyter splits into lines besides `text/*`. */
const SPLIT_MIMES = new Set(['application/javascript', 'image/svg+xml']);

/** Reads and checks an nbformat 4 notebook; multi-line fields become single strings. */
export async function readNotebook(file: string): Promise<Notebook> {
  const text = await fs.readFile(file, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError('(root)', text.slice(0, 40), 'a notebook must be JSON (nbformat 4)', { file, cause: error });
  }
  return parseNotebook(json, file);
}

/** Validates the nbformat 4 shape of parsed JSON and joins multi-line fields. */
export function parseNotebook(json: unknown, file = '(notebook)'): Notebook {
  const nb = json as Partial<Notebook> | null;
  if (!nb || typeof nb !== 'object' || nb.nbformat !== 4) {
    throw new ConfigError('nbformat', nb && typeof nb === 'object' ? nb.nbformat : nb, 'melbook runs nbformat 4 notebooks; upgrade with `jupyter nbconvert --to notebook`', { file });
  }
  if (!Array.isArray(nb.cells)) throw new ConfigError('cells', nb.cells, 'a list of cells', { file });
  const cells = nb.cells.map((raw, i) => {
    const cell = raw as Cell;
    if (!['code', 'markdown', 'raw'].includes(cell?.cell_type)) {
      throw new ConfigError(`cells.${i}.cell_type`, cell?.cell_type, 'one of code, markdown, raw', { file });
    }
    const metadata = cell.metadata ?? {};
    const source = joinLines(cell.source, { field: `cells.${i}.source`, file });
    if (cell.cell_type !== 'code') return { ...cell, metadata, source };
    const checked = checkOutputs(cell.outputs ?? [], i, file);
    checkExecutionCounts(cell, i, file);
    const outputs = checked.map((output, j) => joinOutput(output, { field: `cells.${i}.outputs.${j}`, file }));
    return { ...cell, metadata, source, outputs, execution_count: cell.execution_count ?? null };
  });
  return {
    nbformat: 4,
    nbformat_minor: typeof nb.nbformat_minor === 'number' ? nb.nbformat_minor : 0,
    metadata: nb.metadata ?? {},
    cells,
  };
}

const isExecutionCount = (n: unknown) => n === null || n === undefined || (Number.isSafeInteger(n) && (n as number) >= 0);

/**
 * A code cell's `execution_count`, and that of each of its results, is a non-negative integer
 * or null (nbformat 4): anything else is refused here, so no reader ever shows it as a prompt.
 */
function checkExecutionCounts(cell: CodeCell, index: number, file: string): void {
  const allowed = 'an integer >= 0 or null (nbformat 4); re-run the cell or clear its outputs';
  if (!isExecutionCount(cell.execution_count)) {
    throw new NotebookFormatError(file, index, `cells.${index}.execution_count`, cell.execution_count, allowed);
  }
  for (const [j, output] of (Array.isArray(cell.outputs) ? cell.outputs : []).entries()) {
    if (output?.output_type === 'execute_result' && !isExecutionCount(output.execution_count)) {
      throw new NotebookFormatError(file, index, `cells.${index}.outputs.${j}.execution_count`, output.execution_count, allowed);
    }
  }
}

/** Serializes like nbformat's writer: split lines, sorted keys, indent 1, trailing newline. */
export function formatNotebook(nb: Notebook): string {
  const cells = nb.cells.map((cell) => {
    const source = splitLines(cell.source);
    if (cell.cell_type !== 'code') return { ...cell, source };
    return { ...cell, source, outputs: cell.outputs.map(splitOutput) };
  });
  return `${JSON.stringify(sortKeys({ ...nb, cells }), null, 1)}\n`;
}

/** Writes atomically: a reader sees the old file or the new one, never half of one. */
export async function writeNotebook(file: string, nb: Notebook): Promise<void> {
  await writeFileAtomic(file, formatNotebook(nb));
}

/** A fresh cell id as nbformat 4.5 requires (1-64 chars of [a-zA-Z0-9-_]). */
export function newCellId(): string {
  return randomBytes(8).toString('hex');
}

/** Splits like Python's `str.splitlines(keepends=True)`, which Jupyter's writer uses. */
export function splitLines(text: string): string[] {
  return text.match(/[^\n\r\v\f\x1c-\x1e\x85\u2028\u2029]*(?:\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029])|[^\n\r\v\f\x1c-\x1e\x85\u2028\u2029]+$/g) ?? [];
}

/** Outputs must be a list of objects; the rest of their shape is read leniently. */
function checkOutputs(outputs: unknown, cellIndex: number, file: string): Output[] {
  if (!Array.isArray(outputs)) throw new ConfigError(`cells.${cellIndex}.outputs`, outputs, 'a list of outputs', { file });
  const bad = outputs.findIndex((o) => o === null || typeof o !== 'object' || Array.isArray(o));
  if (bad >= 0) throw new ConfigError(`cells.${cellIndex}.outputs.${bad}`, outputs[bad], 'an output object with an output_type', { file });
  return outputs as Output[];
}

/** Where a multi-line field sits, for the error that refuses it. */
interface FieldAt {
  field: string;
  file: string;
}

/**
 * An nbformat multi-line string (a string or a list of strings) as one string; any other
 * value reads as ''. A list holding anything but strings is refused, naming the element:
 * joining it would print `null` as '' and throw on an object without a usable `toString`.
 */
function joinLines(value: unknown, at: FieldAt): string {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) return '';
  const bad = value.findIndex((line) => typeof line !== 'string');
  if (bad >= 0) throw new ConfigError(`${at.field}.${bad}`, value[bad], 'a line of text: a multi-line field is a string or a list of strings (nbformat 4)', { file: at.file });
  return value.join('');
}

function joinOutput(output: Output, at: FieldAt): Output {
  if (output.output_type === 'stream') return { ...output, text: joinLines(output.text, { ...at, field: `${at.field}.text` }) };
  if (output.output_type === 'display_data' || output.output_type === 'execute_result') {
    const data = mapBundle(output.data ?? {}, (value, mime) => joinLines(value, { ...at, field: `${at.field}.data.${mime}` }));
    return { ...output, data, metadata: output.metadata ?? {} };
  }
  return output;
}

function splitOutput(output: Output): unknown {
  if (output.output_type === 'stream') return { ...output, text: splitLines(output.text) };
  if (output.output_type === 'display_data' || output.output_type === 'execute_result') {
    return { ...output, data: mapBundle(output.data, (value) => (typeof value === 'string' ? splitLines(value) : value)) };
  }
  return output;
}

/** Applies `f` to the bundle's textual values (a string, or a list of lines when read). */
function mapBundle(bundle: MimeBundle, f: (value: string | unknown[], mime: string) => unknown): MimeBundle {
  const out: MimeBundle = {};
  for (const [mime, value] of Object.entries(bundle)) {
    const textual = mime.startsWith('text/') || SPLIT_MIMES.has(mime);
    out[mime] = textual && (typeof value === 'string' || Array.isArray(value)) ? f(value as string | unknown[], mime) : value;
  }
  return out;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = sortKeys(v);
  }
  return out;
}
