/**
 * A lock between processes sharing one tracking root: a file created exclusively (`wx`), holding
 * the owner's pid and host, removed when the work is done. Used around the few steps that must
 * not interleave across processes (look up an experiment name, then create it), which take
 * milliseconds; a lock whose owner died is taken over.
 */
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { TrackingError } from '../errors';
import { pidAlive } from './liveness';

/** The lock file at a tracking root around experiment creation (a file: MLflow lists only folders). */
export const EXPERIMENTS_LOCK = '.experiments.lock';

export interface FileLockOptions {
  /** Give up after this long, ms. Default 60 000. */
  timeoutMs?: number;
  /**
   * A lock older than this is stale whoever holds it (a process killed inside the critical
   * section on another host). ms; default 30 000, far above the few ms the section takes.
   */
  staleMs?: number;
}

/** Run `work` while holding the lock file `file`; the lock is released even when `work` throws. */
export async function withFileLock<T>(file: string, work: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  await acquire(file, options.timeoutMs ?? 60_000, options.staleMs ?? 30_000);
  try {
    return await work();
  } finally {
    await fs.rm(file, { force: true });
  }
}

async function acquire(file: string, timeoutMs: number, staleMs: number): Promise<void> {
  const owner = JSON.stringify({ pid: process.pid, host: hostname() });
  const deadline = Date.now() + timeoutMs;
  for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
    try {
      await fs.writeFile(file, owner, { flag: 'wx' });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await isStale(file, staleMs)) {
      await fs.rm(file, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new TrackingError(`${file}: another process has held this lock for over ${timeoutMs} ms; if no melbook process is running, delete the file`);
    }
    await new Promise((resolve) => setTimeout(resolve, wait + Math.random() * wait));
  }
}

/** Held by a dead process on this host, or older than `staleMs`. A lock that just vanished is not stale. */
async function isStale(file: string, staleMs: number): Promise<boolean> {
  try {
    const [text, stat] = await Promise.all([fs.readFile(file, 'utf8'), fs.stat(file)]);
    if (Date.now() - stat.mtimeMs > staleMs) return true;
    const { pid, host } = JSON.parse(text) as { pid: number; host: string };
    return host === hostname() && !pidAlive(pid);
  } catch {
    return false; // removed meanwhile, or caught half-written: try again
  }
}
