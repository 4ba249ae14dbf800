/**
 * The threaded SIMD wasm build in Node: its pthread workers start (XNNPACK reports the thread
 * count asked for), training is bit-reproducible for a given thread count and agrees with one
 * thread to rounding (the threaded build's kernels may sum in another order), and the process
 * still exits by itself. Each count runs in its own process: the wasm module starts
 * once per process. The compiled `dist/` (what the `melbook` command runs) is checked as well
 * as the sources under tsx: its workers start sooner, which once exposed a race on the script
 * files they read (see src/model/wasm-threads.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { withNodePthreads } from '../../src/model/wasm-threads';
import { toneCorpus } from '../helpers/corpus';
import { MELBOOK_BIN } from '../helpers/melbook-process';

/** The backend module from the sources (run under tsx) or from the build (`npm run build`, plain node). */
const BACKEND = { src: path.resolve(__dirname, '../../src/model/backend'), dist: path.resolve(__dirname, '../../dist/model/backend.js') };
type From = keyof typeof BACKEND;

/** Three Adam steps of a conv + dense network on fixed data; prints threads and every weight. */
const script = (from: From) => `
  const tf = require('@tensorflow/tfjs');
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  const { selectBackend } = require(${JSON.stringify(BACKEND[from])});
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

function trainIn(threads: number, from: From = 'src'): { backend: string; threads: number; fallbacks: unknown[]; weights: number[][] } {
  // Only the sources need tsx; the build runs in plain node, as the `melbook` command does.
  const args = from === 'src' ? ['--import', 'tsx', '-e', script(from)] : ['-e', script(from)];
  const r = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    env: { ...process.env, MELBOOK_THREADS: String(threads), MELBOOK_BACKEND: '', ...(from === 'dist' ? { NODE_OPTIONS: '' } : {}) },
    // A child that does not exit by itself (a pool worker keeping Node alive) fails here.
    timeout: 120_000,
    maxBuffer: 1 << 24,
  });
  assert.equal(r.status, 0, `child from ${from} with ${threads} thread(s) failed or hung (signal ${r.signal}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/** The sources' weights on 2 threads, trained once and shared by the tests that compare with them. */
let srcTwo: ReturnType<typeof trainIn> | undefined;
const twoFromSrc = () => (srcTwo ??= trainIn(2));

test('the threaded wasm build starts 2 XNNPACK threads in Node, trains reproducibly, agrees with 1 thread to rounding, and exits', { timeout: 300_000 }, () => {
  const one = trainIn(1);
  const two = twoFromSrc();
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

test('the compiled dist/ in plain node starts 2 threads every time and trains to the same weights as the sources', { timeout: 300_000 }, () => {
  // Twice: the race this guards against (see the module note of wasm-threads.ts) did not fail every run.
  for (const run of [1, 2]) {
    const dist = trainIn(2, 'dist');
    assert.equal(dist.backend, 'wasm');
    assert.equal(dist.threads, 2, `run ${run}, fallbacks: ${JSON.stringify(dist.fallbacks)}`);
    assert.deepEqual(dist.fallbacks, []);
    assert.deepEqual(dist.weights, twoFromSrc().weights, `run ${run}: dist/ and src/ on 2 threads must give the same weights`);
  }
});

test('a script file handed to the workers is written once: a later Blob of the same text gets the same, untouched file', async () => {
  // A worker may be reading the file at any moment after its path is handed out; rewriting it would truncate it under the reader.
  const text = `// ${process.pid} ${Date.now()} ${Math.random()}`;
  const [first, second, statBetween] = await withNodePthreads(1, async () => {
    const a = URL.createObjectURL(new Blob([text]));
    const between = statSync(a, { bigint: true });
    await new Promise((r) => setTimeout(r, 20));
    return [a, URL.createObjectURL(new Blob([text])), between] as const;
  });
  assert.equal(second, first);
  assert.equal(readFileSync(first, 'utf8'), text);
  const after = statSync(first, { bigint: true });
  assert.equal(after.mtimeNs, statBetween.mtimeNs, 'the file was rewritten');
  assert.equal(after.ino, statBetween.ino, 'the file was replaced');
});

test('MELBOOK_THREADS=2 melbook train (bin/ -> dist/) trains on wasm with 2 threads, exits 0 and tags the run melbook.backend.threads = 2', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'melbook-threads-cli-'));
  writeFileSync(path.join(dir, 'c.yaml'), `data:\n  recordings: ${toneCorpus()}\n  durationS: 0.25\nsplit:\n  officialMaxTestTake: 1\n  validationFraction: 0.25\npreprocess:\n  dir: feats\n  workers: 1\n`);
  const r = spawnSync(process.execPath, [MELBOOK_BIN, 'train', '--config', 'c.yaml', '--set', 'training.epochs=1', '--seeds', ''], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', NODE_OPTIONS: '', MELBOOK_BACKEND: 'wasm', MELBOOK_THREADS: '2' },
    timeout: 100_000,
  });
  assert.equal(r.status, 0, `signal ${r.signal}: ${r.stderr.slice(-2000)}`);
  assert.match(r.stdout, /^backend: wasm on 2 thread\(s\)$/m);
  const tags = readdirSync(path.join(dir, 'runs'), { recursive: true }).map(String).filter((p) => p.endsWith(path.join('tags', 'melbook.backend.threads')));
  assert.equal(tags.length, 1, `one run: ${tags.join(', ')}`);
  assert.equal(readFileSync(path.join(dir, 'runs', tags[0]), 'utf8'), '2');
});
