/**
 * Two melbook processes on the same folders at once: two `preprocess` on one feature key, and
 * two `train` logging into one tracking root. Both succeed and leave every file whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { toneCorpus } from '../helpers/corpus';
import { readNpySync } from '../../src/features/npy';
import { readManifest } from '../../src/data/manifest';
import { Tracker } from '../../src/tracking/tracker';

const CLI = resolve(__dirname, '../../bin/melbook.js');

/** Run the CLI; resolves with its exit code and output. */
function melbook(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => done({ code, output }));
  });
}

function writeConfig(yaml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'melbook-cfg-')), 'config.yaml');
  writeFileSync(file, yaml);
  return file;
}

test('two preprocess processes on the same feature key both succeed and leave every file whole', { timeout: 180_000 }, async () => {
  const recordings = toneCorpus({ digits: 10, speakers: ['ann', 'bob', 'cy'], takes: 12 });
  const featuresDir = mkdtempSync(join(tmpdir(), 'melbook-features-'));
  const config = writeConfig(`data:\n  recordings: ${JSON.stringify(recordings)}\n  durationS: 1\npreprocess:\n  dir: ${JSON.stringify(featuresDir)}\n  workers: 2\n`);
  const [a, b] = await Promise.all([melbook(['preprocess', '--config', config]), melbook(['preprocess', '--config', config])]);
  assert.equal(a.code, 0, a.output);
  assert.equal(b.code, 0, b.output);
  assert.match(a.output + b.output, /0 skipped of 360 files[\s\S]*0 skipped of 360 files/, 'neither run lost a clip to the other');
  const [key] = readdirSync(featuresDir);
  const featureDir = join(featuresDir, key);
  const entries = readManifest(join(featureDir, 'manifest.json')).entries;
  assert.equal(entries.length, 360);
  for (const e of entries) assert.deepEqual(readNpySync(join(featureDir, e.feature)).shape, e.shape, e.feature);
  const files = [...readdirSync(featureDir), ...readdirSync(join(featureDir, 'clips'))];
  assert.deepEqual(files.filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');
  for (const line of readFileSync(join(featureDir, '.journal.jsonl'), 'utf8').split('\n').filter(Boolean)) {
    assert.match(JSON.parse(line).sha256, /^[0-9a-f]{64}$/, 'every journal line is whole');
  }
});

test('two trainings logging into one tracking root at once make two runs in one experiment', { timeout: 300_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'melbook-two-trainings-'));
  const root = join(work, 'runs');
  const config = writeConfig([
    'data:', `  recordings: ${JSON.stringify(toneCorpus({ speakers: ['ann', 'bob'], takes: 8 }))}`, '  durationS: 0.4',
    'split:', '  officialMaxTestTake: 1', '  validationFraction: 0.2',
    'preprocess:', `  dir: ${JSON.stringify(join(work, 'features'))}`, '  workers: 1',
    'model:', '  type: cnn', '  blocks: [{ type: conv2d, filters: 4, kernelSize: 3, pool: { type: max, size: 4 } }]', '  dense: []',
    'training:', '  epochs: 1', '  backend: cpu', '  batchSize: 16',
    'tracking:', `  root: ${JSON.stringify(root)}`, '  experiment: shared',
  ].join('\n'));
  const [a, b] = await Promise.all([melbook(['train', '--config', config]), melbook(['train', '--config', config])]);
  assert.equal(a.code, 0, a.output);
  assert.equal(b.code, 0, b.output);

  const experiments = readdirSync(root).filter((d) => existsSync(join(root, d, 'meta.yaml')));
  const metas = experiments.map((d) => parse(readFileSync(join(root, d, 'meta.yaml'), 'utf8')) as { name: string; experiment_id: string });
  assert.equal(metas.filter((m) => m.name === 'shared').length, 1, `one experiment named "shared": ${JSON.stringify(metas)}`);
  for (const [i, m] of metas.entries()) assert.equal(String(m.experiment_id), experiments[i], 'each meta.yaml parses and names its folder');
  const runs = await new Tracker({ root, gitCommit: null }).listRuns('shared');
  assert.equal(runs.length, 2);
  for (const run of runs) {
    assert.equal(run.info.status, 'FINISHED');
    assert.ok(run.data.metrics.test_accuracy, 'each run logged its own metrics');
  }
});
