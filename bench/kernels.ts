/**
 * Times one training step of melbook's seed CNN on the wasm backend, with the stock wasm
 * kernels and with melbook's training kernels, and prints the per-kernel profile.
 *
 *   node --import tsx bench/kernels.ts [--steps 10] [--top 15] [--mode both|stock|melbook]
 *
 * Seed network (built here with tf.layers so the bench does not depend on the YAML builder):
 * 3 x [Conv2D 32 3x3 same relu, MaxPool 2x2, BatchNorm], Flatten, Dense 64 relu, Dropout 0.3,
 * Dense 10 softmax; input [32, 64, 63, 1] (batch 32, 64 mels x 63 frames), RMSprop.
 * Estimated epoch = ceil(2,700 training clips / batch) steps (85 at batch 32) x ms/step; the PyTorch reference
 * (/work/shared/bench/torch_fsdd.py, 2 threads) reports 4.9 s/epoch on the 2-core machine.
 *
 * "dp" (with --mode dp or all) measures data parallelism over the second core: 2 worker threads,
 * each with its own wasm backend and model replica, each computes the gradients of half the
 * batch (16); the main thread averages them and both replicas apply the same update. Batch-norm
 * statistics are then per half batch (as with PyTorch DDP without SyncBatchNorm).
 *
 * "stock" still registers melbook's Conv2DBackpropFilter: tfjs-backend-wasm 4.22 has none,
 * so without it training cannot run at all.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/model/backend';
import { registerWasmTrainingKernels, unregisterWasmTrainingKernels } from '../src/model/kernels';

function argValue(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

/** FSDD training clips per epoch (3,000 minus the 300 of takes 0-4). */
const CLIPS_PER_EPOCH = 2700;
const TORCH_S_PER_EPOCH = 4.9;
/** Batch size of one step; `--batch` overrides (e.g. 16 to see the per-replica cost of "dp"). */
const BATCH = Number(argValue('batch', '32'));
const INPUT: [number, number, number] = [64, 63, 1];


function buildSeedModel(): tf.LayersModel {
  const model = tf.sequential();
  for (let block = 0; block < 3; block++) {
    model.add(
      tf.layers.conv2d({
        filters: 32,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        ...(block === 0 ? { inputShape: INPUT } : {}),
      }),
    );
    model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    model.add(tf.layers.batchNormalization());
  }
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 64, activation: 'relu' }));
  model.add(tf.layers.dropout({ rate: 0.3 }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.rmsprop(1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

interface KernelRow {
  name: string;
  ms: number;
  calls: number;
}

/**
 * Per-kernel wall time of one step, summed by kernel name. Profiled `repeats` times and the
 * minimum kept per kernel, so that time stolen by other processes on a busy machine counts less.
 */
async function profileStep(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, repeats: number): Promise<KernelRow[]> {
  const best = new Map<string, KernelRow>();
  for (let rep = 0; rep < repeats; rep++) {
    const info = await tf.profile(async () => {
      await model.trainOnBatch(x, y);
    });
    const byName = new Map<string, KernelRow>();
    for (const k of info.kernels) {
      const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      const row = byName.get(k.name) ?? { name: k.name, ms: 0, calls: 0 };
      row.ms += ms;
      row.calls += 1;
      byName.set(k.name, row);
    }
    for (const row of byName.values()) {
      const prev = best.get(row.name);
      if (!prev || row.ms < prev.ms) best.set(row.name, row);
    }
  }
  return [...best.values()].sort((a, b) => b.ms - a.ms);
}

/**
 * Per-kernel process CPU time (user + system) of one step: every wasm kernel is wrapped while
 * profiling. Unlike tf.profile's wall-clock times this is not inflated by other processes
 * competing for the 2 cores. Kernels called from inside another kernel count for the outer one.
 */
async function profileStepCpu(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, repeats: number): Promise<KernelRow[]> {
  const configs = tf.getKernelsForBackend('wasm');
  const rows = new Map<string, KernelRow>();
  let depth = 0;
  for (const config of configs) {
    const inner = config.kernelFunc;
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        if (depth > 0) return inner(args);
        depth++;
        const c0 = process.cpuUsage();
        try {
          return inner(args);
        } finally {
          const c = process.cpuUsage(c0);
          depth--;
          const row = rows.get(config.kernelName) ?? { name: config.kernelName, ms: 0, calls: 0 };
          row.ms += (c.user + c.system) / 1000 / repeats;
          row.calls += 1 / repeats;
          rows.set(config.kernelName, row);
        }
      },
    });
  }
  try {
    for (let rep = 0; rep < repeats; rep++) await model.trainOnBatch(x, y);
  } finally {
    for (const config of configs) {
      tf.unregisterKernel(config.kernelName, 'wasm');
      tf.registerKernel(config);
    }
  }
  return [...rows.values()].sort((a, b) => b.ms - a.ms);
}

