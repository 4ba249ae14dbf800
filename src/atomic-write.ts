/**
 * Atomic file writes: the bytes go to a hidden temporary file in the target's folder, which is
 * then renamed over the target, so a reader (or a rerun after a crash) sees the old file or the
 * new one, never half of one. The temporary file is removed when the write fails.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** Create the target's folder first. Default false. */
  mkdir?: boolean;
}

/** A temporary name next to `file`: `.<name>.<random>.tmp`. */
export function temporaryPathFor(file: string): string {
  return join(dirname(file), `.${basename(file)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

export async function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  if (options.mkdir) await fs.mkdir(dirname(file), { recursive: true });
  const tmp = temporaryPathFor(file);
  try {
    await fs.writeFile(tmp, data, { flag: 'wx' });
    await fs.rename(tmp, file);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
}

export function writeFileAtomicSync(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  if (options.mkdir) mkdirSync(dirname(file), { recursive: true });
  const tmp = temporaryPathFor(file);
  try {
    writeFileSync(tmp, data, { flag: 'wx' });
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}
