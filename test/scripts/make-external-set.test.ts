import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeWav } from '../../src/audio/wav';
import { DataSchema } from '../../src/config/schema';
import { HALVES, makeExternalSet, splitVoices, VOICES } from '../../scripts/make-external-set';
import { requireOrSkip } from '../helpers/skip';

const hasEspeak = spawnSync('espeak-ng', ['--version'], { stdio: 'ignore' }).status === 0;

test('make-external-set speaks every digit in each voice as 8 kHz 16-bit clips named as data.pattern expects', async (t) => {
  if (!requireOrSkip(t, hasEspeak, 'espeak-ng is not installed (apt-get install espeak-ng)')) return;
  const out = mkdtempSync(join(tmpdir(), 'melbook-external-'));
  assert.equal(await makeExternalSet(out, 2), 2 * 10 * 3);
  const files = readdirSync(out).filter((f) => f.endsWith('.wav')).sort();
  const pattern = new RegExp(DataSchema.parse({}).pattern);
  const seen = new Set<string>();
  for (const f of files) {
    const m = pattern.exec(f);
    assert.ok(m?.groups, `${f} does not match data.pattern`);
    seen.add(`${m.groups.label}_${m.groups.speaker}`);
    const wav = decodeWav(readFileSync(join(out, f)), f);
    assert.deepEqual([wav.sampleRateHz, wav.channels, wav.bitsPerSample], [8000, 1, 16], f);
    const seconds = wav.frames / wav.sampleRateHz;
    assert.ok(seconds > 0.15 && seconds < 1.5, `${f}: ${seconds} s is not one spoken word`);
  }
  assert.equal(seen.size, 20, 'ten digits for each of the two voices');
  assert.deepEqual([...new Set(files.map((f) => f.split('_')[1]))].sort(), VOICES.slice(0, 2).map((v) => v.name).sort());
  const readme = readFileSync(join(out, 'README.txt'), 'utf8');
  for (const v of VOICES.slice(0, 2)) assert.match(readme, new RegExp(`${v.name}\\s+espeak-ng -v ${v.voice.replace('+', '\\+')}`));
});

test('every voice name is letters only and unique, as the speaker group of data.pattern requires', () => {
  assert.equal(VOICES.length * 10 * 3, 600);
  assert.ok(VOICES.every((v) => /^[A-Za-z]+$/.test(v.name)));
  assert.equal(new Set(VOICES.map((v) => v.name)).size, VOICES.length);
});

test('the split rule puts voices at even index in select and odd in report, each half with female, child-like and male voices', () => {
  const { select, report } = splitVoices(VOICES);
  assert.deepEqual(select.map((v) => v.name), ['usfa', 'usfb', 'cbfa', 'nyfa', 'wmfa', 'gbch', 'gbma', 'cbma', 'nyma', 'wmma']);
  assert.deepEqual(report.map((v) => v.name), ['gbfa', 'scfa', 'rpfa', 'lafa', 'usch', 'usma', 'scma', 'rpma', 'lama', 'usmh']);
  for (const half of [select, report]) {
    assert.ok(half.some((v) => /\+f/.test(v.voice) && v.pitch < 90), 'a female voice');
    assert.ok(half.some((v) => v.pitch >= 90), 'a child-like voice');
    assert.ok(half.some((v) => /\+m/.test(v.voice)), 'a male voice');
  }
  assert.deepEqual(splitVoices(['a', 'b', 'c']), { select: ['a', 'c'], report: ['b'] });
  assert.deepEqual(splitVoices([]), { select: [], report: [] });
});

test('make-external-set --split writes the select and report halves into their own folders, each README naming its voices', async (t) => {
  if (!requireOrSkip(t, hasEspeak, 'espeak-ng is not installed (apt-get install espeak-ng)')) return;
  const out = mkdtempSync(join(tmpdir(), 'melbook-external-split-'));
  assert.equal(await makeExternalSet(out, 2, { split: true }), 2 * 10 * 3);
  assert.deepEqual(readdirSync(out).sort(), ['report', 'select']);
  for (const [half, voice] of [['select', VOICES[0]!], ['report', VOICES[1]!]] as const) {
    const files = readdirSync(join(out, half)).filter((f) => f.endsWith('.wav'));
    assert.equal(files.length, 30, half);
    assert.deepEqual([...new Set(files.map((f) => f.split('_')[1]))], [voice.name], `${half} holds only ${voice.name}`);
    const readme = readFileSync(join(out, half, 'README.txt'), 'utf8');
    assert.ok(readme.startsWith(HALVES[half]), `${half}/README.txt says what the half is for`);
    assert.match(readme, new RegExp(`${voice.name}\\s+espeak-ng -v`));
    assert.doesNotMatch(readme, new RegExp(`^  ${VOICES[half === 'select' ? 1 : 0]!.name} `, 'm'), `${half}/README.txt names only its own voices`);
  }
});
