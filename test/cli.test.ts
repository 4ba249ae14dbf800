import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { encodeWav } from '../src/audio/encode';

const BIN = resolve(__dirname, '../bin/melbook.js');
const melbook = (args: string[], cwd: string) => spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true' } });

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'melbook-cli-'));
  const rec = join(dir, 'rec');
  mkdirSync(rec);
  const tone = new Float32Array(2000).map((_, i) => Math.sin(i / 3));
  for (const d of ['0', '1']) for (const s of ['ann', 'bob']) for (let t = 0; t < 6; t++) writeFileSync(join(rec, `${d}_${s}_${t}.wav`), encodeWav(tone, 8000));
  writeFileSync(join(rec, '1_ann_7.wav'), 'not audio');
  writeFileSync(join(dir, 'c.yaml'), 'data:\n  recordings: rec\n  durationS: 0.25\nsplit:\n  officialMaxTestTake: 1\n  validationFraction: 0.25\npreprocess:\n  dir: feats\n  workers: 1\n');
  return dir;
}

test('melbook preprocess lists a skipped file with its reason and exits 0', () => {
  const dir = project();
  const r = melbook(['preprocess', '--config', 'c.yaml'], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /24 written, 0 reused, 1 skipped of 25 files/);
  assert.match(r.stdout, /1_ann_7\.wav: .*RIFF/);
});

test('melbook preprocess --strict exits non-zero when a clip is skipped', () => {
  const dir = project();
  const r = melbook(['preprocess', '--config', 'c.yaml', '--strict'], dir);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /strict mode: 1 clip\(s\) skipped/);
});

test('a config error prints one clear line naming the key, and exits 1', () => {
  const dir = project();
  const r = melbook(['preprocess', '--config', 'c.yaml', '--set', 'data.sampleRate=16000'], dir);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^melbook: c\.yaml.*data: .*unknown key "sampleRate"/m);
  assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace for an expected error');
});

test('an unknown command exits 2 with help', () => {
  const r = melbook(['frobnicate'], tmpdir());
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /unknown command/);
});

test('melbook train follows evaluation.seeds: one run per seed, then their ensemble; --seeds \'\' trains one model', { timeout: 300_000 }, () => {
  const dir = project();
  const fast = ['--set', 'training.epochs=1', '--set', 'training.backend=cpu', '--set', 'evaluation.seeds=[3, 4]', '--set', 'evaluation.speedFactors=[1, 1.1]'];
  const r = melbook(['train', '--config', 'c.yaml', ...fast], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /seed 3 \(1\/2\): training[\s\S]*seed 4 \(2\/2\): training/);
  assert.match(r.stdout, /ensemble of 2 run\(s\), test-time speed factors \[1, 1\.1\]/);
  const runs = readdirSync(join(dir, 'runs'), { recursive: true }).map(String);
  const names = runs.filter((p) => p.endsWith('tags/mlflow.runName')).map((p) => readFileSync(join(dir, 'runs', p), 'utf8')).sort();
  assert.deepEqual(names, ['train-ensemble', 'train-seed3', 'train-seed4']);
  const seedParams = runs.filter((p) => p.endsWith('params/training.seed')).map((p) => readFileSync(join(dir, 'runs', p), 'utf8')).sort();
  assert.deepEqual(seedParams, ['3', '4']);

  const one = melbook(['train', '--config', 'c.yaml', ...fast, '--seeds', ''], dir);
  assert.equal(one.status, 0, one.stderr);
  assert.doesNotMatch(one.stdout, /ensemble/);
  assert.match(one.stdout, /^run [0-9a-f]{32} finished: test accuracy/m);
});

test('melbook train --seeds refuses a repeated or non-numeric seed before training anything', () => {
  const dir = project();
  for (const bad of ['1,1', '0,a']) {
    const r = melbook(['train', '--config', 'c.yaml', '--set', 'training.backend=cpu', '--seeds', bad], dir);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, /seeds \(--seeds or evaluation\.seeds\) must be distinct whole numbers >= 0, e\.g\. 0,1; got \[/);
    assert.doesNotMatch(r.stdout, /seed \d+ \(1\//, 'no seed was trained');
  }
});

test('melbook --version and -V print the package version and exit 0', () => {
  const { version } = JSON.parse(readFileSync(resolve(__dirname, '../package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const r = melbook([flag], tmpdir());
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), version);
  }
});
