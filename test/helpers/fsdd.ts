/**
 * Where tests find the Free Spoken Digit Dataset, first match wins:
 *   1. `MELBOOK_FSDD` (a folder of FSDD .wav files), when set;
 *   2. `recordings/` of this checkout, when it holds FSDD (what `npx melbook data fsdd` fetches);
 *   3. `../shared/fsdd/recordings` next to the checkout (the shared copy on the dev machines and CI).
 */
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';

const REPO = resolve(__dirname, '../..');
/** FSDD's 3,000 clips: 10 digits x 6 speakers x 50 takes. */
const FSDD_FILES = 3000;
const FSDD_NAME = /^\d_[a-z]+_\d+\.wav$/;

/** The folders searched, in order, with why each is a candidate. */
export function fsddCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  return [...(env.MELBOOK_FSDD ? [resolve(env.MELBOOK_FSDD)] : []), resolve(REPO, 'recordings'), resolve(REPO, '../shared/fsdd/recordings')];
}

/** Whether `dir` holds the whole of FSDD (3,000 files named digit_speaker_take.wav). */
export function holdsFsdd(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir).filter((f) => FSDD_NAME.test(f)).length >= FSDD_FILES;
}

/** The first candidate folder holding FSDD, or undefined. */
export function findFsdd(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return fsddCandidates(env).find(holdsFsdd);
}

/** The folder tests read FSDD from (the last candidate when none holds it, so messages name a path). */
export const FSDD_DIR: string = findFsdd() ?? fsddCandidates().at(-1)!;

export function hasFsdd(): boolean {
  return findFsdd() !== undefined;
}

/** The skip (or, in CI, failure) reason when FSDD is nowhere. */
export const FSDD_MISSING = `FSDD not found in ${fsddCandidates().join(', ')}: set MELBOOK_FSDD or run \`npx melbook data fsdd\``;
