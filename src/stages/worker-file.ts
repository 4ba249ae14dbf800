/** Where the compiled worker-thread entry points of the stages live. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MelbookError } from '../errors';

/**
 * The compiled `dist/stages/<name>.js` of a stage's worker. Under tsx (tests) the .ts sources
 * run, but worker threads load the compiled JS, so this points at dist/ from either place.
 */
export function compiledWorker(name: string): string {
  const here = __filename.endsWith('.ts') ? resolve(__dirname, '../../dist/stages') : __dirname;
  const file = join(here, `${name}.js`);
  if (!existsSync(file)) throw new MelbookError(`${file} is missing: build the package first (npm run build)`);
  return file;
}
