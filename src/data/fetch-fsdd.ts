/**
 * Downloads the Free Spoken Digit Dataset at a pinned commit into a recordings folder:
 * stream the GitHub archive to a temporary file next to the folder, extract only the
 * `<top>/recordings/*.wav` entries (each written atomically, never outside the folder),
 * write the CC BY-SA 4.0 attribution next to the data, and check every file against the
 * shipped sha256 list. Rerunning is cheap: a folder that already verifies is left alone, and
 * files already present with the right hash are not rewritten.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { list as listTar, type ReadEntry } from 'tar';
import { FetchError } from '../errors';
import { writeFileAtomic as writeAtomic } from '../atomic-write';
import type { DownloadProgress } from '../progress';
import { DEFAULT_FSDD_CHECKSUMS_FILE, assertVerified, verifyRecordings, type VerificationReport } from './checksums';

/** The FSDD commit whose recordings `data/fsdd-sha256.txt` lists. */
export const FSDD_COMMIT = '26eb9aaf76e81b692f806f9140c2d2777410d7a1';
export const FSDD_REPOSITORY_URL = 'https://github.com/Jakobovski/free-spoken-digit-dataset';
/** GitHub's tar.gz of the repository at {@link FSDD_COMMIT} (redirects to codeload.github.com). */
export const FSDD_ARCHIVE_URL = `${FSDD_REPOSITORY_URL}/archive/${FSDD_COMMIT}.tar.gz`;
/** Name of the attribution file written next to the recordings. */
export const FSDD_LICENSE_FILE = 'FSDD-LICENSE.md';

export interface FetchFsddOptions {
  /** Recordings folder to fill; created if needed. Default `recordings` (relative to the cwd). */
  dest?: string;
  /** Archive to download (tar or tar.gz). Default {@link FSDD_ARCHIVE_URL}. */
  url?: string;
  /** sha256 list the recordings must match. Default: the shipped `data/fsdd-sha256.txt`. */
  checksumsFile?: string;
  /** Called during the download, at most every 100 ms and once at the end. Default: none. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Download and rewrite every recording even when the folder already verifies. Default false. */
  force?: boolean;
  /** The fetch to use (tests, proxies). Default: Node's global `fetch`. */
  fetchImpl?: typeof fetch;
}

interface ResolvedFetchFsddOptions {
  dest: string;
  url: string;
  checksumsFile: string;
  onProgress: (progress: DownloadProgress) => void;
  force: boolean;
  fetchImpl: typeof fetch;
}

export interface FetchFsddResult {
  /** Absolute path of the recordings folder. */
  dest: string;
  /** False when the folder already verified and nothing was downloaded. */
  downloaded: boolean;
  /** Size of the downloaded archive in bytes (0 when nothing was downloaded). */
  archiveBytes: number;
  /** Recordings written to the folder, by file name. */
  written: string[];
  /** Recordings in the archive left as they were because the folder already had them intact. */
  skipped: number;
  /** Archive entries refused because their path is absolute or climbs out with `..`. */
  unsafeEntries: string[];
  /** The final check of the folder against the sha256 list (always `ok` when this returns). */
  verification: VerificationReport;
}

/**
 * Downloads and verifies FSDD. Throws FetchError for a failed request (naming the URL and the
 * HTTP status), an unreadable archive, or recordings that do not match the sha256 list
 * (naming the first few files of each kind and the counts).
 */
export async function fetchFsdd(options: FetchFsddOptions = {}): Promise<FetchFsddResult> {
  const opts = resolveOptions(options);
  await fs.mkdir(opts.dest, { recursive: true });
  await writeLicense(opts.dest, opts.url);

  const before = await verifyRecordings(opts.dest, opts.checksumsFile);
  if (before.ok && !opts.force) {
    return { dest: opts.dest, downloaded: false, archiveBytes: 0, written: [], skipped: 0, unsafeEntries: [], verification: before };
  }

  const archive = path.join(path.dirname(opts.dest), `.fsdd-${randomBytes(6).toString('hex')}.download`);
  try {
    const archiveBytes = await download(opts, archive);
    const keep = opts.force ? new Set<string>() : new Set(before.valid);
    const extracted = await extractRecordings(archive, opts.dest, keep);
    const verification = await verifyRecordings(opts.dest, opts.checksumsFile);
    assertVerified(verification, `check that ${opts.url} is the FSDD archive at commit ${FSDD_COMMIT}, then rerun with --force`);
    return { dest: opts.dest, downloaded: true, archiveBytes, ...extracted, verification };
  } finally {
    await fs.rm(archive, { force: true });
  }
}

/**
 * Sorts one tar entry path into a recording (`<top>/recordings/NAME.wav`, giving NAME), an
 * unsafe path (absolute, a drive letter, a backslash, NUL or a `..` segment) or anything else.
 */
export function classifyArchiveEntry(entryPath: string): { kind: 'recording'; name: string } | { kind: 'unsafe' | 'other' } {
  if (/^[/\\]|^[A-Za-z]:|\\|\0/.test(entryPath)) return { kind: 'unsafe' };
  const segments = entryPath.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) return { kind: 'unsafe' };
  if (segments.length === 3 && segments[1] === 'recordings' && /^[^.].*\.wav$/i.test(segments[2])) {
    return { kind: 'recording', name: segments[2] };
  }
  return { kind: 'other' };
}

function resolveOptions(options: FetchFsddOptions): ResolvedFetchFsddOptions {
  return {
    dest: path.resolve(options.dest ?? 'recordings'),
    url: options.url ?? FSDD_ARCHIVE_URL,
    checksumsFile: path.resolve(options.checksumsFile ?? DEFAULT_FSDD_CHECKSUMS_FILE),
    onProgress: options.onProgress ?? (() => {}),
    force: options.force ?? false,
    fetchImpl: options.fetchImpl ?? fetch,
  };
}

