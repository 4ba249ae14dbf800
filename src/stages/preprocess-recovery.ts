/**
 * What a killed preprocess run leaves behind, cleared before the next run starts: temporary
 * `.npy`/`.json` files of writers that are gone (see atomic-write.ts), and a journal whose last
 * line was cut short. Finished `.npy` files need nothing: they were renamed into place whole.
 */
import { closeSync, fstatSync, openSync, readSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeStaleTemporaries } from '../atomic-write';

/** What `recoverInterruptedRun` cleared. */
export interface RecoveryResult {
  /** Temporary files of dead writers that were removed. */
  removedTemporaries: string[];
  /** True when the journal ended in a cut line and was closed with a newline. */
  journalRepaired: boolean;
}

/**
 * Clear the leftovers of an interrupted run in `featureDir` (and its `clips/` folder).
 * Safe while another preprocess works in the same folder: a live writer's temporary files are
 * kept, and the journal is only ever appended to (appends of whole lines are atomic).
 */
export function recoverInterruptedRun(featureDir: string, journalPath: string): RecoveryResult {
  const removedTemporaries = [...removeStaleTemporaries(featureDir), ...removeStaleTemporaries(join(featureDir, 'clips'))];
  return { removedTemporaries, journalRepaired: terminateLastLine(journalPath) };
}

/**
 * End a cut-short last line with a newline, so the next run's first line is not glued to it
 * (the cut line itself is ignored by the journal reader, and that clip is redone).
 */
function terminateLastLine(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    if (last[0] === 0x0a) return false;
  } finally {
    closeSync(fd);
  }
  appendFileSync(file, '\n');
  return true;
}
