import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseClip, parseClips, listWavFiles, classNames, compileLabelOptions } from '../../src/data/labels';
import { ConfigError, LabelError } from '../../src/errors';

const fsdd = { layout: 'pattern' as const, pattern: '^(?<label>\\d+)_(?<speaker>[A-Za-z]+)_(?<take>\\d+)\\.wav$', folderPattern: '^(?:class-)?(?<label>.+)$' };

test('an FSDD file name gives its digit, speaker and take', () => {
  const clip = parseClip('rec', join('rec', '7_jackson_32.wav'), fsdd);
  assert.deepEqual(clip, { file: join('rec', '7_jackson_32.wav'), id: '7_jackson_32.wav', label: '7', speaker: 'jackson', take: 32 });
});

test('a file name that does not match the pattern is a LabelError naming the file and the pattern', () => {
  assert.throws(() => parseClip('rec', join('rec', 'seven-jackson.wav'), fsdd), (err: unknown) => {
    assert.ok(err instanceof LabelError);
    assert.match(err.message, /seven-jackson\.wav/);
    assert.match(err.message, /data\.pattern/);
    return true;
  });
});

test('parseClips collects rejected names instead of throwing', () => {
  const { clips, rejected } = parseClips('r', ['r/1_a_0.wav', 'r/bad.wav', 'r/2_b_3.wav'], fsdd);
  assert.deepEqual(clips.map((c) => c.label), ['1', '2']);
  assert.equal(rejected.length, 1);
  assert.match(rejected[0].file, /bad\.wav/);
});

test('a custom pattern with only a label group leaves speaker unknown and take null', () => {
  const clip = parseClip('r', 'r/dog-001.wav', { ...fsdd, pattern: '^(?<label>[a-z]+)-\\d+\\.wav$' });
  assert.equal(clip.label, 'dog');
  assert.equal(clip.speaker, 'unknown');
  assert.equal(clip.take, null);
});

test('a pattern without a label group or with bad syntax is a ConfigError', () => {
  assert.throws(() => compileLabelOptions({ ...fsdd, pattern: '^(\\d)_' }), ConfigError);
  assert.throws(() => compileLabelOptions({ ...fsdd, pattern: '(?<label>[' }), ConfigError);
});

test('the folder-per-class layout takes the label from the folder (class-7/...)', () => {
  const root = mkdtempSync(join(tmpdir(), 'melbook-labels-'));
  mkdirSync(join(root, 'class-7'));
  mkdirSync(join(root, 'class-3'));
  writeFileSync(join(root, 'class-7', 'a_1.wav'), '');
  writeFileSync(join(root, 'class-3', 'b.wav'), '');
  writeFileSync(join(root, 'stray.wav'), '');
  const files = listWavFiles(root, 'folders');
  const { clips, rejected } = parseClips(root, files, { ...fsdd, layout: 'folders' });
  assert.deepEqual(clips.map((c) => [c.id, c.label]).sort(), [['class-3/b.wav', '3'], ['class-7/a_1.wav', '7']]);
  assert.equal(rejected.length, 1, 'a file outside any class folder is rejected');
  assert.match(rejected[0].reason, /class folder/);
});

test('a missing recordings folder is a ConfigError that says how to get FSDD', () => {
  assert.throws(() => listWavFiles('/nonexistent/recordings', 'pattern'), /melbook data fsdd/);
});

test('class names sort numerically when every label is a number', () => {
  assert.deepEqual(classNames(['10', '2', '1', '2']), ['1', '2', '10']);
  assert.deepEqual(classNames(['dog', 'cat']), ['cat', 'dog']);
});

test('symlinked recordings are listed; dangling links are not', () => {
  const root = mkdtempSync(join(tmpdir(), 'melbook-links-'));
  const real = join(mkdtempSync(join(tmpdir(), 'melbook-real-')), '1_ann_0.wav');
  writeFileSync(real, '');
  symlinkSync(real, join(root, '1_ann_0.wav'));
  symlinkSync(join(root, 'missing.wav'), join(root, '2_bob_0.wav'));
  assert.deepEqual(listWavFiles(root, 'pattern'), [join(root, '1_ann_0.wav')]);
});
