/**
 * Times one training step of melbook's seed CNN on the wasm backend, with the stock wasm
 * kernels and with melbook's training kernels, prints the per-kernel profile, and compares the
 * estimated epoch with the PyTorch yardstick (/work/shared/bench/torch_fsdd.py) measured in the
 * same run.
 *
 *   node --import tsx bench/kernels.ts [--steps 10] [--top 15] [--mode both|stock|melbook|dp|all]
 *                                      [--batch 32] [--torch-epochs 3] [--torch-threads 2]
 *
 * Seed network (built here with tf.layers so the bench does not depend on the YAML builder):
 * 3 x [Conv2D 32 3x3 same relu, MaxPool 2x2, BatchNorm], Flatten, Dense 64 relu, Dropout 0.3,
 * Dense 10 softmax; input [32, 64, 63, 1] (batch 32, 64 mels x 63 frames, random), RMSprop.
 * Estimated epoch = ceil(2,700 training clips / batch) steps (85 at batch 32) x ms/step.
 *
 * PyTorch: the yardstick runs before and after the melbook measurements (torch, melbook modes,
 * torch), `--torch-epochs` epochs each on `--torch-threads` threads (it also preprocesses FSDD
 * first, ~1 s); its figure is the median (min-max) of the per-epoch seconds of both runs, and its
 * ms/step is that divided by its 85 steps (batch 32, Adam, real features), to read the per-step
 * profile against. When it cannot run, the reason is printed and the ratios are 'n/a'.
 * Every figure is a median (min-max) over steps, profiled steps or epochs; each row says how
 * many threads each side used (wasm: MELBOOK_THREADS, default 1; "dp": one per worker).
 *
 * "dp" (with --mode dp or all) measures data parallelism over the second core: 2 worker threads,
 * each with its own wasm backend and model replica, each computes the gradients of half the
 * batch (16); the main thread averages them and both replicas apply the same update. Batch-norm
 * statistics are then per half batch (as with PyTorch DDP without SyncBatchNorm).
 *
 * "stock" still registers melbook's Conv2DBackpropFilter: tfjs-backend-wasm 4.22 has none,
 * so without it training cannot run at all.
 */
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/model/backend';
import { registerWasmTrainingKernels, unregisterWasmTrainingKernels } from '../src/model/kernels';
import { load1, measureTorch, median, ratioSpread, spread, stepsPerEpoch, table, torchAvailable, torchEpochSeconds, type Yardstick } from './peers';

function argValue(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

/** FSDD training clips per epoch (3,000 minus the 300 of takes 0-4). */
const CLIPS_PER_EPOCH = 2700;
/** The yardstick's batch size (fixed in torch_fsdd.py). */
const TORCH_BATCH = 32;
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
  /** Time of this kernel in each profiled step, ms (0 in a step that did not call it). */
  ms: number[];
  /** Calls per step. */
  calls: number;
}

/** A profile's rows, slowest median first. */
function byMedian(rows: Iterable<KernelRow>): KernelRow[] {
  return [...rows].sort((a, b) => median(b.ms) - median(a.ms));
}

/** Per-kernel wall time of `repeats` profiled steps, summed by kernel name within each step. */
async function profileStep(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, repeats: number): Promise<KernelRow[]> {
  const rows = new Map<string, KernelRow>();
  for (let rep = 0; rep < repeats; rep++) {
    const info = await tf.profile(async () => {
      await model.trainOnBatch(x, y);
    });
    for (const k of info.kernels) {
      const row = rows.get(k.name) ?? { name: k.name, ms: new Array<number>(repeats).fill(0), calls: 0 };
      row.ms[rep] += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      row.calls += 1 / repeats;
      rows.set(k.name, row);
    }
  }
  return byMedian(rows.values());
}

/**
 * Per-kernel process CPU time (user + system) of `repeats` steps: every wasm kernel is wrapped
 * while profiling. Unlike tf.profile's wall-clock times this is not inflated by other processes
 * competing for the 2 cores. Kernels called from inside another kernel count for the outer one.
 */
async function profileStepCpu(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, repeats: number): Promise<KernelRow[]> {
  const configs = tf.getKernelsForBackend('wasm');
  const rows = new Map<string, KernelRow>();
  let depth = 0;
  let rep = 0;
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
          const row = rows.get(config.kernelName) ?? { name: config.kernelName, ms: new Array<number>(repeats).fill(0), calls: 0 };
          row.ms[rep] += (c.user + c.system) / 1000;
          row.calls += 1 / repeats;
          rows.set(config.kernelName, row);
        }
      },
    });
  }
  try {
    for (rep = 0; rep < repeats; rep++) await model.trainOnBatch(x, y);
  } finally {
    for (const config of configs) {
      tf.unregisterKernel(config.kernelName, 'wasm');
      tf.registerKernel(config);
    }
  }
  return byMedian(rows.values());
}

