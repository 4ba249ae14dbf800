/** `melbook data fsdd` and `melbook data verify`: get FSDD into recordings/ and check it. */
import type { Command } from 'commander';
import { fetchFsdd, FSDD_ARCHIVE_URL } from '../data/fetch-fsdd';
import { createDownloadProgress } from '../progress';
import { verifyRecordings, assertVerified, DEFAULT_FSDD_CHECKSUMS_FILE } from '../data/checksums';
import type { RunTask } from './options';

export function registerDataCommand(program: Command, run: RunTask): void {
  const data = program.command('data').description('get and check datasets');
  data
    .command('fsdd')
    .description('download FSDD (pinned commit) into the recordings folder and verify every file by sha256')
    .option('--dest <dir>', 'recordings folder', 'recordings')
    .option('--url <url>', 'archive URL (a mirror, or a local server)')
    .option('--checksums <file>', 'sha256 list (default: the one melbook ships)')
    .option('--force', 'download again even if the folder verifies')
    .action((opts) => run(() => fetchFsddCommand(opts)));
  data
    .command('verify')
    .description('check a recordings folder against the shipped FSDD sha256 list')
    .option('--dir <dir>', 'recordings folder', 'recordings')
    .option('--checksums <file>', 'sha256 list')
    .action((opts) => run(() => verifyCommand(opts)));
}

export async function fetchFsddCommand(opts: { dest: string; url?: string; force?: boolean; checksums?: string }): Promise<number> {
  const progress = createDownloadProgress(process.stderr);
  console.log(`FSDD: ${opts.url ?? FSDD_ARCHIVE_URL} -> ${opts.dest}`);
  try {
    const result = await fetchFsdd({ dest: opts.dest, url: opts.url, force: opts.force, checksumsFile: opts.checksums, onProgress: progress.onProgress });
    progress.stop();
    if (!result.downloaded) console.log(`FSDD: ${result.dest} already holds all ${result.verification.expected} recordings, verified; nothing to download (--force to redo)`);
    else console.log(`FSDD: ${result.written.length} recordings written, ${result.skipped} already present; all ${result.verification.expected} verified against ${result.verification.checksumsFile}`);
    if (result.unsafeEntries.length > 0) console.log(`FSDD: refused ${result.unsafeEntries.length} unsafe archive entries: ${result.unsafeEntries.slice(0, 3).join(', ')}`);
    return 0;
  } finally {
    progress.stop();
  }
}

export async function verifyCommand(opts: { dir: string; checksums?: string }): Promise<number> {
  const report = await verifyRecordings(opts.dir, opts.checksums ?? DEFAULT_FSDD_CHECKSUMS_FILE);
  assertVerified(report);
  console.log(`${report.dir}: all ${report.expected} recordings match ${report.checksumsFile}`);
  return 0;
}
