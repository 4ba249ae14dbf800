/**
 * Size and cast checks over TypeScript sources, as pure functions of (file name, text) so they
 * are unit-tested on tiny examples (source-checks.test.ts) as well as run over src/.
 */
import * as ts from 'typescript';

/** Lines in a text, as `wc -l` counts them for a file that ends with a newline. */
export function lineCount(text: string): number {
  if (text === '') return 0;
  const lines = text.split('\n');
  return text.endsWith('\n') ? lines.length - 1 : lines.length;
}

/** A function-like node with its name (or a placeholder) and its span in lines. */
export interface FunctionSpan {
  name: string;
  /** 1-based line of the function's first token. */
  line: number;
  /** Lines from the function's start to its end, both included. */
  lines: number;
}

function functionName(node: ts.FunctionLikeDeclaration): string {
  if (node.name && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name) || ts.isPrivateIdentifier(node.name))) return node.name.text;
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (ts.isPropertyDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  return '(anonymous)';
}

/** Every function, method, accessor, constructor, arrow and function expression in a source. */
export function functionSpans(fileName: string, text: string): FunctionSpan[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const spans: FunctionSpan[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const fn = node as ts.FunctionLikeDeclaration;
      const start = source.getLineAndCharacterOfPosition(fn.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(fn.getEnd()).line;
      spans.push({ name: functionName(fn), line: start + 1, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return spans;
}

/** Functions longer than `maxLines`, as `file:line name (n lines)`. */
export function longFunctions(fileName: string, text: string, maxLines: number): string[] {
  return functionSpans(fileName, text)
    .filter((span) => span.lines > maxLines)
    .map((span) => `${fileName}:${span.line} ${span.name} (${span.lines} lines)`);
}

/** An `x as unknown as T` cast: where it is and whether a comment gives a reason for it. */
export interface DoubleCast {
  /** 1-based line of the `as unknown`. */
  line: number;
  /** A comment on the same line or on the line just above. */
  explained: boolean;
}

function hasComment(line: string | undefined): boolean {
  if (line === undefined) return false;
  const trimmed = line.trim();
  return /\/\/\s*\S/.test(line) || /^\/?\*/.test(trimmed) || /\*\/$/.test(trimmed);
}

/** Every `as unknown as` cast in a source, found in the syntax tree (not in strings or comments). */
export function doubleCasts(fileName: string, text: string): DoubleCast[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const lines = text.split('\n');
  const casts: DoubleCast[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isAsExpression(node) && ts.isAsExpression(node.expression) && node.expression.type.kind === ts.SyntaxKind.UnknownKeyword) {
      const line = source.getLineAndCharacterOfPosition(node.expression.type.getStart(source)).line;
      casts.push({ line: line + 1, explained: hasComment(lines[line]) || hasComment(lines[line - 1]) });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return casts;
}
