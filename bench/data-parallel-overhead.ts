/**
 * Where a data-parallel step goes: the wall time of `ReplicaPool.trainOnBatch` for the seed
 * network (config/default.yaml, 2 replicas, batch 32 of random input) against the parts this
 * thread does between the replicas' steps: packing the weights it sends, averaging the
 * gradients, Adam's update (tfjs's, and the one-pass applyAdamFlat the pool uses for Adam) and
 * writing the BatchNorm statistics. Medians of 20 steps after 5
 * warm-up steps. Not a test: prints one line.
 *
 *   npm run build && node --import tsx bench/data-parallel-overhead.ts
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/model/backend';
import { buildModel } from '../src/model/model';
import { compileModel } from '../src/model/cnn';
import { loadPipelineConfig } from '../src/config/pipeline';
import { ReplicaPool, weightedSum } from '../src/train/data-parallel';
import { layoutOf, packVariables, unpackTensors, writeVariables } from '../src/model/flat-weights';
import { applyAdamFlat } from '../src/model/adam-flat';
import { REPO, spread } from './peers';

const INPUT = [64, 63, 1];

function timed(samples: number[], f: () => void): void {
  const t0 = performance.now();
  f();
  samples.push(performance.now() - t0);
}

async function main(): Promise<void> {
  await selectBackend({ configured: 'wasm' });
  const config = loadPipelineConfig(`${REPO}/config/default.yaml`);
  const { training: t, model: modelSpec } = config;
  const model = buildModel(modelSpec, INPUT, 10, { seed: 0 });
  compileModel(model, { optimizer: t.optimizer, loss: t.loss, metrics: t.metrics });
  const pool = await ReplicaPool.start(model, { replicas: 2, model: modelSpec, inputShape: INPUT, numClasses: 10, seed: 0, loss: t.loss, metrics: t.metrics, backend: 'wasm' });
  const xs = tf.randomNormal([32, ...INPUT]);
  const ys = tf.tensor1d(Array.from({ length: 32 }, (_, i) => i % 10), 'float32');
  const steps: number[] = [];
  const busy: number[][] = [[], []];
  try {
    for (let i = 0; i < 25; i++) {
      const t0 = performance.now();
      await pool.trainOnBatch(model, xs, ys);
      if (i < 5) continue;
      steps.push(performance.now() - t0);
      pool.replicaBusyMs.forEach((ms, r) => busy[r].push(ms));
    }
  } finally {
    await pool.close();
  }
  const layout = layoutOf(model.trainableWeights);
  const parts: Record<string, number[]> = { 'pack weights': [], 'average gradients': [], "Adam update (tfjs's)": [], 'Adam update (applyAdamFlat, what the pool runs)': [], 'write BatchNorm statistics': [] };
  const grads = new Float32Array(layout.total).fill(1e-4);
  for (let i = 0; i < 20; i++) {
    timed(parts['pack weights'], () => packVariables([...model.trainableWeights, ...model.nonTrainableWeights]));
    timed(parts['average gradients'], () => weightedSum([grads, grads], [0.5, 0.5]));
    timed(parts["Adam update (tfjs's)"], () => {
      const tensors = unpackTensors(layout, grads);
      model.optimizer.applyGradients(Object.fromEntries(layout.names.map((n, j) => [n, tensors[j]])));
      tf.dispose(tensors);
    });
    timed(parts['Adam update (applyAdamFlat, what the pool runs)'], () => applyAdamFlat(model.optimizer as tf.AdamOptimizer, layout.names, grads));
    const moving = packVariables(model.nonTrainableWeights);
    timed(parts['write BatchNorm statistics'], () => writeVariables(model.nonTrainableWeights, moving));
  }
  console.log(`seed network, ${layout.total} parameters, 2 replicas x 16 clips: step ${spread(steps, 1)} ms wall`);
  console.log(`each replica from receiving its shard to replying: ${busy.map((b, r) => `${r}: ${spread(b, 1)}`).join('; ')} ms`);
  console.log(`this thread between steps: ${Object.entries(parts).map(([k, v]) => `${k} ${spread(v, 2)}`).join('; ')} ms`);
  tf.dispose([xs, ys]);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
