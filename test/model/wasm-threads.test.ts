/**
 * The threaded SIMD wasm build in Node: its pthread workers start (XNNPACK reports the thread
 * count asked for), training is bit-reproducible for a given thread count and agrees with one
 * thread to rounding (the threaded build's kernels may sum in another order), and the process
 * still exits by itself. Each count runs in its own process: the wasm module starts
 * once per process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const BACKEND = path.resolve(__dirname, '../../src/model/backend');

/** Three Adam steps of a conv + dense network on fixed data; prints threads and every weight. */
const SCRIPT = `
  const tf = require('@tensorflow/tfjs');
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  const { selectBackend } = require(${JSON.stringify(BACKEND)});
  (async () => {
    const selection = await selectBackend({ prefer: 'wasm' });
    const model = tf.sequential({ layers: [
      tf.layers.conv2d({ inputShape: [16, 15, 1], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 4, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
    ] });
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy' });
    const n = 16 * 16 * 15;
    const xs = tf.tensor4d(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37)), [16, 16, 15, 1]);
    const ys = tf.tensor1d(Float32Array.from({ length: 16 }, (_, i) => i % 4));
    for (let step = 0; step < 3; step++) await model.trainOnBatch(xs, ys);
    const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
    console.log(JSON.stringify({ backend: selection.name, threads: wasm.getThreadsCount(), fallbacks: selection.fallbacks, weights }));
  })();`;

function trainIn(threads: number): { backend: string; threads: number; fallbacks: unknown[]; weights: number[][] } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', SCRIPT], {
    encoding: 'utf8',
    env: { ...process.env, MELBOOK_THREADS: String(threads), MELBOOK_BACKEND: '' },
    // A child that does not exit by itself (a pool worker keeping Node alive) fails here.
    timeout: 120_000,
    maxBuffer: 1 << 24,
  });
  assert.equal(r.status, 0, `child with ${threads} thread(s) failed or hung (signal ${r.signal}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

test('the threaded wasm build starts 2 XNNPACK threads in Node, trains reproducibly, agrees with 1 thread to rounding, and exits', { timeout: 300_000 }, () => {
  const one = trainIn(1);
  const two = trainIn(2);
  const twoAgain = trainIn(2);
  assert.equal(one.backend, 'wasm');
  assert.equal(two.backend, 'wasm');
  assert.equal(one.threads, 1);
  assert.equal(two.threads, 2, `fallbacks: ${JSON.stringify(two.fallbacks)}`);
  assert.deepEqual(two.fallbacks, []);
  assert.deepEqual(twoAgain.weights, two.weights, 'two runs on 2 threads must give the same weights');
  assert.equal(two.weights.length, one.weights.length);
  two.weights.forEach((w, i) => {
    const worst = Math.max(...w.map((v, k) => Math.abs(v - one.weights[i][k])));
    assert.ok(worst <= 1e-6, `weight ${i} differs by ${worst} between 1 and 2 threads`);
  });
});