const PROGRESS_INTERVAL_MS = 100;

/** Streams the response body to `file`; returns its size in bytes. */
async function download(opts: ResolvedFetchFsddOptions, file: string): Promise<number> {
  let response: Response;
  try {
    response = await opts.fetchImpl(opts.url, { redirect: 'follow' });
  } catch (cause) {
    const reason = (cause as Error).cause instanceof Error ? ((cause as Error).cause as Error).message : (cause as Error).message;
    throw new FetchError(`${opts.url}: request failed (${reason}); check the network connection or the URL`, { cause });
  }
  const via = response.url && response.url !== opts.url ? ` (redirected to ${response.url})` : '';
  if (!response.ok) {
    throw new FetchError(`${opts.url}: HTTP ${response.status} ${response.statusText}${via}; check the URL and the commit`);
  }
  if (!response.body) throw new FetchError(`${opts.url}: HTTP ${response.status} with an empty body${via}`);

  const announced = Number(response.headers.get('content-length'));
  const totalBytes = Number.isFinite(announced) && announced > 0 ? announced : undefined;
  const started = performance.now();
  let receivedBytes = 0;
  let lastReport = -Infinity;
  const report = (force: boolean): void => {
    const now = performance.now();
    if (!force && now - lastReport < PROGRESS_INTERVAL_MS) return;
    lastReport = now;
    const seconds = Math.max((now - started) / 1000, 1e-3);
    opts.onProgress({ receivedBytes, totalBytes, bytesPerSecond: receivedBytes / seconds });
  };
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      receivedBytes += chunk.length;
      report(false);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), counter, createWriteStream(file));
  } catch (cause) {
    throw new FetchError(`${opts.url}: download interrupted after ${receivedBytes} bytes (${(cause as Error).message})`, { cause });
  }
  if (totalBytes !== undefined && receivedBytes !== totalBytes) {
    throw new FetchError(`${opts.url}: received ${receivedBytes} bytes, the server announced ${totalBytes}; retry the download`);
  }
  report(true);
  return receivedBytes;
}

/**
 * Writes every recording of the archive into `dest`, except those named in `keep`.
 * Each file goes to a hidden temporary name first and is renamed into place, so an
 * interrupted run never leaves a truncated recording under its real name.
 */
async function extractRecordings(
  archive: string,
  dest: string,
  keep: ReadonlySet<string>,
): Promise<Pick<FetchFsddResult, 'written' | 'skipped' | 'unsafeEntries'>> {
  const written: string[] = [];
  const unsafeEntries: string[] = [];
  const writes: Promise<void>[] = [];
  let skipped = 0;

  const onReadEntry = (entry: ReadEntry): void => {
    if (!isRegularFile(entry)) return;
    const kind = classifyArchiveEntry(entry.path);
    if (kind.kind === 'unsafe') unsafeEntries.push(entry.path);
    if (kind.kind !== 'recording') return;
    if (keep.has(kind.name)) {
      skipped += 1;
      return;
    }
    const chunks: Buffer[] = [];
    entry.on('data', (chunk: Buffer) => chunks.push(chunk));
    writes.push(
      new Promise<void>((resolve, reject) => {
        entry.on('end', resolve);
        entry.on('error', reject);
      }).then(async () => {
        await writeFileAtomic(dest, kind.name, Buffer.concat(chunks));
        written.push(kind.name);
      }),
    );
  };

  try {
    await listTar({ file: archive, strict: true, onReadEntry });
    await Promise.all(writes);
  } catch (cause) {
    await Promise.allSettled(writes);
    throw new FetchError(`${archive}: cannot extract the downloaded archive (${(cause as Error).message}); is the URL a tar.gz?`, { cause });
  }
  written.sort();
  return { written, skipped, unsafeEntries };
}

function isRegularFile(entry: ReadEntry): boolean {
  return entry.type === 'File' || entry.type === 'OldFile' || entry.type === 'ContiguousFile';
}

/** Writes `dir/name` through a temporary file and a rename; refuses a name that leaves `dir`. */
async function writeFileAtomic(dir: string, name: string, data: Uint8Array): Promise<void> {
  const target = path.resolve(dir, name);
  if (path.dirname(target) !== path.resolve(dir)) {
    throw new FetchError(`${name}: refusing to write outside ${dir}`);
  }
  await writeAtomic(target, data);
}

/** The attribution CC BY-SA 4.0 asks for: title, creator, source, licence, changes. */
function licenseText(url: string): string {
  return `# Free Spoken Digit Dataset (FSDD)

The \`.wav\` files in this folder are the Free Spoken Digit Dataset, recorded and published by
Zohar Jackson and the FSDD contributors.

- Source: ${FSDD_REPOSITORY_URL}, commit ${FSDD_COMMIT}
- Downloaded from: ${url}
- Licence: Creative Commons Attribution-ShareAlike 4.0 International (CC BY-SA 4.0),
  https://creativecommons.org/licenses/by-sa/4.0/
- Changes: none. Only the \`recordings/*.wav\` files of the repository were extracted; each
  was checked against the sha256 list shipped with melbook (\`data/fsdd-sha256.txt\`).

Keep this file next to the recordings when you copy or share them: it is the attribution the
licence requires. Works you share that adapt the recordings must use the same licence.
`;
}

async function writeLicense(dest: string, url: string): Promise<void> {
  const text = licenseText(url);
  const current = await fs.readFile(path.join(dest, FSDD_LICENSE_FILE), 'utf8').catch(() => undefined);
  if (current !== text) await writeFileAtomic(dest, FSDD_LICENSE_FILE, Buffer.from(text));
}
