/**
 * `melbook train --resume RUN_ID`: a real training process SIGKILLed after its second epoch,
 * then resumed in the same run, which ends FINISHED with each epoch's metrics exactly once and a
 * saved model. Resuming a FINISHED run, or with other settings, is refused without touching it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { toneCorpus } from '../helpers/corpus';
import { Tracker } from '../../src/tracking/tracker';

const BIN = resolve(__dirname, '../../bin/melbook.js');

function melbook(args: string[], cwd: string, onLine?: (line: string, kill: () => void) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, MELBOOK_BACKEND: 'cpu' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const take = (d: Buffer) => {
    out += d.toString();
    for (const line of d.toString().split('\n')) onLine?.(line, () => child.kill('SIGKILL'));
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  return new Promise((r) => child.once('exit', (code, signal) => r({ code, signal, out })));
}

test('a training SIGKILLed after epoch 2 resumes in the same run and ends with every epoch once', { timeout: 180_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'melbook-resume-'));
  const corpus = toneCorpus({ speakers: ['ann', 'bob'], takes: 12 });
  try {
    const config = (epochs: number) => [
      `data: { recordings: ${JSON.stringify(corpus)}, durationS: 0.5 }`,
      'split: { mode: random, testFraction: 0.2, validationFraction: 0.2 }',
      'preprocess: { dir: features, workers: 1 }',
      'model: { type: cnn, blocks: [{ type: conv2d, filters: 8, kernelSize: 3, pool: { type: max, size: 2 } }], dense: [{ units: 16 }] }',
      `training: { epochs: ${epochs}, batchSize: 8, backend: cpu, earlyStopping: null, lrSchedule: { type: step, factor: 0.5, everyEpochs: 1 } }`,
      'tracking: { root: runs, experiment: resume }',
    ].join('\n');
    writeFileSync(join(work, 'a.yaml'), config(4));
    writeFileSync(join(work, 'b.yaml'), config(5));
    const killed = await melbook(['train', '-c', 'a.yaml'], work, (line, kill) => { if (/epoch 2\/4/.test(line)) kill(); });
    assert.equal(killed.signal, 'SIGKILL', killed.out);
    const tracker = new Tracker({ root: join(work, 'runs'), gitCommit: null });
    const [dead] = await tracker.listRuns('resume');
    assert.equal(dead!.info.status, 'RUNNING', 'a SIGKILLed run cannot mark itself');
    const runId = dead!.info.runId;

    const other = await melbook(['train', '-c', 'b.yaml', '--resume', runId], work);
    assert.equal(other.code, 1);
    assert.match(other.out, /other settings; resume with the config that run used/);
    assert.equal((await tracker.getRun(runId)).info.status, 'RUNNING', 'a refused resume leaves the run alone');

    const resumed = await melbook(['train', '-c', 'a.yaml', '--resume', runId], work);
    assert.equal(resumed.code, 0, resumed.out);
    assert.match(resumed.out, /resuming after epoch 2/);
    assert.doesNotMatch(resumed.out, /epoch 1\/4|epoch 2\/4/, 'the completed epochs are not trained again');
    const run = await tracker.getRun(runId);
    assert.equal(run.info.status, 'FINISHED');
    assert.equal((await tracker.listRuns('resume')).length, 1, 'no second run');
    assert.deepEqual(run.data.metricHistory.loss!.map((m) => m.step), [0, 1, 2, 3], 'each epoch once');
    // The step schedule halves the rate every epoch, across the kill too.
    assert.deepEqual(run.data.metricHistory.learning_rate!.map((m) => m.value), [1e-3, 5e-4, 2.5e-4, 1.25e-4]);
    const artifacts = await tracker.store.artifactDir(runId);
    assert.ok(existsSync(join(artifacts, 'model', 'model.json')));
    assert.ok(!existsSync(join(artifacts, 'checkpoints', 'last.json')), 'a finished run keeps no resume checkpoint');

    const again = await melbook(['train', '-c', 'a.yaml', '--resume', runId], work);
    assert.equal(again.code, 1);
    assert.match(again.out, /is FINISHED: nothing to resume/);
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(corpus, { recursive: true, force: true });
  }
});
