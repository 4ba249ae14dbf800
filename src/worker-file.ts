/** Where the compiled worker-thread entry points live. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MelbookError } from './errors';

/**
 * The compiled `dist/<path>.js` of a worker entry point, e.g. `compiledWorker('stages/preprocess-worker')`.
 * Under tsx (tests) the .ts sources run, but worker threads load the compiled JS, so this
 * points at dist/ from either place.
 */
export function compiledWorker(path: string): string {
  const dist = __filename.endsWith('.ts') ? resolve(__dirname, '../dist') : __dirname;
  const file = join(dist, `${path}.js`);
  if (!existsSync(file)) throw new MelbookError(`${file} is missing: build the package first (npm run build)`);
  return file;
}
