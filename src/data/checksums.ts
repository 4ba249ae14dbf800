/**
 * sha256 lists in `sha256sum` format (`HEX  recordings/NAME.wav`, one a line, sorted by path)
 * and the check of a recordings folder against one.
 *
 * The list is flat: entries are matched to files of the checked folder by file name, so the
 * folder may be called anything (`recordings`, `data/fsdd`, ...). Only `*.wav` files of the
 * folder take part; other files next to them (the licence, notes) are ignored.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { FetchError } from '../errors';

/** The sha256 list of FSDD at the pinned commit, shipped with the package in `data/`. */
export const DEFAULT_FSDD_CHECKSUMS_FILE = path.resolve(__dirname, '../../data/fsdd-sha256.txt');

/** One line of a sha256 list. */
export interface ChecksumEntry {
  /** Lower-case hex sha256 of the file's bytes (64 characters). */
  sha256: string;
  /** Path as written in the list, with `/` separators, e.g. `recordings/7_jackson_32.wav`. */
  path: string;
}

/** Result of checking a folder against a sha256 list. Names are file names, sorted. */
export interface VerificationReport {
  /** Absolute path of the checked folder. */
  dir: string;
  /** The sha256 list the folder was checked against. */
  checksumsFile: string;
  /** Number of entries in the list. */
  expected: number;
  /** Listed files present with the listed hash. */
  valid: string[];
  /** Listed files absent from the folder. */
  missing: string[];
  /** `.wav` files in the folder that the list does not name. */
  extra: string[];
  /** Listed files present with a different hash. */
  mismatched: string[];
  /** True when nothing is missing, extra or mismatched. */
  ok: boolean;
}

const LINE = /^([0-9a-fA-F]{64}) [ *](.+)$/;

/** Parses `sha256sum` output. Blank lines are skipped; `source` names the list in errors. */
export function parseChecksumList(text: string, source = 'sha256 list'): ChecksumEntry[] {
  const entries: ChecksumEntry[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    const match = LINE.exec(line);
    if (!match) {
      throw new FetchError(
        `${source}:${index + 1}: not a sha256sum line: ${JSON.stringify(line.slice(0, 80))}; ` +
          'expected 64 hex digits, two spaces and a path',
      );
    }
    const name = path.posix.basename(match[2]);
    if (seen.has(name)) throw new FetchError(`${source}:${index + 1}: file name ${name} is listed twice`);
    seen.add(name);
    entries.push({ sha256: match[1].toLowerCase(), path: match[2] });
  });
  return entries;
}

/** Formats entries as `sha256sum` prints them, sorted by path (code-unit order, like `LC_ALL=C sort`). */
export function formatChecksumList(entries: readonly ChecksumEntry[]): string {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return sorted.map((e) => `${e.sha256}  ${e.path}\n`).join('');
}

/** Lower-case hex sha256 of a file's bytes. */
export async function sha256File(file: string): Promise<string> {
  return createHash('sha256').update(await fs.readFile(file)).digest('hex');
}

/**
 * Hashes every `.wav` file of `dir` (not recursive). Each entry's path is `prefix/NAME`
 * (default prefix `recordings`), so the list reads the same wherever the folder lives.
 */
export async function computeChecksumList(dir: string, prefix = 'recordings'): Promise<ChecksumEntry[]> {
  const names = await listWavFiles(dir);
  const hashes = await mapLimited(names, HASH_CONCURRENCY, (name) => sha256File(path.join(dir, name)));
  return names.map((name, i) => ({ sha256: hashes[i], path: prefix ? `${prefix}/${name}` : name }));
}

/**
 * Checks the `.wav` files of `dir` against a sha256 list (default: the shipped FSDD list).
 * Never throws for missing, extra or mismatching files: it reports them. Throws FetchError when
 * the list cannot be read; a missing `dir` counts as every file missing.
 */
export async function verifyRecordings(
  dir: string,
  checksumsFile: string = DEFAULT_FSDD_CHECKSUMS_FILE,
): Promise<VerificationReport> {
  const entries = await readChecksumFile(checksumsFile);
  const absDir = path.resolve(dir);
  const present = new Set(await listWavFiles(absDir).catch(ifMissing<string[]>([])));
  const expectedNames = new Set(entries.map((e) => path.posix.basename(e.path)));

  const found = entries.filter((e) => present.has(path.posix.basename(e.path)));
  const hashes = await mapLimited(found, HASH_CONCURRENCY, (e) => sha256File(path.join(absDir, path.posix.basename(e.path))));

  const valid: string[] = [];
  const mismatched: string[] = [];
  found.forEach((e, i) => (hashes[i] === e.sha256 ? valid : mismatched).push(path.posix.basename(e.path)));
  const missing = [...expectedNames].filter((name) => !present.has(name));
  const extra = [...present].filter((name) => !expectedNames.has(name));
  for (const list of [valid, mismatched, missing, extra]) list.sort();
  const ok = missing.length === 0 && extra.length === 0 && mismatched.length === 0;
  return { dir: absDir, checksumsFile: path.resolve(checksumsFile), expected: entries.length, valid, missing, extra, mismatched, ok };
}

/**
 * Throws a FetchError describing what failed, naming the first few files of each kind and the
 * counts, when the report is not `ok`. `fix` is appended as the suggested remedy.
 */
export function assertVerified(report: VerificationReport, fix = 'rerun `melbook data fsdd --force` to download the recordings again'): void {
  if (report.ok) return;
  const parts = (
    [
      ['missing', report.missing],
      ['mismatched', report.mismatched],
      ['extra', report.extra],
    ] as const
  )
    .filter(([, names]) => names.length > 0)
    .map(([kind, names]) => `${names.length} ${kind} (${preview(names)})`);
  throw new FetchError(
    `${report.dir}: ${report.valid.length} of ${report.expected} recordings match ${report.checksumsFile}; ` +
      `${parts.join(', ')}. Fix: ${fix}`,
  );
}

/** Reads and parses a sha256 list, turning I/O failures into a FetchError naming the file. */
export async function readChecksumFile(file: string): Promise<ChecksumEntry[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (cause) {
    throw new FetchError(`${file}: cannot read the sha256 list (${(cause as Error).message})`, { cause });
  }
  const entries = parseChecksumList(text, file);
  if (entries.length === 0) throw new FetchError(`${file}: the sha256 list is empty`);
  return entries;
}

const HASH_CONCURRENCY = 16;
const PREVIEW_COUNT = 5;

function preview(names: readonly string[]): string {
  const head = names.slice(0, PREVIEW_COUNT).join(', ');
  return names.length > PREVIEW_COUNT ? `${head}, ...` : head;
}

async function listWavFiles(dir: string): Promise<string[]> {
  const dirents = await fs.readdir(dir, { withFileTypes: true });
  return dirents
    .filter((d) => d.isFile() && d.name.toLowerCase().endsWith('.wav') && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
}

function ifMissing<T>(fallback: T): (error: NodeJS.ErrnoException) => T {
  return (error) => {
    if (error.code === 'ENOENT') return fallback;
    throw error;
  };
}

/** `Promise.all(items.map(fn))` with at most `limit` calls in flight; results keep input order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
