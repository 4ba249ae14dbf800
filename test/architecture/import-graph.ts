/**
 * Reads the imports of TypeScript sources with the compiler API and checks them against a
 * layer order: cycles between files, cycles between folders, imports that climb the order,
 * and folders the order does not place. Pure functions over in-memory sources, so the
 * checks themselves are unit-tested on tiny examples (import-graph.test.ts).
 */
import * as ts from 'typescript';

/** Module specifiers a source imports: import/export-from (type-only too), import x = require(),
 *  dynamic import(), require() and `import('…')` types. */
export function importSpecifiers(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const expr = node.moduleReference.expression;
      if (ts.isStringLiteral(expr)) found.push(expr.text);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const isImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
      const [arg] = node.arguments;
      if ((isImport || isRequire) && arg && ts.isStringLiteralLike(arg)) found.push(arg.text);
    } else if (ts.isImportTypeNode(node)) {
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg) && ts.isStringLiteral(arg.literal)) found.push(arg.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The src-relative file (`data/split.ts`) a relative specifier names, or undefined for packages
 *  and paths outside the given files. `from` is src-relative, with forward slashes. */
export function resolveSpecifier(from: string, specifier: string, files: ReadonlySet<string>): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const parts = from.split('/').slice(0, -1);
  for (const part of specifier.replace(/\.js$/, '').split('/')) {
    if (part === '..') {
      if (parts.length === 0) return undefined; // leaves src/
      parts.pop();
    } else if (part !== '.' && part !== '') parts.push(part);
  }
  const base = parts.join('/');
  return [`${base}.ts`, `${base}/index.ts`, base].find((candidate) => files.has(candidate));
}

/** File → the files it imports, for sources keyed by src-relative path. */
export type ImportGraph = Map<string, string[]>;

export function buildGraph(sources: ReadonlyMap<string, string>): ImportGraph {
  const files = new Set(sources.keys());
  const graph: ImportGraph = new Map();
  for (const [file, text] of sources) {
    const targets = importSpecifiers(file, text)
      .map((spec) => resolveSpecifier(file, spec, files))
      .filter((target): target is string => target !== undefined && target !== file);
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Strongly connected components of more than one node (Tarjan): every import cycle. */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) cycles.push(component.sort());
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) connect(node);
  return cycles;
}

/** The unit a file belongs to in the layer order: its top folder (`model/`) or itself at the root. */
export function unitOf(file: string): string {
  const slash = file.indexOf('/');
  return slash < 0 ? file : file.slice(0, slash + 1);
}

/** The graph between units (folders and root files), without self-edges. */
export function unitGraph(graph: ImportGraph): Map<string, string[]> {
  const units = new Map<string, Set<string>>();
  for (const [file, targets] of graph) {
    const from = unitOf(file);
    const set = units.get(from) ?? new Set<string>();
    for (const target of targets) if (unitOf(target) !== from) set.add(unitOf(target));
    units.set(from, set);
  }
  return new Map([...units].map(([unit, set]) => [unit, [...set].sort()]));
}

/** Index of a unit's layer (0 = top), or -1 when the order does not place it. */
export function layerOf(unit: string, layers: readonly (readonly string[])[]): number {
  return layers.findIndex((layer) => layer.includes(unit));
}

/** Units (folders, root files) present in the graph but missing from the order. */
export function unplacedUnits(graph: ImportGraph, layers: readonly (readonly string[])[]): string[] {
  return [...new Set([...graph.keys()].map(unitOf))].filter((unit) => layerOf(unit, layers) < 0).sort();
}

/** Imports from a lower layer to a higher one, as `from -> to` file pairs. */
export function climbingImports(graph: ImportGraph, layers: readonly (readonly string[])[]): string[] {
  const climbs: string[] = [];
  for (const [file, targets] of graph) {
    const from = layerOf(unitOf(file), layers);
    for (const target of targets) {
      const to = layerOf(unitOf(target), layers);
      if (from >= 0 && to >= 0 && to < from) climbs.push(`${file} -> ${target}`);
    }
  }
  return climbs.sort();
}
