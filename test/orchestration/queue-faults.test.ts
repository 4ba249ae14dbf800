/**
 * The queue's faults and bad input, with real processes and a real redis-server: unreachable
 * Redis, input refused before anything is enqueued, ACL credentials that never leak, a job that
 * fails inside itself (once, recorded on its run and the parent), a refused payload, Ctrl-C on
 * the dispatcher, and SIGTERM on a worker mid-training.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { melbook, until, type MelbookProcess as Proc } from '../helpers/melbook-process';
import { startRedis, redisAvailable, freePort, makeTestCertificates } from '../helpers/redis-server';
import { toneCorpus } from '../helpers/corpus';
import { Tracker } from '../../src/tracking/tracker';
import { TRAINING_QUEUE } from '../../src/orchestration/queue';
import { parseQueueUrl } from '../../src/orchestration/queue-url';
import { trainingJob } from '../../src/orchestration/job';
import { pipelineConfig } from '../../src/config/pipeline';

function workspace(epochs: number): { work: string; corpus: string; cleanup: () => void } {
  const work = mkdtempSync(join(tmpdir(), 'melbook-queue-'));
  const corpus = toneCorpus({ speakers: ['ann', 'bob'], takes: 12 });
  writeFileSync(join(work, 'config.yaml'), [
    `data: { recordings: ${JSON.stringify(corpus)}, durationS: 0.5 }`,
    'split: { validationFraction: 0.2 }',
    'preprocess: { dir: features, workers: 1 }',
    'model: { type: cnn, blocks: [{ type: conv2d, filters: 8, kernelSize: 3, pool: { type: max, size: 2 } }], dense: [{ units: 16 }] }',
    `training: { epochs: ${epochs}, batchSize: 8, backend: cpu, earlyStopping: null }`,
    'tracking: { root: runs, experiment: q }',
  ].join('\n'));
  return { work, corpus, cleanup: () => { rmSync(work, { recursive: true, force: true }); rmSync(corpus, { recursive: true, force: true }); } };
}

/** Every file under `dir`, read as text. */
function allText(dir: string): string {
  return readdirSync(dir, { recursive: true }).map((f) => join(dir, String(f))).filter((f) => statSync(f).isFile() && statSync(f).size < 1e6).map((f) => readFileSync(f, 'latin1')).join('\n');
}

test('unreachable Redis fails within 10 s naming the URL; bad input is refused before any connection', { timeout: 60_000 }, async () => {
  const { work, cleanup } = workspace(1);
  try {
    const port = await freePort();
    const started = Date.now();
    const dispatcher = melbook(['evaluate', '--loso', '-c', 'config.yaml', '--queue', `redis://u:hunter2@127.0.0.1:${port}`], work);
    assert.equal(await dispatcher.exited, 1);
    assert.ok(Date.now() - started < 12_000, `took ${Date.now() - started} ms`);
    const said = dispatcher.out.join('\n');
    assert.match(said, new RegExp(`cannot reach the job queue at redis://u:\\*\\*\\*@127\\.0\\.0\\.1:${port}`));
    assert.ok(!said.includes('hunter2'), said);
    const worker = melbook(['worker', '--queue', `redis://127.0.0.1:${port}`], work);
    assert.equal(await worker.exited, 1);
    assert.match(worker.out.join('\n'), /cannot reach the job queue/);
    for (const [args, pattern] of [
      [['sweep', '--grid', 'training.nope=1', '--queue', `redis://127.0.0.1:${port}`], /training\.nope.*training\.epochs/s],
      [['sweep', '--grid', 'features.kind=wavelets', '--queue', `redis://127.0.0.1:${port}`], /features\.kind.*mel/s],
      [['sweep', '--queue', `redis://127.0.0.1:${port}`], /--grid/],
      [['sweep', '--grid', 'training.epochs=1', '--queue', 'localhost:6379'], /expected redis:\/\/\[user:password@\]host/],
    ] as const) {
      const p = melbook([...args, '-c', 'config.yaml'], work);
      assert.equal(await p.exited, 1, p.out.join('\n'));
      const text = p.out.join('\n');
      assert.match(text, pattern);
      assert.doesNotMatch(text, /cannot reach/, 'refused before connecting');
    }
  } finally {
    cleanup();
  }
});