interface StepTimes {
  /** Fastest step, wall clock, ms. */
  minMs: number;
  /** Median step, wall clock, ms. */
  medianMs: number;
  /** Mean CPU time (user + system) of this process per step, ms: robust to other load. */
  cpuMs: number;
}

async function timeSteps(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, steps: number): Promise<StepTimes> {
  for (let i = 0; i < 2; i++) await model.trainOnBatch(x, y); // warm-up
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await model.trainOnBatch(x, y);
    times.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  times.sort((a, b) => a - b);
  return { minMs: times[0], medianMs: times[Math.floor(times.length / 2)], cpuMs: (cpu.user + cpu.system) / 1000 / steps };
}

/** Seconds per epoch at `msPerStep` for a step of `batch` clips (85 steps at batch 32). */
function epochSeconds(msPerStep: number, batch = BATCH): string {
  const s = (msPerStep * Math.ceil(CLIPS_PER_EPOCH / batch)) / 1000;
  return `${s.toFixed(1)} s/epoch (${(s / TORCH_S_PER_EPOCH).toFixed(2)}x PyTorch)`;
}

async function run(label: string, steps: number, top: number): Promise<number> {
  const model = buildSeedModel();
  const x = tf.randomNormal([BATCH, ...INPUT], 0, 1, 'float32', 1);
  const labels = tf.tensor1d(Array.from({ length: BATCH }, (_, i) => (i * 7) % 10), 'int32');
  const y = tf.oneHot(labels, 10);
  const times = await timeSteps(model, x, y, steps);
  const rows = await profileStep(model, x, y, 3);
  const total = rows.reduce((s, r) => s + r.ms, 0);
  const cpuRows = await profileStepCpu(model, x, y, 3);
  const cpuTotal = cpuRows.reduce((s, r) => s + r.ms, 0);
  console.log(`\n## ${label}`);
  console.log(`  median ${times.medianMs.toFixed(1)} ms/step -> ${epochSeconds(times.medianMs)}`);
  console.log(`  min    ${times.minMs.toFixed(1)} ms/step -> ${epochSeconds(times.minMs)}`);
  console.log(`  cpu    ${times.cpuMs.toFixed(1)} ms/step -> ${epochSeconds(times.cpuMs)}  (process CPU time; robust to load)`);
  console.log(`per-kernel profile (min of 3 profiled steps): ${total.toFixed(1)} ms in kernels; top ${top}:`);
  for (const r of rows.slice(0, top)) {
    console.log(`  ${r.name.padEnd(24)} ${r.ms.toFixed(1).padStart(8)} ms  ${String(r.calls).padStart(4)} calls`);
  }
  console.log(`per-kernel CPU time (mean of 3 steps): ${cpuTotal.toFixed(1)} ms in kernels; top ${top}:`);
  for (const r of cpuRows.slice(0, top)) {
    console.log(`  ${r.name.padEnd(24)} ${r.ms.toFixed(1).padStart(8)} ms  ${r.calls.toFixed(0).padStart(4)} calls`);
  }
  tf.dispose([x, labels, y]);
  model.dispose();
  return times.minMs;
}

// ---------------------------------------------------------------- data parallel (2 workers)

interface DpMessage {
  cmd: 'ready' | 'grads' | 'applied';
  grads?: Float32Array;
  cpuMs?: number;
}

