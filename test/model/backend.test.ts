/**
 * Backend selection: order of preference, fallbacks with reasons, the MELBOOK_BACKEND override,
 * the non-threaded wasm build (the threaded one: wasm-threads.test.ts), and that kernels are registered only when wasm is selected.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { BACKEND_ENV_VAR, THREADS_ENV_VAR, selectBackend, wasmBinaryFolder } from '../../src/model/backend';
import { registerWasmTrainingKernels, wasmTrainingKernelsRegistered } from '../../src/model/kernels';
import { ConfigError } from '../../src/errors';
import * as fs from 'node:fs';

function tfjsNodeInstalled(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

afterEach(() => {
  delete process.env[BACKEND_ENV_VAR];
});

describe('selectBackend', () => {
  // Must run first: nothing may be registered merely by importing the modules.
  test('importing the modules registers no melbook kernel', () => {
    assert.equal(wasmTrainingKernelsRegistered(), false);
    assert.equal(tf.getKernel('Conv2DBackpropFilter', 'wasm'), undefined);
  });

  test('cpu can be asked for and is used without fallbacks', async () => {
    const selection = await selectBackend({ prefer: 'cpu' });
    assert.deepEqual(selection, { name: 'cpu', requested: 'cpu', fallbacks: [], threads: 1, fma: false });
    assert.equal(tf.getBackend(), 'cpu');
    assert.equal(wasmTrainingKernelsRegistered(), false);
  });

  test('MELBOOK_BACKEND chooses the backend when no preference is passed', async () => {
    process.env[BACKEND_ENV_VAR] = 'cpu';
    const selection = await selectBackend();
    assert.equal(selection.name, 'cpu');
    assert.equal(selection.requested, 'cpu');
  });

  test('an explicit preference wins over MELBOOK_BACKEND', async () => {
    process.env[BACKEND_ENV_VAR] = 'wasm';
    const selection = await selectBackend({ prefer: 'cpu' });
    assert.equal(selection.name, 'cpu');
  });

  test('MELBOOK_BACKEND wins over the configured training.backend, which applies when it is unset', async () => {
    process.env[BACKEND_ENV_VAR] = 'cpu';
    assert.equal((await selectBackend({ configured: 'wasm' })).requested, 'cpu');
    delete process.env[BACKEND_ENV_VAR];
    assert.equal((await selectBackend({ configured: 'cpu' })).requested, 'cpu');
  });

  test('an unknown backend name is a ConfigError naming where it came from', async () => {
    process.env[BACKEND_ENV_VAR] = 'webgpu';
    await assert.rejects(selectBackend(), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.path, BACKEND_ENV_VAR);
      assert.match(err.message, /"webgpu".*auto, tensorflow, wasm, cpu/);
      return true;
    });
    await assert.rejects(selectBackend({ prefer: 'gpu' as never }), (err: unknown) => err instanceof ConfigError && err.path === 'prefer');
  });

  test('a thread count below 1 is a ConfigError, from the option or MELBOOK_THREADS', async () => {
    await assert.rejects(selectBackend({ prefer: 'cpu', threads: 0 }), ConfigError);
    process.env[THREADS_ENV_VAR] = 'two';
    try {
      await assert.rejects(selectBackend({ prefer: 'cpu' }), (err: unknown) => err instanceof ConfigError && err.path === THREADS_ENV_VAR && /"two"/.test(err.message));
    } finally {
      delete process.env[THREADS_ENV_VAR];
    }
  });

  test('the wasm binaries are found on disk, SIMD build included', () => {
    const folder = wasmBinaryFolder();
    assert.ok(fs.existsSync(`${folder}tfjs-backend-wasm-simd.wasm`), folder);
  });

  test('auto falls back from tensorflow to wasm when tfjs-node is missing, saying why', async (t) => {
    if (tfjsNodeInstalled()) return t.skip('@tensorflow/tfjs-node is installed here, so no fallback happens');
    const selection = await selectBackend();
    assert.equal(selection.name, 'wasm');
    assert.equal(selection.requested, 'auto');
    assert.equal(selection.fallbacks[0].name, 'tensorflow');
    assert.match(selection.fallbacks[0].reason, /tfjs-node/);
  });

  test('wasm on one thread runs the non-threaded SIMD build, keeps it for a later request of 2 threads, and registers the training kernels', async () => {
    assert.deepEqual((await selectBackend({ prefer: 'wasm', threads: 1 })).fallbacks, []);
    const selection = await selectBackend({ prefer: 'wasm', threads: 2 });
    assert.equal(selection.name, 'wasm');
    assert.equal(tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'), false);
    assert.equal(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), true);
    assert.ok(selection.fallbacks.some((f) => f.name === 'wasm threads=2' && /already runs with 1 thread/.test(f.reason)));
    assert.equal(wasmTrainingKernelsRegistered(), true);
    assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm'));
    // Node 20 compiles relaxed SIMD once its flag is set (kernels/relaxed-simd.ts).
    assert.equal(selection.fma, process.env.MELBOOK_FMA !== '0', 'the kernels use fused multiply-adds unless MELBOOK_FMA=0');
  });

  test('registering the kernels again changes nothing', async () => {
    await selectBackend({ prefer: 'wasm' });
    const before = tf.getKernel('MaxPoolGrad', 'wasm').kernelFunc;
    registerWasmTrainingKernels();
    await selectBackend({ prefer: 'wasm' });
    assert.equal(tf.getKernel('MaxPoolGrad', 'wasm').kernelFunc, before);
  });

  test('the selected wasm backend trains: a conv gradient can be computed', async () => {
    await selectBackend({ prefer: 'wasm' });
    const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
    const g = tf.grad((f: tf.Tensor) => tf.sum(tf.conv2d(x, f as tf.Tensor4D, 1, 'same')))(tf.ones([3, 3, 1, 1]));
    // Centre tap sees all 16 pixels, corner taps 9 of them.
    assert.deepEqual(Array.from(g.dataSync()), [9, 12, 9, 12, 16, 12, 9, 12, 9]);
    tf.dispose([x, g]);
  });
});
