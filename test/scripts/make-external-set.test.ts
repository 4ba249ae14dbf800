import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeWav } from '../../src/audio/wav';
import { DataSchema } from '../../src/config/schema';
import { makeExternalSet, VOICES } from '../../scripts/make-external-set';
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
