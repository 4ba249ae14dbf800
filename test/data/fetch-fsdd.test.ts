import assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { Header, Pax } from 'tar';
import { assertVerified, computeChecksumList, formatChecksumList, verifyRecordings } from '../../src/data/checksums';
import {
  FSDD_COMMIT,
  FSDD_LICENSE_FILE,
  classifyArchiveEntry,
  fetchFsdd,
} from '../../src/data/fetch-fsdd';
import type { DownloadProgress } from '../../src/progress';
import { FetchError } from '../../src/errors';
import { FSDD_DIR, FSDD_MISSING, hasFsdd } from '../helpers/fsdd';
import { requireOrSkip } from '../helpers/skip';

const TOP = `free-spoken-digit-dataset-${FSDD_COMMIT}`;
const NAMES = ['0_test_0.wav', '3_test_1.wav', '7_test_2.wav', '9_other_4.wav'];
const SHIPPED_LIST = path.resolve(__dirname, '../../data/fsdd-sha256.txt');

/** A valid mono 8 kHz PCM16 WAVE file holding `n` samples of a tone whose pitch depends on `seed`. */
function makeWav(seed: number, n = 400): Buffer {
  const data = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * (200 + 50 * seed) * i) / 8000)), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(8000, 24); // sample rate
  header.writeUInt32LE(16000, 28); // byte rate
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** A tar.gz laid out like GitHub's archive of FSDD, with decoys and path-traversal entries. */
function makeArchive(files: Map<string, Buffer>): Buffer {
  const blocks: Buffer[] = [new Pax({ comment: FSDD_COMMIT }, true).encode()];
  const add = (entryPath: string, body: Buffer, type: 'File' | 'Directory' = 'File'): void => {
    const header = new Header({ path: entryPath, size: body.length, type, mode: type === 'File' ? 0o644 : 0o755, mtime: new Date(0) });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    blocks.push(block, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  };
  add(`${TOP}/`, Buffer.alloc(0), 'Directory');
  add(`${TOP}/README.md`, Buffer.from('# FSDD\n'));
  add(`${TOP}/recordings/`, Buffer.alloc(0), 'Directory');
  for (const [name, body] of files) add(`${TOP}/recordings/${name}`, body);
  add(`${TOP}/utils/notes.wav`, makeWav(9));
  add('../evil.wav', makeWav(10));
  add(`${TOP}/recordings/../../evil2.wav`, makeWav(11));
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

async function listTree(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true });
  return entries.map((e) => e.split(path.sep).join('/')).sort();
}

