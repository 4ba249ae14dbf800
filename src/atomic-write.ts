/**
 * Atomic file writes: the bytes go to a hidden temporary file in the target's folder, which is
 * then renamed over the target, so a reader (or a rerun after a crash) sees the old file or the
 * new one, never half of one. The temporary file is removed when the write fails.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** Create the target's folder first. Default false. */
  mkdir?: boolean;
}

/** A temporary name next to `file`: `.<name>.<pid>-<8 hex>.tmp`. */
export function temporaryPathFor(file: string): string {
  return join(dirname(file), `.${basename(file)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

/** The writer's pid in a name made by `temporaryPathFor`, or undefined for any other name. */
const TEMPORARY_NAME = /^\..+\.(\d+)-[0-9a-f]{8}\.tmp$/;

/** Whether a file name (no folder) is one `temporaryPathFor` makes: a write under way, or one a killed writer left. */
export function isTemporaryName(name: string): boolean {
  return TEMPORARY_NAME.test(name);
}

export interface StaleTemporaryOptions {
  /**
   * A temporary file older than this is stale even if a process with its pid is alive (the pid
   * may have been reused, or the writer lives on another host). One write takes far less.
   * Milliseconds; default 10 minutes.
   */
  maxAgeMs?: number;
}

/**
 * Remove the temporary files a killed writer left in `dir` (not recursive): those whose writer
 * pid is no longer alive on this host, or that are older than `maxAgeMs`. A temporary file of a
 * live writer (another process working in the same folder right now) is kept, so its rename
 * still succeeds. Returns the paths removed; a missing `dir` removes nothing.
 */
export function removeStaleTemporaries(dir: string, options: StaleTemporaryOptions = {}): string[] {
  const maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = TEMPORARY_NAME.exec(name)?.[1];
    if (pid === undefined) continue;
    const file = join(dir, name);
    const ageMs = Date.now() - (statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (processAlive(Number(pid)) && ageMs <= maxAgeMs) continue;
    rmSync(file, { force: true });
    removed.push(file);
  }
  return removed;
}

/** Whether a process with this pid exists on this host (EPERM: it exists, owned by someone else). */
function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
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
