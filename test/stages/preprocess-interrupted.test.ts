/**
 * A `melbook preprocess` killed with SIGKILL mid-run, then rerun, ends exactly as a run that was
 * never interrupted: every .npy loads and equals the clean run's bytes, the journal holds one
 * line per clip with its source's sha256, and no temporary file is left.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { toneCorpus } from '../helpers/corpus';
import { readNpySync } from '../../src/features/npy';
import { readManifest } from '../../src/data/manifest';
import { recoverInterruptedRun } from '../../src/stages/preprocess-recovery';

const CLI = resolve(__dirname, '../../bin/melbook.js');

/** A config file for the CLI: 1 s clips, two worker threads. */
function configFile(recordings: string, featuresDir: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'melbook-cfg-')), 'config.yaml');
  writeFileSync(file, `data:\n  recordings: ${JSON.stringify(recordings)}\n  durationS: 1\npreprocess:\n  dir: ${JSON.stringify(featuresDir)}\n  workers: 2\n`);
  return file;
}

function runToEnd(config: string): void {
  const r = spawnSync(process.execPath, [CLI, 'preprocess', '--config', config], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

/** The one feature folder under `dir`. */
function featureDirIn(dir: string): string | undefined {
  const keys = existsSync(dir) ? readdirSync(dir) : [];
  return keys.length === 1 ? join(dir, keys[0]) : undefined;
}

function npyCount(featureDir: string | undefined): number {
  const clips = featureDir && join(featureDir, 'clips');
  return clips && existsSync(clips) ? readdirSync(clips).filter((f) => f.endsWith('.npy')).length : 0;
}

/** Start preprocess and SIGKILL its process group once some, but not all, clips are written. */
async function killMidRun(config: string, featuresDir: string, total: number): Promise<{ pid: number; written: number }> {
  const child = spawn(process.execPath, [CLI, 'preprocess', '--config', config], { detached: true, stdio: 'ignore' });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  let written = 0;
  for (;;) {
    written = npyCount(featureDirIn(featuresDir));
    if (written >= 0.05 * total && written <= 0.8 * total) break;
    if (child.exitCode !== null || written > 0.8 * total) {
      process.kill(-child.pid!, 'SIGKILL');
      await exited;
      assert.fail(`preprocess got past ${written} of ${total} clips before it could be killed; give the test more clips`);
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  process.kill(-child.pid!, 'SIGKILL');
  await exited;
  return { pid: child.pid!, written };
}

test('preprocess killed with SIGKILL mid-run and rerun gives the clean run\'s files, a consistent journal and no temporary files', { timeout: 180_000 }, async (t) => {
  const recordings = toneCorpus({ digits: 10, speakers: ['ann', 'bob', 'cy', 'dee', 'eve', 'fay'], takes: 20 });
  const total = readdirSync(recordings).length;
  const work = mkdtempSync(join(tmpdir(), 'melbook-kill-'));
  const killedDir = join(work, 'killed');
  const config = configFile(recordings, killedDir);
  const { pid, written } = await killMidRun(config, killedDir, total);
  assert.ok(written > 0 && written < total, `killed after ${written} of ${total} clips`);
  t.diagnostic(`killed after ${written} of ${total} clips`);
  const featureDir = featureDirIn(killedDir)!;
  assert.ok(!existsSync(join(featureDir, 'manifest.json')), 'the run was killed before it finished');
  // What a kill during a write leaves: a temporary file named after the dead writer.
  writeFileSync(join(featureDir, 'clips', `.0_ann_0.npy.${pid}-0badf00d.tmp`), 'half a file');

  runToEnd(config);
  const cleanDir = join(work, 'clean');
  runToEnd(configFile(recordings, cleanDir));
  const cleanFeatureDir = featureDirIn(cleanDir)!;

  const resumed = readManifest(join(featureDir, 'manifest.json')).entries;
  const clean = readManifest(join(cleanFeatureDir, 'manifest.json')).entries;
  assert.equal(resumed.length, total);
  assert.deepEqual(resumed.map((e) => [e.id, e.feature, e.shape, e.split, e.sourceSha256]), clean.map((e) => [e.id, e.feature, e.shape, e.split, e.sourceSha256]));
  for (const e of resumed) {
    assert.deepEqual(readNpySync(join(featureDir, e.feature)).shape, e.shape);
    assert.ok(readFileSync(join(featureDir, e.feature)).equals(readFileSync(join(cleanFeatureDir, e.feature))), `${e.feature} equals the clean run's`);
  }
  const leftovers = [...readdirSync(featureDir), ...readdirSync(join(featureDir, 'clips'))].filter((f) => f.endsWith('.tmp'));
  assert.deepEqual(leftovers, [], 'no temporary file remains');

  const lines = readFileSync(join(featureDir, '.journal.jsonl'), 'utf8').split('\n').filter((l) => l !== '');
  const journal = lines.map((l) => JSON.parse(l) as { id: string; sha256: string });
  assert.deepEqual(journal.map((j) => j.id).sort(), resumed.map((e) => e.id).sort(), 'one journal line per clip, none twice');
  for (const j of journal) {
    const source = createHash('sha256').update(readFileSync(join(recordings, j.id))).digest('hex');
    assert.equal(j.sha256, source, `journal sha256 of ${j.id}`);
  }
});

test('recovery removes temporary files of dead or long-gone writers, keeps a live writer\'s, and closes a cut journal line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'melbook-recover-'));
  const clips = join(dir, 'clips');
  const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
  mkdirSync(clips);
  const dead = join(clips, `.1_bob_3.npy.${deadPid}-0123abcd.tmp`);
  const live = join(clips, `.1_bob_4.npy.${process.pid}-0123abcd.tmp`);
  const old = join(dir, `.manifest.json.${process.pid}-89abcdef.tmp`);
  const unrelated = join(clips, 'notes.tmp');
  for (const f of [dead, live, old, unrelated]) writeFileSync(f, 'x');
  const hourAgo = new Date(Date.now() - 3_600_000);
  utimesSync(old, hourAgo, hourAgo);
  const journal = join(dir, '.journal.jsonl');
  writeFileSync(journal, '{"id":"0_ann_1.wav","sha256":"ab"}\n{"id":"0_ann_');

  const r = recoverInterruptedRun(dir, journal);
  assert.deepEqual(r.removedTemporaries.sort(), [dead, old].sort());
  assert.ok(existsSync(live), 'a temporary file of a live writer is kept: its rename is still to come');
  assert.ok(existsSync(unrelated), 'only names made by the atomic writer are touched');
  assert.equal(r.journalRepaired, true);
  assert.equal(readFileSync(journal, 'utf8'), '{"id":"0_ann_1.wav","sha256":"ab"}\n{"id":"0_ann_\n');
  assert.equal(recoverInterruptedRun(dir, journal).journalRepaired, false, 'a whole journal is left alone');
  assert.equal(recoverInterruptedRun(join(dir, 'none'), join(dir, 'none', 'j')).journalRepaired, false, 'a first run has nothing to recover');
});
