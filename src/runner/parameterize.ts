/**
 * Papermill-style parameter injection for tslab notebooks, as a pure function.
 *
 * Convention for notebook authors: put the defaults in one code cell tagged `parameters`
 * and declare them with `let` (with a type when the literal alone is too narrow or too wide):
 *
 *     let epochs = 10;
 *     let mode: 'fast' | 'full' = 'fast';
 *     let config = { nMels: 64, hopLength: 128 };
 *
 * The runner adds a code cell tagged `injected-parameters` right after it that REASSIGNS
 * those variables (`{ epochs = 3; }`, in a block so tslab echoes nothing), so the values are type-checked against the declared types
 * (a wrong type fails the injected cell with the compiler's message). A parameter the
 * `parameters` cell does not declare with `let`/`var` (new, or declared `const`) is declared
 * in the injected cell instead (`let name = value;`), which tslab allows because every cell
 * may redeclare top-level names of earlier cells; its type is then the injected value's.
 * The same notebook, once parameterized, runs unchanged under `jupyter nbconvert --execute`.
 */
import { ConfigError } from '../errors';
import { INJECTED_PARAMETERS_TAG, PARAMETERS_TAG, type Cell, type CodeCell, type Notebook } from '../nbformat';
import { newCellId } from './notebook-io';
import { isVariableName, toTsLiteral } from './ts-literal';

const HEADER = '// Parameters injected by melbook';

export type Parameters = Record<string, unknown>;

/**
 * Returns a new notebook with the injected-parameters cell in place. Earlier injected cells
 * are dropped; with no parameters none is added (so stale values never linger). Without a
 * `parameters` cell the injected cell goes first, as papermill does. The input is not changed.
 */
export function parameterizeNotebook(nb: Notebook, parameters: Parameters): Notebook {
  for (const name of Object.keys(parameters)) {
    if (!isVariableName(name)) {
      throw new ConfigError(`parameters.${name}`, name, 'a parameter name must be a TypeScript identifier that is not a reserved word (letters, digits, _ and $, not starting with a digit)');
    }
  }
  const cells = nb.cells.filter((c) => !hasTag(c, INJECTED_PARAMETERS_TAG));
  const result: Notebook = { ...nb, cells, metadata: { ...nb.metadata } };
  if (Object.keys(parameters).length === 0) return result;

  const at = cells.findIndex((c) => c.cell_type === 'code' && hasTag(c, PARAMETERS_TAG));
  const declared = at >= 0 ? reassignableNames(cells[at].source) : new Set<string>();
  const injected: CodeCell = {
    cell_type: 'code',
    ...(nb.nbformat_minor >= 5 ? { id: newCellId() } : {}),
    source: injectedSource(parameters, declared),
    metadata: { tags: [INJECTED_PARAMETERS_TAG] },
    execution_count: null,
    outputs: [],
  };
  result.cells = [...cells.slice(0, at + 1), injected, ...cells.slice(at + 1)];
  return result;
}

/**
 * The injected cell's source: reassignments of `declared` names, then `let` for the rest.
 * The reassignments sit in a block: tslab echoes the value of a cell's last expression
 * statement, and a block is not one, so the cell prints nothing. Deno echoes a block's
 * completion value instead, so the block ends on `void 0`, whose value it does not show.
 */
export function injectedSource(parameters: Parameters, declared: ReadonlySet<string> = new Set()): string {
  const assigned: string[] = [];
  const lets: string[] = [];
  for (const [name, value] of Object.entries(parameters)) {
    if (declared.has(name)) {
      const literal = toTsLiteral(value, { width: 78 }, `parameters.${name}`).replace(/\n/g, '\n  ');
      assigned.push(`  ${name} = ${literal};`);
    } else {
      lets.push(`let ${name} = ${toTsLiteral(value, {}, `parameters.${name}`)};`);
    }
  }
  const block = assigned.length > 0 ? ['{', ...assigned, '  void 0;', '}'] : [];
  return [HEADER, ...block, ...lets].join('\n');
}

/**
 * Names declared with `let` or `var` at the start of a line of the `parameters` cell
 * (`let a = 1, b = 2` yields `a` only: b would be redeclared, which also works).
 */
export function reassignableNames(source: string): Set<string> {
  const names = new Set<string>();
  for (const match of source.matchAll(/^[ \t]*(?:export[ \t]+)?(?:let|var)[ \t]+([A-Za-z_$][A-Za-z0-9_$]*)/gm)) {
    names.add(match[1]);
  }
  return names;
}

function hasTag(cell: Cell, tag: string): boolean {
  return Array.isArray(cell.metadata?.tags) && cell.metadata.tags.includes(tag);
}
