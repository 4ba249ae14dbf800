/**
 * Regenerates `data/fsdd-sha256.txt`: the sha256 of every FSDD recording at the pinned commit,
 * in `sha256sum` format (`HEX  recordings/NAME.wav`, sorted), which `melbook data fsdd` checks
 * downloads against.
 *
 *   node --import tsx scripts/make-fsdd-checksums.ts [RECORDINGS_DIR] [OUT_FILE]
 *
 * RECORDINGS_DIR defaults to `../shared/fsdd/recordings` and OUT_FILE to `data/fsdd-sha256.txt`,
 * both relative to the repository root. The list can be cross-checked from the folder's parent with
 * `sha256sum -c data/fsdd-sha256.txt`.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { computeChecksumList, formatChecksumList } from '../src/data/checksums';

const EXPECTED_COUNT = 3000;

async function main(argv: string[]): Promise<void> {
  const root = path.resolve(__dirname, '..');
  const dir = path.resolve(root, argv[0] ?? '../shared/fsdd/recordings');
  const out = path.resolve(root, argv[1] ?? 'data/fsdd-sha256.txt');
  const entries = await computeChecksumList(dir, 'recordings');
  if (entries.length !== EXPECTED_COUNT) {
    console.warn(`${dir}: found ${entries.length} .wav files, FSDD has ${EXPECTED_COUNT}; writing the list anyway`);
  }
  await fs.mkdir(path.dirname(out), { recursive: true });
  await fs.writeFile(out, formatChecksumList(entries));
  console.log(`${out}: ${entries.length} sha256 sums of ${dir}`);
}

main(process.argv.slice(2)).catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
