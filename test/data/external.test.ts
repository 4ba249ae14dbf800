import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkExternalLabels, externalSetName, listExternalClips } from '../../src/data/external';
import { ExternalSetError } from '../../src/errors';
import type { LabelOptions } from '../../src/data/labels';

const PATTERN: LabelOptions = { layout: 'pattern', pattern: '^(?<label>\\d+)_(?<speaker>[A-Za-z]+)_(?<take>\\d+)\\.wav$', folderPattern: '^(?:class-)?(?<label>.+)$' };
const FOLDERS: LabelOptions = { ...PATTERN, layout: 'folders' };

/** A folder with empty files at the given relative paths (listing and parsing never decode them). */
function folder(files: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'melbook-external-'));
  for (const f of files) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), '');
  }
  return dir;
}

test('a folder in the pattern layout is grouped per speaker from the pattern\'s speaker group, sub-folders included', () => {
  const dir = folder(['0_ann_0.wav', '1_ann_1.wav', 'mic2/0_bob_0.wav', 'notes.txt']);
  const set = listExternalClips(dir, PATTERN);
  assert.equal(set.groupBy, 'speaker');
  assert.deepEqual(set.clips.map((c) => [c.id, c.label, c.group]), [['0_ann_0.wav', '0', 'ann'], ['1_ann_1.wav', '1', 'ann'], ['mic2/0_bob_0.wav', '0', 'bob']]);
});

test('without a speaker group the clips are grouped per sub-folder, `.` for the folder itself', () => {
  const dir = folder(['voiceA/0_x.wav', 'voiceA/1_y.wav', 'voiceB/1_z.wav', '0_top.wav']);
  const set = listExternalClips(dir, { ...PATTERN, pattern: '^(?<label>\\d+)_.*\\.wav$' });
  assert.equal(set.groupBy, 'folder');
  assert.deepEqual(set.clips.map((c) => [c.label, c.group]), [['0', '.'], ['0', 'voiceA'], ['1', 'voiceA'], ['1', 'voiceB']]);
});

test('in the folders layout the class folder gives the label and the folder above it the group', () => {
  const dir = folder(['voiceA/class-0/a.wav', 'voiceA/class-1/b.wav', 'voiceB/class-1/c.wav']);
  const set = listExternalClips(dir, FOLDERS);
  assert.equal(set.groupBy, 'folder');
  assert.deepEqual(set.clips.map((c) => [c.label, c.group]), [['0', 'voiceA'], ['1', 'voiceA'], ['1', 'voiceB']]);
});

test('an empty folder is an ExternalSetError that names the folder and how to name clips', () => {
  const dir = folder(['readme.txt']);
  assert.throws(() => listExternalClips(dir, PATTERN), (err: unknown) =>
    err instanceof ExternalSetError && err.kind === 'empty' && err.dir === dir && err.message.startsWith(`${dir}: no .wav files`) && err.message.includes('data.pattern'));
  assert.throws(() => listExternalClips(join(dir, 'missing'), PATTERN), (err: unknown) => err instanceof ExternalSetError && err.kind === 'missing');
});

test('unlabelled files are an ExternalSetError listing the first five and how many more', () => {
  const names = ['0_ann_0.wav', ...Array.from({ length: 7 }, (_, i) => `take${i}.wav`)];
  const dir = folder(names);
  assert.throws(() => listExternalClips(dir, PATTERN), (err: unknown) => {
    assert.ok(err instanceof ExternalSetError && err.kind === 'unlabelled');
    assert.match(err.message, /7 of 8 files have no label; name each clip to match data\.pattern/);
    assert.match(err.message, /take0\.wav: file name does not match data\.pattern/);
    assert.match(err.message, /take4\.wav/);
    assert.doesNotMatch(err.message, /take5\.wav/);
    assert.match(err.message, /and 2 more$/);
    return true;
  });
  const loose = folder(['loose.wav', 'class-0/a.wav']);
  assert.throws(() => listExternalClips(loose, FOLDERS), /1 of 2 files have no label; put each clip in a class folder[\s\S]*loose\.wav: not inside a class folder/);
});

test('a label the model does not know is an ExternalSetError naming the labels and the model\'s classes', () => {
  const dir = folder(['0_ann_0.wav', '7_ann_0.wav', '9_bob_1.wav']);
  const set = listExternalClips(dir, PATTERN);
  checkExternalLabels(set, ['0', '7', '9']);
  assert.throws(() => checkExternalLabels(set, ['0', '1', '2']), (err: unknown) =>
    err instanceof ExternalSetError && err.kind === 'unknown-label' &&
    err.message === `${dir}: label(s) "7", "9" (e.g. 7_ann_0.wav) are not classes of the model [0, 1, 2]; remove those clips or score a model trained on those classes`);
});

test('a set\'s name is its folder name made safe for metric keys', () => {
  assert.equal(externalSetName('/data/other mic (2)/'), 'other_mic_2_');
  assert.equal(externalSetName('clips.v2'), 'clips.v2');
});
