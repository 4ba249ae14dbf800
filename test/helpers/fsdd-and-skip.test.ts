import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findFsdd, fsddCandidates, holdsFsdd } from './fsdd';
import { inCi, requireOrSkip } from './skip';

/** A folder of `n` empty files named as FSDD names its clips. */
function fakeFsdd(n: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'melbook-fake-fsdd-'));
  for (let i = 0; i < n; i++) writeFileSync(join(dir, `${i % 10}_spk_${Math.floor(i / 10)}.wav`), '');
  return dir;
}

test('tests look for FSDD in MELBOOK_FSDD, then recordings/, then ../shared/fsdd/recordings', () => {
  const repo = resolve(__dirname, '../..');
  const full = fakeFsdd(3000);
  assert.deepEqual(fsddCandidates({ MELBOOK_FSDD: full }), [full, join(repo, 'recordings'), resolve(repo, '../shared/fsdd/recordings')]);
  assert.deepEqual(fsddCandidates({}), [join(repo, 'recordings'), resolve(repo, '../shared/fsdd/recordings')]);
  assert.equal(findFsdd({ MELBOOK_FSDD: full }), full, 'MELBOOK_FSDD wins when it holds FSDD');
  const partial = fakeFsdd(10);
  assert.equal(holdsFsdd(partial), false, 'a folder with a few clips is not FSDD');
  assert.notEqual(findFsdd({ MELBOOK_FSDD: partial }), partial, 'and the search goes on past it');
  assert.equal(holdsFsdd(join(repo, 'no-such-folder')), false);
});

test('in CI a missing test dependency fails the test instead of skipping it', (t) => {
  assert.equal(requireOrSkip(t, true, 'unused'), true, 'an available dependency lets the test run');
  assert.equal(inCi({ CI: 'true' }), true);
  assert.equal(inCi({}), false);
  const saved = process.env.CI;
  process.env.CI = 'true';
  try {
    assert.throws(() => requireOrSkip(t, false, 'python3 torch is missing'), /missing test dependency in CI \(.ci\/run should install it\): python3 torch is missing/);
  } finally {
    if (saved === undefined) delete process.env.CI;
    else process.env.CI = saved;
  }
});
