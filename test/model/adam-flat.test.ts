/**
 * applyAdamFlat (src/model/adam-flat.ts) against tfjs's own AdamOptimizer.applyGradients: the
 * same weights, moments, beta powers and iteration count, bit for bit, over several steps,
 * a learning-rate change and variables of several shapes, on wasm and on cpu.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/model/backend';
import { adamFlatApplies, applyAdamFlat } from '../../src/model/adam-flat';
import { values } from '../helpers/kernel-parity';

/** Multiples of 4, tails, and sizes smaller than a SIMD group (writing past those corrupts the wasm heap). */
const SHAPES = [[3, 3, 1, 8], [1], [8], [17, 5], [5], [3], [2]];

function variables(prefix: string): tf.Variable[] {
  return tf.tidy(() => SHAPES.map((shape, i) => tf.variable(tf.tensor(values(tf.util.sizeFromShape(shape), 10 + i), shape), true, `${prefix}/v${i}`)));
}

/** Five steps of each; returns every weight and optimizer value of both sides. */
async function runBoth(): Promise<{ stock: Float32Array[]; flat: Float32Array[]; iterations: [number, number] }> {
  const [a, b] = [variables(`stock${Math.random()}`), variables(`flat${Math.random()}`)];
  const [optA, optB] = [tf.train.adam(1e-3), tf.train.adam(1e-3)];
  assert.ok(adamFlatApplies(optB));
  for (let step = 0; step < 5; step++) {
    if (step === 3) for (const o of [optA, optB]) (o as unknown as { learningRate: number }).learningRate = 3e-4;
    const grads = SHAPES.map((shape, i) => values(tf.util.sizeFromShape(shape), 100 * step + i));
    const flat = new Float32Array(grads.reduce((n, g) => n + g.length, 0));
    let offset = 0;
    for (const g of grads) {
      flat.set(g, offset);
      offset += g.length;
    }
    flat[0] = 0; // a zero gradient
    grads[0][0] = 0;
    const named = Object.fromEntries(a.map((v, i) => [v.name, tf.tensor(grads[i], v.shape)]));
    (optA as tf.Optimizer).applyGradients(named); // the base signature takes tensors, as Keras passes them
    tf.dispose(Object.values(named));
    applyAdamFlat(optB, b.map((v) => v.name), flat);
  }
  const dump = async (vars: tf.Variable[], opt: tf.Optimizer) => {
    const [iterations, ...slots] = await opt.getWeights();
    iterations.tensor.dispose(); // a fresh scalar; the slots are the optimizer's own variables
    return [
      ...vars.map((v) => v.dataSync() as Float32Array),
      ...slots.map((w) => w.tensor.dataSync() as Float32Array),
      ...['accBeta1', 'accBeta2'].map((k) => (opt as unknown as Record<string, tf.Variable>)[k].dataSync() as Float32Array),
    ];
  };
  const out = { stock: await dump(a, optA), flat: await dump(b, optB), iterations: [optA.iterations, optB.iterations] as [number, number] };
  tf.dispose([...a, ...b]);
  optA.dispose();
  optB.dispose();
  return out;
}

describe('applyAdamFlat', () => {
  before(async () => {
    await selectBackend({ prefer: 'wasm' });
  });
  after(async () => {
    await tf.setBackend('wasm');
  });

  for (const backend of ['wasm', 'cpu']) {
    test(`matches tfjs's Adam bit for bit on ${backend}, learning-rate change included`, async () => {
      await tf.setBackend(backend);
      const before = tf.memory().numTensors;
      const { stock, flat, iterations } = await runBoth();
      assert.equal(flat.length, SHAPES.length * 3 + 2, 'weights, both moments of each, both beta powers');
      flat.forEach((values, i) => assert.deepEqual(values, stock[i], `array ${i}`));
      assert.deepEqual(iterations, [5, 5]);
      assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
    });
  }

  test('refuses a gradient array of the wrong length and other optimizers', () => {
    const vars = variables(`short${Math.random()}`);
    const opt = tf.train.adam();
    assert.throws(() => applyAdamFlat(opt, [vars[0].name], new Float32Array(3)), /3 gradient values for 72 variable values/);
    assert.throws(() => applyAdamFlat(opt, ['no such variable'], new Float32Array(3)), /no variable named no such variable/);
    assert.equal(adamFlatApplies(tf.train.sgd(0.1)), false);
    tf.dispose(vars);
    opt.dispose();
  });
});
