/** Reads every .ts file under src/, keyed by its src-relative path with forward slashes. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const SRC = path.resolve(__dirname, '../../src');

export function readSources(root: string = SRC): Map<string, string> {
  const sources = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts')) sources.set(path.relative(root, full).split(path.sep).join('/'), fs.readFileSync(full, 'utf8'));
    }
  };
  walk(root);
  return sources;
}