/** Prints a profile: the total in kernels per step, then the `top` slowest kernels. */
function printProfile(title: string, rows: KernelRow[], repeats: number, top: number): void {
  const totals = Array.from({ length: repeats }, (_, rep) => rows.reduce((s, r) => s + r.ms[rep], 0));
  console.log(`${title}, median (min-max) of ${repeats} steps: ${spread(totals, 1)} ms in kernels; top ${top}:`);
  for (const r of rows.slice(0, top)) {
    console.log(`  ${r.name.padEnd(24)} ${spread(r.ms, 1).padStart(22)} ms  ${r.calls.toFixed(0).padStart(4)} calls`);
  }
}

/** Per-step times of one mode, ms: wall clock and this process's CPU time (robust to other load). */
interface StepSamples {
  wallMs: number[];
  cpuMs: number[];
}

async function timeSteps(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, steps: number): Promise<StepSamples> {
  for (let i = 0; i < 2; i++) await model.trainOnBatch(x, y); // warm-up
  const samples: StepSamples = { wallMs: [], cpuMs: [] };
  for (let i = 0; i < steps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await model.trainOnBatch(x, y);
    samples.wallMs.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    samples.cpuMs.push((c.user + c.system) / 1000);
  }
  return samples;
}

const PROFILED_STEPS = 3;

async function run(label: string, steps: number, top: number): Promise<StepSamples> {
  const model = buildSeedModel();
  const x = tf.randomNormal([BATCH, ...INPUT], 0, 1, 'float32', 1);
  const labels = tf.tensor1d(Array.from({ length: BATCH }, (_, i) => (i * 7) % 10), 'int32');
  const y = tf.oneHot(labels, 10);
  const times = await timeSteps(model, x, y, steps);
  const rows = await profileStep(model, x, y, PROFILED_STEPS);
  const cpuRows = await profileStepCpu(model, x, y, PROFILED_STEPS);
  console.log(`\n## ${label}, batch ${BATCH}, ${wasmThreads()} wasm thread(s)`);
  console.log(`  wall ${spread(times.wallMs, 1)} ms/step, median (min-max) of ${steps} steps`);
  console.log(`  cpu  ${spread(times.cpuMs, 1)} ms/step (process CPU time; robust to load)`);
  printProfile('per-kernel wall time (tf.profile)', rows, PROFILED_STEPS, top);
  printProfile('per-kernel CPU time', cpuRows, PROFILED_STEPS, top);
  tf.dispose([x, labels, y]);
  model.dispose();
  return times;
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

/** Main side: per-step times of a batch split over `workers` replicas (cpuMs: the gradient phase). */
async function runDataParallel(steps: number, workers = 2): Promise<StepSamples> {
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
  const gradWallMs: number[] = [];
  const step = async (): Promise<number> => {
    const g0 = performance.now();
    const replies = await Promise.all(pool.map((w) => { const m = nextMessage(w); w.postMessage({ cmd: 'step' }); return m; }));
    gradWallMs.push(performance.now() - g0);
    const sum = replies[0].grads!;
    for (const r of replies.slice(1)) for (let i = 0; i < sum.length; i++) sum[i] += r.grads![i];
    for (let i = 0; i < sum.length; i++) sum[i] /= workers;
    await Promise.all(pool.map((w) => { const m = nextMessage(w); w.postMessage({ cmd: 'apply', grads: sum }); return m; }));
    return Math.max(...replies.map((r) => r.cpuMs ?? 0));
  };
  for (let i = 0; i < 2; i++) await step(); // warm-up
  gradWallMs.length = 0;
  const samples: StepSamples = { wallMs: [], cpuMs: [] };
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    samples.cpuMs.push(await step());
    samples.wallMs.push(performance.now() - t0);
  }
  for (const w of pool) w.postMessage({ cmd: 'stop' });
  console.log(`\n## data parallel: ${workers} wasm workers x batch ${BATCH / workers}, ${wasmThreads()} wasm thread(s) each`);
  console.log(`  wall ${spread(samples.wallMs, 1)} ms/step, median (min-max) of ${steps} steps`);
  console.log(`  gradient phase ${spread(gradWallMs, 1)} ms/step wall, ${spread(samples.cpuMs, 1)} ms process CPU (all threads); the rest is averaging and applying`);
  return samples;
}

// ---------------------------------------------------------------- PyTorch and the summary

function wasmThreads(): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm')).getThreadsCount();
}

/** One row of the summary: a side, its threads, and its ms per step at `batch`. */
interface Side {
  label: string;
  threads: string;
  stepMs: number[];
  batch: number;
}