/** Worker side: a model replica on its own wasm backend training on half batches. */
async function dpWorker(): Promise<void> {
  const port = parentPort!;
  const { weights, half, seed } = workerData as { weights: { data: Float32Array; shape: number[] }[]; half: number; seed: number };
  await selectBackend({ prefer: 'wasm' });
  const model = buildSeedModel();
  model.setWeights(weights.map((w) => tf.tensor(w.data, w.shape)));
  const optimizer = tf.train.rmsprop(1e-3);
  const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const x = tf.randomNormal([half, ...INPUT], 0, 1, 'float32', seed);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: half }, (_, i) => (i * 7 + seed) % 10), 'int32'), 10);
  port.on('message', (msg: { cmd: 'step' } | { cmd: 'apply'; grads: Float32Array } | { cmd: 'stop' }) => {
    if (msg.cmd === 'step') {
      const c0 = process.cpuUsage();
      const { grads } = optimizer.computeGradients(
        () => tf.tidy(() => tf.mean(tf.metrics.categoricalCrossentropy(y, model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar),
        vars,
      );
      const flat = new Float32Array(vars.reduce((n, v) => n + v.size, 0));
      let offset = 0;
      for (const v of vars) {
        flat.set(grads[v.name].dataSync(), offset);
        offset += v.size;
      }
      tf.dispose(Object.values(grads));
      const c = process.cpuUsage(c0);
      port.postMessage({ cmd: 'grads', grads: flat, cpuMs: (c.user + c.system) / 1000 } satisfies DpMessage, [flat.buffer]);
    } else if (msg.cmd === 'apply') {
      const named: tf.NamedTensorMap = {};
      let offset = 0;
      for (const v of vars) {
        named[v.name] = tf.tensor(msg.grads.subarray(offset, offset + v.size), v.shape);
        offset += v.size;
      }
      optimizer.applyGradients(named);
      tf.dispose(Object.values(named));
      port.postMessage({ cmd: 'applied' } satisfies DpMessage);
    } else {
      port.close();
      process.exit(0);
    }
  });
  port.postMessage({ cmd: 'ready' } satisfies DpMessage);
}

function nextMessage(worker: Worker): Promise<DpMessage> {
  return new Promise((resolve) => worker.once('message', resolve));
}

/** Main side: ms per step of batch 32 split over `workers` replicas. */
async function runDataParallel(steps: number, workers = 2): Promise<number> {
  const template = buildSeedModel();
  const weights = template.getWeights().map((w) => ({ data: w.dataSync() as Float32Array, shape: w.shape }));
  template.dispose();
  const pool = Array.from({ length: workers }, (_, rank) =>
    // A .ts worker entry needs tsx's CommonJS hook inside the worker too.
    new Worker(`require('tsx/cjs'); require(${JSON.stringify(__filename)});`, {
      eval: true,
      workerData: { weights, half: BATCH / workers, seed: rank + 1 },
    }),
  );
  for (const w of pool) w.on('error', (err) => { console.error(err); process.exit(1); });
  await Promise.all(pool.map(nextMessage));
  let gradWallMs = 0;
  const step = async (): Promise<number> => {
    const g0 = performance.now();
    const replies = await Promise.all(pool.map((w) => { const m = nextMessage(w); w.postMessage({ cmd: 'step' }); return m; }));
    gradWallMs += performance.now() - g0;
    const sum = replies[0].grads!;
    for (const r of replies.slice(1)) for (let i = 0; i < sum.length; i++) sum[i] += r.grads![i];
    for (let i = 0; i < sum.length; i++) sum[i] /= workers;
    await Promise.all(pool.map((w) => { const m = nextMessage(w); w.postMessage({ cmd: 'apply', grads: sum }); return m; }));
    return Math.max(...replies.map((r) => r.cpuMs ?? 0));
  };
  for (let i = 0; i < 2; i++) await step(); // warm-up
  gradWallMs = 0;
  const times: number[] = [];
  let workerCpu = 0;
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    workerCpu += await step();
    times.push(performance.now() - t0);
  }
  for (const w of pool) w.postMessage({ cmd: 'stop' });
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(`\n## data parallel: ${workers} wasm workers x batch ${BATCH / workers}`);
  console.log(`  median ${median.toFixed(1)} ms/step -> ${epochSeconds(median, BATCH)}`);
  console.log(`  min    ${times[0].toFixed(1)} ms/step -> ${epochSeconds(times[0], BATCH)}`);
  console.log(`  gradient phase ${(gradWallMs / steps).toFixed(1)} ms/step wall, ${(workerCpu / steps).toFixed(1)} ms process CPU (all threads); the rest is averaging and applying`);
  return times[0];
}

async function main(): Promise<void> {
  const steps = Number(argValue('steps', '10'));
  const top = Number(argValue('top', '15'));
  const mode = argValue('mode', 'both');
  const selection = await selectBackend({ prefer: 'wasm' });
  console.log(`backend: ${selection.name} (requested ${selection.requested}); SIMD ${await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')}, threads 1`);
  if (selection.name !== 'wasm') throw new Error(`wasm backend unavailable: ${JSON.stringify(selection.fallbacks)}`);
  const results: Record<string, number> = {};
  if (mode === 'both' || mode === 'stock' || mode === 'all') {
    unregisterWasmTrainingKernels();
    registerWasmTrainingKernels({ only: ['Conv2DBackpropFilter'] });
    results.stock = await run('stock wasm kernels (+ melbook Conv2DBackpropFilter)', steps, top);
    unregisterWasmTrainingKernels();
  }
  if (mode === 'both' || mode === 'melbook' || mode === 'all') {
    unregisterWasmTrainingKernels();
    registerWasmTrainingKernels();
    results.melbook = await run('melbook wasm training kernels', steps, top);
  }
  if (results.stock && results.melbook) {
    console.log(`\nspeed-up: ${(results.stock / results.melbook).toFixed(2)}x`);
  }
  if (mode === 'dp' || mode === 'all') results.dp = await runDataParallel(steps);
}

(isMainThread ? main() : dpWorker()).catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