describe('fetchFsdd', () => {
  let tmp: string;
  let server: http.Server;
  let base: string;
  let checksumsFile: string;
  const requests: string[] = [];
  const good = new Map(NAMES.map((name, i) => [name, makeWav(i)]));
  const goodArchive = makeArchive(good);
  const corruptArchive = makeArchive(new Map([...good].map(([n, b]) => [n, n === NAMES[1] ? Buffer.concat([b, Buffer.from([1])]) : b])));

  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'melbook-fetch-'));
    const listDir = path.join(tmp, 'list-source');
    await fs.mkdir(listDir);
    for (const [name, body] of good) await fs.writeFile(path.join(listDir, name), body);
    checksumsFile = path.join(tmp, 'test-sha256.txt');
    await fs.writeFile(checksumsFile, formatChecksumList(await computeChecksumList(listDir)));

    server = http.createServer((req, res) => {
      requests.push(req.url ?? '');
      const send = (body: Buffer): void => {
        res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': body.length });
        res.end(body);
      };
      if (req.url === '/fsdd.tar.gz') send(goodArchive);
      else if (req.url === '/corrupt.tar.gz') send(corruptArchive);
      else if (req.url === '/moved') res.writeHead(302, { location: '/fsdd.tar.gz' }).end();
      else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await fs.rm(tmp, { recursive: true, force: true });
  });

  test('downloads the archive with progress reports and extracts only the recordings', async () => {
    const dest = path.join(tmp, 'one', 'recordings');
    const progress: DownloadProgress[] = [];
    const result = await fetchFsdd({ dest, url: `${base}/fsdd.tar.gz`, checksumsFile, onProgress: (p) => progress.push(p) });

    assert.equal(result.downloaded, true);
    assert.equal(result.archiveBytes, goodArchive.length);
    assert.deepEqual(result.written, [...NAMES].sort());
    assert.ok(result.verification.ok);
    assert.deepEqual(result.unsafeEntries.sort(), ['../evil.wav', `${TOP}/recordings/../../evil2.wav`]);

    const last = progress[progress.length - 1];
    assert.equal(last.receivedBytes, goodArchive.length);
    assert.equal(last.totalBytes, goodArchive.length);
    assert.ok(last.bytesPerSecond > 0);

    const expectedTree = ['recordings', `recordings/${FSDD_LICENSE_FILE}`, ...NAMES.map((n) => `recordings/${n}`)];
    assert.deepEqual(await listTree(path.join(tmp, 'one')), expectedTree.sort());
    assert.equal(existsSync(path.join(tmp, 'evil.wav')), false);
    for (const name of NAMES) assert.deepEqual(await fs.readFile(path.join(dest, name)), good.get(name));
    const license = await fs.readFile(path.join(dest, FSDD_LICENSE_FILE), 'utf8');
    assert.match(license, /CC BY-SA 4\.0/);
    assert.match(license, new RegExp(FSDD_COMMIT));
  });

  test('a rerun on an intact folder downloads nothing, and a damaged file is fetched again alone', async () => {
    const dest = path.join(tmp, 'two', 'recordings');
    const url = `${base}/fsdd.tar.gz`;
    await fetchFsdd({ dest, url, checksumsFile });
    const count = requests.length;

    const again = await fetchFsdd({ dest, url, checksumsFile });
    assert.equal(again.downloaded, false);
    assert.equal(requests.length, count);

    await fs.rm(path.join(dest, NAMES[2]));
    await fs.writeFile(path.join(dest, NAMES[0]), 'damaged');
    const repaired = await fetchFsdd({ dest, url, checksumsFile });
    assert.equal(repaired.downloaded, true);
    assert.deepEqual(repaired.written, [NAMES[0], NAMES[2]]);
    assert.equal(repaired.skipped, NAMES.length - 2);
    assert.ok(repaired.verification.ok);

    const forced = await fetchFsdd({ dest, url, checksumsFile, force: true });
    assert.deepEqual(forced.written, [...NAMES].sort());
  });

  test('follows a redirect to the archive', async () => {
    const dest = path.join(tmp, 'three', 'recordings');
    const result = await fetchFsdd({ dest, url: `${base}/moved`, checksumsFile });
    assert.equal(result.written.length, NAMES.length);
    assert.ok(result.verification.ok);
  });

  test('an HTTP 404 becomes a FetchError naming the URL and the status, and leaves no temporary file', async () => {
    const parent = path.join(tmp, 'four');
    const url = `${base}/no-such-archive.tar.gz`;
    await assert.rejects(fetchFsdd({ dest: path.join(parent, 'recordings'), url, checksumsFile }), (error: Error) => {
      assert.ok(error instanceof FetchError);
      assert.ok(error.message.includes(url), error.message);
      assert.match(error.message, /HTTP 404/);
      return true;
    });
    assert.deepEqual(await listTree(parent), ['recordings', `recordings/${FSDD_LICENSE_FILE}`]);
  });

  test('a recording that does not match the sha256 list fails with its name and the counts', async () => {
    const dest = path.join(tmp, 'five', 'recordings');
    await assert.rejects(fetchFsdd({ dest, url: `${base}/corrupt.tar.gz`, checksumsFile }), (error: Error) => {
      assert.ok(error instanceof FetchError);
      assert.match(error.message, new RegExp(`3 of 4 recordings match .*1 mismatched \\(${NAMES[1]}\\)`));
      return true;
    });
  });

  test('verifyRecordings reports missing, extra and mismatching files', async () => {
    const dir = path.join(tmp, 'six');
    await fs.mkdir(dir);
    await fs.writeFile(path.join(dir, NAMES[0]), good.get(NAMES[0])!);
    await fs.writeFile(path.join(dir, NAMES[1]), 'not the recording');
    await fs.writeFile(path.join(dir, 'stray.wav'), makeWav(20));
    await fs.writeFile(path.join(dir, 'notes.txt'), 'ignored');

    const report = await verifyRecordings(dir, checksumsFile);
    assert.equal(report.ok, false);
    assert.deepEqual(report.valid, [NAMES[0]]);
    assert.deepEqual(report.mismatched, [NAMES[1]]);
    assert.deepEqual(report.missing, [NAMES[2], NAMES[3]]);
    assert.deepEqual(report.extra, ['stray.wav']);
    assert.throws(() => assertVerified(report), /1 of 4 recordings match .*2 missing \(7_test_2\.wav, 9_other_4\.wav\), 1 mismatched \(3_test_1\.wav\), 1 extra \(stray\.wav\)/);
  });
});

describe('classifyArchiveEntry', () => {
  test('accepts only top/recordings/NAME.wav and flags paths that could leave the folder', () => {
    assert.deepEqual(classifyArchiveEntry(`${TOP}/recordings/1_a_2.wav`), { kind: 'recording', name: '1_a_2.wav' });
    assert.deepEqual(classifyArchiveEntry(`./${TOP}/recordings/1_a_2.wav`), { kind: 'recording', name: '1_a_2.wav' });
    for (const other of [`${TOP}/README.md`, `${TOP}/recordings/sub/1.wav`, 'recordings/1.wav', `${TOP}/recordings/.hidden.wav`]) {
      assert.deepEqual(classifyArchiveEntry(other), { kind: 'other' }, other);
    }
    for (const unsafe of ['../evil.wav', '/etc/evil.wav', 'C:/evil.wav', `${TOP}/recordings/..\\evil.wav`, `${TOP}/recordings/../x.wav`]) {
      assert.deepEqual(classifyArchiveEntry(unsafe), { kind: 'unsafe' }, unsafe);
    }
  });
});

describe('data/fsdd-sha256.txt', () => {
  test('matches the FSDD recordings the tests find (MELBOOK_FSDD, recordings/ or ../shared/fsdd/recordings)', async (t) => {
    if (!requireOrSkip(t, hasFsdd(), FSDD_MISSING)) return;
    const report = await verifyRecordings(FSDD_DIR, SHIPPED_LIST);
    assert.equal(report.expected, 3000);
    assertVerified(report, 'regenerate the list with scripts/make-fsdd-checksums.ts');
  });
});