function summary(sides: Side[], yard: Yardstick): string {
  const torchEpochs = torchEpochSeconds(yard);
  const torchSteps = stepsPerEpoch(CLIPS_PER_EPOCH, TORCH_BATCH);
  const rows: string[][] = [['', 'threads', 'ms/step', 's/epoch', 'x PyTorch s/epoch']];
  if (torchEpochs.length > 0) {
    const stepMs = torchEpochs.map((s) => (s * 1000) / torchSteps);
    rows.push([`PyTorch (batch ${TORCH_BATCH}, ${torchSteps} steps)`, `${yard.runs[0].threads} torch`, spread(stepMs, 1), spread(torchEpochs, 2), '1']);
  } else {
    rows.push([`PyTorch (batch ${TORCH_BATCH})`, `${yard.threads} torch`, 'n/a', 'n/a', 'n/a']);
  }
  for (const side of sides) {
    const epochs = side.stepMs.map((ms) => (ms * stepsPerEpoch(CLIPS_PER_EPOCH, side.batch)) / 1000);
    rows.push([side.label, side.threads, spread(side.stepMs, 1), spread(epochs, 2), ratioSpread(epochs, torchEpochs)]);
  }
  return table(rows);
}

const MODES = ['both', 'stock', 'melbook', 'dp', 'all'] as const;

/** Measures the melbook side of each selected mode, printing its section, and returns its rows. */
async function measureModes(mode: (typeof MODES)[number], steps: number, top: number): Promise<Side[]> {
  const threads = `${wasmThreads()} wasm`;
  const sides: Side[] = [];
  const add = (label: string, samples: StepSamples, cpuToo: boolean, t = threads) => {
    sides.push({ label: `${label}, wall`, threads: t, stepMs: samples.wallMs, batch: BATCH });
    if (cpuToo) sides.push({ label: `${label}, process CPU`, threads: t, stepMs: samples.cpuMs, batch: BATCH });
  };
  let stock: StepSamples | undefined;
  let ours: StepSamples | undefined;
  if (mode === 'both' || mode === 'stock' || mode === 'all') {
    unregisterWasmTrainingKernels();
    registerWasmTrainingKernels({ only: ['Conv2DBackpropFilter'] });
    stock = await run('stock wasm kernels (+ melbook Conv2DBackpropFilter)', steps, top);
    unregisterWasmTrainingKernels();
    add('stock wasm kernels', stock, true);
  }
  if (mode === 'both' || mode === 'melbook' || mode === 'all') {
    unregisterWasmTrainingKernels();
    registerWasmTrainingKernels();
    ours = await run('melbook wasm training kernels', steps, top);
    add('melbook kernels', ours, true);
  }
  if (stock && ours) console.log(`\nspeed-up of melbook's kernels (wall ms/step, stock / melbook): ${ratioSpread(stock.wallMs, ours.wallMs)}x`);
  if (mode === 'dp' || mode === 'all') add('data parallel, 2 workers', await runDataParallel(steps), false, `2 x ${threads}`);
  return sides;
}

async function main(): Promise<void> {
  const steps = Number(argValue('steps', '10'));
  const top = Number(argValue('top', '15'));
  const mode = argValue('mode', 'both') as (typeof MODES)[number];
  if (!MODES.includes(mode)) throw new Error(`--mode ${mode}: unknown mode; use one of ${MODES.join(', ')}`);
  const yard: Yardstick = {
    epochs: Number(argValue('torch-epochs', '3')),
    threads: Number(argValue('torch-threads', '2')),
    unavailable: torchAvailable(),
    runs: [],
    problems: [],
  };
  const selection = await selectBackend({ prefer: 'wasm' });
  console.log(`backend: ${selection.name} (requested ${selection.requested}); SIMD ${await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')}, threads ${wasmThreads()}`);
  if (selection.name !== 'wasm') throw new Error(`wasm backend unavailable: ${JSON.stringify(selection.fallbacks)}`);
  // Interleaved (PyTorch, melbook modes, PyTorch) so that a change in the machine's load hits both sides.
  measureTorch(yard, 'before melbook');
  const sides = await measureModes(mode, steps, top);
  measureTorch(yard, 'after melbook');
  console.log(`\n# Seed network, ${availableParallelism()} cores; every figure median (min-max); s/epoch = ${CLIPS_PER_EPOCH} clips / batch x ms/step`);
  if (yard.runs.length > 0) {
    console.log(`PyTorch: torch ${yard.runs[0].torch}, ${yard.threads} threads, ${yard.runs.length} runs x ${yard.epochs} epochs of ../shared/bench/torch_fsdd.py (Adam, FSDD features); melbook: RMSprop, random input`);
  }
  console.log(summary(sides, yard));
  if (yard.unavailable) console.log(`PyTorch not measured: ${yard.unavailable}`);
  for (const problem of yard.problems) console.log(`PyTorch run failed: ${problem}`);
  console.log(`1-minute load at the end: ${load1().toFixed(2)} (figures are comparable only below ${availableParallelism()})`);
}

(isMainThread ? main() : dpWorker()).catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
