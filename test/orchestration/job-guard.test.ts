import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acceptJob, JobRejectedError, MAX_JOB_BYTES } from '../../src/orchestration/job-guard';
import { trainingJob, type TrainingJob } from '../../src/orchestration/job';
import { pipelineConfig } from '../../src/config/pipeline';

function job(overrides: TrainingJob['overrides'] = {}): TrainingJob {
  return trainingJob({ role: 'test', config: pipelineConfig({ data: { recordings: 'recordings' }, tracking: { root: 'runs' } }), overrides, parentRunId: 'a'.repeat(32) });
}

function rejects(payload: unknown, roots: string[], pattern: RegExp): void {
  assert.throws(() => acceptJob(payload, { roots }), (e: unknown) => {
    assert.ok(e instanceof JobRejectedError, String(e));
    assert.match(e.message, pattern);
    return true;
  });
}

test('a job inside the root is accepted, with its paths made absolute inside the root', () => {
  const root = mkdtempSync(join(tmpdir(), 'melbook-guard-'));
  try {
    const { config } = acceptJob(JSON.parse(JSON.stringify(job())), { roots: [root] });
    assert.equal(config.data.recordings, join(root, 'recordings'));
    assert.equal(config.tracking.root, join(root, 'runs'));
    assert.equal(config.preprocess.dir, join(root, 'features'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('paths that climb out of the roots, absolute paths elsewhere and symlinks out are refused', () => {
  const root = mkdtempSync(join(tmpdir(), 'melbook-guard-'));
  const outside = mkdtempSync(join(tmpdir(), 'melbook-outside-'));
  try {
    rejects(job({ 'data.recordings': '../../etc' }), [root], /data\.recordings "\.\.\/\.\.\/etc" resolves to .*outside the worker's roots/);
    rejects(job({ 'tracking.root': '/etc' }), [root], /tracking\.root/);
    rejects(job({ 'preprocess.dir': `${root}/../x` }), [root], /preprocess\.dir/);
    symlinkSync(outside, join(root, 'link'));
    rejects(job({ 'data.recordings': 'link/recordings' }), [root], /data\.recordings/);
    mkdirSync(join(outside, 'recordings'));
    const ok = acceptJob(job({ 'data.recordings': join(outside, 'recordings') }), { roots: [root, outside] });
    assert.equal(ok.config.data.recordings, join(outside, 'recordings'));
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
});

test('a config value the schema rejects is refused before anything runs, naming the path', () => {
  rejects(job({ 'training.epochs': -3 }), ['/tmp'], /training\.epochs/);
  rejects(job({ 'features.kind': 'wavelets' }), ['/tmp'], /features\.kind/);
});

test('malformed payloads are refused', () => {
  rejects(null, ['/tmp'], /not an object/);
  rejects('train everything', ['/tmp'], /not an object/);
  rejects({ ...job(), id: '../../x' }, ['/tmp'], /id must be/);
  rejects({ ...job(), config: 'x' }, ['/tmp'], /config/);
  rejects({ ...job(), run: { parentRunId: 1 } }, ['/tmp'], /run/);
  rejects({ ...job(), run: { ...job().run, tags: { a: { b: 1 } } } }, ['/tmp'], /tag a/);
});

test('payloads over the size limit are refused without being parsed further', () => {
  const big = { ...job(), run: { ...job().run, tags: { padding: 'x'.repeat(MAX_JOB_BYTES) } } };
  rejects(big, ['/tmp'], new RegExp(`over the limit of ${MAX_JOB_BYTES}`));
  assert.doesNotThrow(() => acceptJob(job(), { roots: ['/tmp'], maxBytes: 64 * 1024 }));
});
