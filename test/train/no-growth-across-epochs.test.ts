/**
 * Later epochs must not get slower: nothing may accumulate from one epoch to the next. After
 * every epoch of a full `train` (training, validation, checkpointing) the live tensor count,
 * the bytes they hold and the backend's data buffers are the same. (Wall time per epoch is not
 * asserted: on a shared machine it follows the load, while CPU time per epoch stays flat.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { trainStage } from '../../src/stages/train';
import { pipelineConfig } from '../../src/config/pipeline';
import { toneCorpus } from '../helpers/corpus';

test('five epochs of train leave the same tensors, bytes and data buffers after each epoch', { timeout: 300_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'melbook-growth-'));
  const recordings = toneCorpus({ takes: 10 });
  const config = pipelineConfig({
    data: { recordings, durationS: 0.5 },
    split: { officialMaxTestTake: 1, validationFraction: 0.2 },
    preprocess: { dir: join(work, 'features'), workers: 1 },
    tracking: { root: join(work, 'runs'), experiment: 'growth' },
    training: { epochs: 5, batchSize: 8, backend: 'wasm', earlyStopping: null },
  });
  const after: { tensors: number; bytes: number; buffers: number }[] = [];
  const r = await trainStage({
    config,
    log: () => undefined,
    onEpoch: () => {
      const m = tf.memory();
      after.push({ tensors: m.numTensors, bytes: m.numBytes, buffers: m.numDataBuffers });
    },
  });
  assert.equal(r.training.history.length, 5);
  assert.equal(r.training.backend.name, 'wasm');
  assert.equal(new Set(r.training.tensorsAfterEpoch).size, 1, `tensors after each epoch: ${r.training.tensorsAfterEpoch}`);
  for (const [epoch, m] of after.entries()) assert.deepEqual(m, after[0], `epoch ${epoch + 1} holds ${JSON.stringify(m)}, epoch 1 ${JSON.stringify(after[0])}`);
});
