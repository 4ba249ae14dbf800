import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic, writeFileAtomicSync } from '../src/atomic-write';

test('an atomic write replaces the file and leaves no temporary file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'melbook-atomic-'));
  writeFileSync(join(dir, 'a.txt'), 'old');
  await writeFileAtomic(join(dir, 'a.txt'), 'new');
  writeFileAtomicSync(join(dir, 'b.bin'), new Uint8Array([1, 2, 3]));
  assert.equal(readFileSync(join(dir, 'a.txt'), 'utf8'), 'new');
  assert.deepEqual([...readFileSync(join(dir, 'b.bin'))], [1, 2, 3]);
  assert.deepEqual(readdirSync(dir).sort(), ['a.txt', 'b.bin']);
});

test('a failed atomic write keeps the old target and removes its temporary file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'melbook-atomic-'));
  mkdirSync(join(dir, 'target'));
  writeFileSync(join(dir, 'target', 'inside'), 'x');
  await assert.rejects(writeFileAtomic(join(dir, 'target'), 'data'));
  assert.throws(() => writeFileAtomicSync(join(dir, 'target'), 'data'));
  assert.deepEqual(readdirSync(dir), ['target'], 'no temporary file left behind');
});

test('mkdir creates the missing folders first', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'melbook-atomic-'));
  await writeFileAtomic(join(dir, 'x', 'y', 'z.json'), '{}', { mkdir: true });
  writeFileAtomicSync(join(dir, 'p', 'q.json'), '{}', { mkdir: true });
  assert.equal(readFileSync(join(dir, 'x', 'y', 'z.json'), 'utf8'), '{}');
  assert.equal(readFileSync(join(dir, 'p', 'q.json'), 'utf8'), '{}');
});