test('a sweep over ACL credentials: one point finishes, one fails once inside its run, nothing leaks the password', { timeout: 180_000 }, async (t) => {
  if (!redisAvailable(t)) return;
  const secret = 's3cret-Pa55';
  const redis = await startRedis({ user: { name: 'trainer', password: secret } });
  const { work, corpus, cleanup } = workspace(1);
  const procs: Proc[] = [];
  try {
    const worker = melbook(['worker', '--queue', redis.url, '--name', 'w1', '--root', work, '--root', corpus], work);
    procs.push(worker);
    await until('the worker', () => worker.out.some((l) => /waiting for jobs/.test(l)), 30_000);
    const dispatcher = melbook(['sweep', '-c', 'config.yaml', '--grid', 'split.validationFraction=0.2,0', '--queue', redis.url], work);
    procs.push(dispatcher);
    assert.equal(await dispatcher.exited, 1, 'a failed point fails the sweep');
    const said = dispatcher.out.join('\n');
    assert.match(said, /validation split is empty/);

    const tracker = new Tracker({ root: join(work, 'runs'), gitCommit: null });
    const runs = await tracker.listRuns('q');
    const parent = runs.find((r) => r.data.tags['melbook.mode'] === 'sweep')!;
    assert.equal(parent.info.status, 'FAILED');
    assert.match(parent.data.tags['melbook.error'] ?? '', /validation split is empty/);
    const children = runs.filter((r) => r.data.tags['mlflow.parentRunId'] === parent.info.runId);
    assert.deepEqual(children.map((r) => r.info.status).sort(), ['FAILED', 'FINISHED'], 'the bad point ran once: no retry of an error melbook raised on purpose');
    for (const c of children) assert.equal(c.data.tags['melbook.worker']?.split(' ')[0], 'w1');

    const queue = new Queue(TRAINING_QUEUE, { connection: { ...parseQueueUrl(redis.url).connection, maxRetriesPerRequest: null } });
    try {
      const failed = await queue.getFailed();
      assert.equal(failed.length, 1);
      assert.equal(failed[0]!.attemptsMade, 1);
      // A payload that names a path outside the worker's roots is refused and recorded as failed.
      const evil = trainingJob({ role: 'evil', config: pipelineConfig({ data: { recordings: '/etc' } }), overrides: {}, parentRunId: parent.info.runId });
      await queue.add('train', evil, { jobId: evil.id, attempts: 3 });
      await until('the refusal', async () => (await queue.getJob(evil.id))?.failedReason !== undefined && (await queue.getJob(evil.id))!.failedReason !== '', 20_000);
      const refused = (await queue.getJob(evil.id))!;
      assert.match(refused.failedReason, /data\.recordings "\/etc".*outside the worker's roots/);
      assert.equal(refused.attemptsMade, 1, 'a refused job is not retried');
    } finally {
      await queue.close();
    }

    const compare = melbook(['runs', 'compare', ...children.map((c) => c.info.runId), '--root', 'runs'], work);
    assert.equal(await compare.exited, 0, compare.out.join('\n'));
    assert.ok(compare.out.some((l) => /split\.validationFraction/.test(l)));

    worker.child.kill('SIGTERM');
    assert.equal(await worker.exited, 0, 'an idle worker stops cleanly');
    const everything = [...worker.out, ...said.split('\n'), allText(join(work, 'runs'))].join('\n');
    assert.ok(!everything.includes(secret), 'the password appears in no log, tag or artifact');
  } finally {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await redis.stop();
    cleanup();
  }
});

test('Ctrl-C on the dispatcher removes its waiting jobs and ends the parent KILLED; SIGTERM on a worker hands its job back', { timeout: 180_000 }, async (t) => {
  if (!redisAvailable(t)) return;
  const redis = await startRedis();
  const { work, corpus, cleanup } = workspace(3);
  const procs: Proc[] = [];
  const queue = new Queue(TRAINING_QUEUE, { connection: { ...parseQueueUrl(redis.url).connection, maxRetriesPerRequest: null } });
  try {
    const first = melbook(['evaluate', '--loso', '-c', 'config.yaml', '--queue', redis.url], work);
    procs.push(first);
    await until('the jobs on the queue', () => first.out.some((l) => /job\(s\) on redis/.test(l)), 60_000);
    assert.equal(await queue.getWaitingCount(), 2);
    first.child.kill('SIGINT');
    await first.exited;
    assert.equal(await queue.getWaitingCount(), 0, 'waiting jobs are removed');
    const tracker = new Tracker({ root: join(work, 'runs'), gitCommit: null });
    const killed = (await tracker.listRuns('q')).find((r) => r.data.tags['melbook.mode'] === 'loso')!;
    assert.equal(killed.info.status, 'KILLED');

    // The same parent again, with a worker that is stopped mid-training and a second one.
    const second = melbook(['evaluate', '--loso', '-c', 'config.yaml', '--queue', redis.url, '--resume', killed.info.runId], work);
    procs.push(second);
    const a = melbook(['worker', '--queue', redis.url, '--name', 'wa', '--root', work, '--root', corpus], work);
    procs.push(a);
    await until('wa to finish an epoch', () => a.out.some((l) => /epoch 1\/3/.test(l)), 120_000);
    a.child.kill('SIGTERM');
    assert.equal(await a.exited, 0, a.out.join('\n'));
    assert.ok(a.out.some((l) => /handed back to the queue/.test(l)), a.out.join('\n'));
    const b = melbook(['worker', '--queue', redis.url, '--name', 'wb', '--root', work, '--root', corpus], work);
    procs.push(b);
    assert.equal(await second.exited, 0, second.out.join('\n'));
    const runs = await tracker.listRuns('q');
    const parent = runs.find((r) => r.info.runId === killed.info.runId)!;
    assert.equal(parent.info.status, 'FINISHED', 'the resumed parent aggregates and finishes');
    const children = runs.filter((r) => r.data.tags['mlflow.parentRunId'] === parent.info.runId);
    assert.equal(children.filter((r) => r.info.status === 'FINISHED').length, 2);
    assert.equal(children.filter((r) => r.info.status === 'RUNNING').length, 0);
    const stopped = children.filter((r) => r.info.status === 'KILLED');
    assert.equal(stopped.length, 1, 'the stopped attempt ended KILLED');
    assert.ok(children.some((r) => r.data.tags['melbook.resumedFrom'] === stopped[0]!.info.runId));
    assert.ok(parent.data.metrics['loso_mean_accuracy'] !== undefined);
  } finally {
    await queue.close();
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await redis.stop();
    cleanup();
  }
});

test('Redis restarting empty mid-run: the dispatcher puts the lost jobs back and no job trains twice to FINISHED', { timeout: 180_000 }, async (t) => {
  if (!redisAvailable(t)) return;
  const port = await freePort();
  let redis = await startRedis({}, port);
  const { work, corpus, cleanup } = workspace(3);
  const procs: Proc[] = [];
  try {
    const worker = melbook(['worker', '--queue', redis.url, '--name', 'w', '--root', work, '--root', corpus], work);
    procs.push(worker);
    await until('the worker', () => worker.out.some((l) => /waiting for jobs/.test(l)), 30_000);
    const dispatcher = melbook(['evaluate', '--loso', '-c', 'config.yaml', '--queue', redis.url], work);
    procs.push(dispatcher);
    await until('an epoch', () => worker.out.some((l) => /epoch 1\/3/.test(l)), 120_000);
    await redis.stop();
    redis = await startRedis({}, port);
    assert.equal(await dispatcher.exited, 0, dispatcher.out.join('\n'));
    assert.ok(dispatcher.out.some((l) => /gone from the queue .*adding it again/.test(l)), dispatcher.out.join('\n'));
    const tracker = new Tracker({ root: join(work, 'runs'), gitCommit: null });
    const runs = await tracker.listRuns('q');
    const children = runs.filter((r) => r.data.tags['mlflow.parentRunId']);
    const finished = children.filter((r) => r.info.status === 'FINISHED');
    assert.deepEqual(finished.map((r) => r.data.tags['melbook.loso.speaker']).sort(), ['ann', 'bob'], 'one FINISHED run per fold');
    assert.equal(new Set(finished.map((r) => r.data.tags['melbook.job'])).size, 2);
    assert.equal(children.filter((r) => r.info.status === 'RUNNING').length, 0);
  } finally {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await redis.stop();
    cleanup();
  }
});

test('rediss:// (TLS) works with a certificate the machine trusts; an untrusted one is refused, naming the URL', { timeout: 120_000 }, async (t) => {
  if (!redisAvailable(t)) return;
  const certs = makeTestCertificates(mkdtempSync(join(tmpdir(), 'melbook-tls-')));
  const redis = await startRedis({ tls: certs });
  const { work, corpus, cleanup } = workspace(1);
  const procs: Proc[] = [];
  const trusted = { NODE_EXTRA_CA_CERTS: certs.ca };
  try {
    assert.match(redis.url, /^rediss:\/\/localhost:/);
    const refused = melbook(['worker', '--queue', redis.url], work);
    procs.push(refused);
    assert.equal(await refused.exited, 1);
    assert.match(refused.out.join('\n'), /cannot reach the job queue at rediss:\/\/localhost:\d+ .*certificate/i);
    const worker = melbook(['worker', '--queue', redis.url, '--name', 'tls', '--root', work, '--root', corpus], work, trusted);
    procs.push(worker);
    await until('the TLS worker', () => worker.out.some((l) => /waiting for jobs/.test(l)), 30_000);
    const dispatcher = melbook(['sweep', '-c', 'config.yaml', '--grid', 'training.batchSize=8', '--queue', redis.url], work, trusted);
    procs.push(dispatcher);
    assert.equal(await dispatcher.exited, 0, dispatcher.out.join('\n'));
    assert.ok(dispatcher.out.some((l) => /running on tls /.test(l)), dispatcher.out.join('\n'));
  } finally {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await redis.stop();
    cleanup();
  }
});
