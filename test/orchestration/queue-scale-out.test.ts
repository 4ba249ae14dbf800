/**
 * Scale-out end to end, with real processes and a real redis-server: a small leave-one-speaker-out
 * dispatched to the queue, two worker processes, one of them SIGKILLed once its job has logged an
 * epoch, a replacement started. The dead attempt must end KILLED, its job resume from the
 * checkpoint on another worker, and the store end with exactly one FINISHED run per fold.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { melbook, until, type MelbookProcess as Proc } from '../helpers/melbook-process';
import { startRedis, redisAvailable } from '../helpers/redis-server';
import { toneCorpus } from '../helpers/corpus';
import { Tracker } from '../../src/tracking/tracker';

function configYaml(corpus: string): string {
  return [
    `data: { recordings: ${JSON.stringify(corpus)}, durationS: 0.5 }`,
    'split: { validationFraction: 0.2 }',
    'preprocess: { dir: features, workers: 1 }',
    'model: { type: cnn, blocks: [{ type: conv2d, filters: 8, kernelSize: 3, pool: { type: max, size: 2 } }], dense: [{ units: 16 }] }',
    'training: { epochs: 2, batchSize: 8, backend: cpu, earlyStopping: null }',
    'tracking: { root: runs, experiment: scale }',
  ].join('\n');
}

test('a LOSO on two queue worker processes survives one SIGKILLed mid-training: a replacement starts, the job resumes from its checkpoint', { timeout: 300_000 }, async (t) => {
  if (!redisAvailable(t)) return;
  const redis = await startRedis();
  const work = mkdtempSync(join(tmpdir(), 'melbook-scale-'));
  // Enough clips that an epoch takes a while: the kill must land between epoch 1 and the end of epoch 2.
  const corpus = toneCorpus({ speakers: ['ann', 'bob', 'cy'], takes: 30 });
  const procs: Proc[] = [];
  try {
    writeFileSync(join(work, 'config.yaml'), configYaml(corpus));
    const worker = (name: string) => {
      const p = melbook(['worker', '--queue', redis.url, '--name', name, '--root', work, '--root', corpus, '--lock-duration', '2000'], work);
      procs.push(p);
      return p;
    };
    const first = worker('worker-a');
    const other = worker('worker-b');
    await until('both workers to listen', () => [first, other].every((w) => w.out.some((l) => /waiting for jobs/.test(l))), 30_000);
    const dispatcher = melbook(['evaluate', '--loso', '-c', 'config.yaml', '--queue', redis.url], work);
    procs.push(dispatcher);
    await until('worker-a to finish an epoch', () => first.out.some((l) => /epoch 1\/2/.test(l)), 120_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const replacement = worker('worker-c');
    const code = await dispatcher.exited;
    assert.equal(code, 0, dispatcher.out.join('\n'));
    assert.ok(dispatcher.out.some((l) => /running on worker-b/.test(l)), 'the dispatcher says which worker runs a job');
    assert.ok(replacement.out.some((l) => /job .* started/.test(l)) || other.out.some((l) => /resuming from its checkpoint/.test(l)), 'a live worker took the dead job');

    const tracker = new Tracker({ root: join(work, 'runs'), gitCommit: null });
    const runs = await tracker.listRuns('scale');
    const children = runs.filter((r) => r.data.tags['mlflow.parentRunId']);
    assert.equal(children.filter((r) => r.info.status === 'RUNNING').length, 0, 'no run is left RUNNING');
    const finished = children.filter((r) => r.info.status === 'FINISHED');
    assert.deepEqual(finished.map((r) => r.data.tags['melbook.loso.speaker']).sort(), ['ann', 'bob', 'cy'], 'one FINISHED run per fold');
    const killed = children.filter((r) => r.info.status === 'KILLED');
    assert.equal(killed.length, 1, 'the dead attempt ended KILLED');
    assert.match(killed[0]!.data.tags['melbook.worker'] ?? '', /^worker-a /);
    const resumed = finished.find((r) => r.data.tags['melbook.job'] === killed[0]!.data.tags['melbook.job']);
    assert.ok(resumed, 'the killed job finished in another run');
    assert.match(resumed.data.tags['melbook.worker'] ?? '', /^worker-[bc] /, 'a live worker finished it');
    const names = new Set(children.map((r) => r.data.tags['melbook.worker']?.split(' ')[0]));
    assert.ok(names.has('worker-a') && names.has('worker-b'), `both first workers appear on child runs: ${[...names].join(', ')}`);
    assert.equal(resumed.data.tags['melbook.resumedFrom'], killed[0]!.info.runId);
    assert.ok(Number(resumed.data.tags['melbook.resumedAtEpoch']) >= 1, 'training resumed after the completed epoch, not from epoch 1');
    const steps = resumed.data.metricHistory.loss!.map((m) => m.step);
    assert.deepEqual(steps, [0, 1], 'the resumed run holds each epoch once');
  } finally {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    await redis.stop();
    rmSync(work, { recursive: true, force: true });
    rmSync(corpus, { recursive: true, force: true });
  }
});
