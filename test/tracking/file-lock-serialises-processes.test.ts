import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { withFileLock } from '../../src/tracking/file-lock';
import { TrackingError } from '../../src/errors';

test('holders of one lock file never overlap, and the file is gone afterwards', async () => {
  const lock = join(mkdtempSync(join(tmpdir(), 'melbook-lock-')), '.lock');
  let inside = 0;
  let most = 0;
  await Promise.all(Array.from({ length: 6 }, (_, i) => withFileLock(lock, async () => {
    most = Math.max(most, ++inside);
    await new Promise((r) => setTimeout(r, 5 + i));
    inside--;
  })));
  assert.equal(most, 1);
  assert.ok(!existsSync(lock));
  await assert.rejects(withFileLock(lock, async () => { throw new Error('work failed'); }), /work failed/);
  assert.ok(!existsSync(lock), 'released when the work throws');
});

test('a lock left by a dead process is taken over; a live holder past the timeout is a TrackingError naming the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'melbook-lock-'));
  const dead = join(dir, 'dead.lock');
  writeFileSync(dead, JSON.stringify({ pid: spawnSync(process.execPath, ['-e', '0']).pid, host: hostname() }));
  assert.equal(await withFileLock(dead, async () => 'ran', { timeoutMs: 1000 }), 'ran');
  const live = join(dir, 'live.lock');
  writeFileSync(live, JSON.stringify({ pid: process.pid, host: hostname() }));
  await assert.rejects(withFileLock(live, async () => 'never', { timeoutMs: 100 }), (e: unknown) => e instanceof TrackingError && e.message.startsWith(`${live}: another process`));
});
