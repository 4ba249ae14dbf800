/**
 * The training loop: build the configured model for the shapes in the dataset metadata, train
 * it on the chosen backend with per-epoch logging to the run, early stopping, a learning-rate
 * schedule and the best checkpoint kept on disk, then save the best model as a bundle that
 * `melbook predict` can use on raw audio. The train stage (`trainStage`, stages/train.ts)
 * wraps it with preprocessing, a run of its own and the test evaluation.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { AudioDataset, type Batch } from '../data/dataset';
import { buildModel, describeModel, disposeModel } from '../model/model';
import { compileModel } from '../model/cnn';
import { BACKEND_NAMES, selectBackend, type BackendSelection } from '../model/backend';
import { saveModel, loadModel } from '../model/io';
import { stepSeed, withDropoutSeed } from '../model/dropout-seeds';
import { writeBundleMetadata } from './bundle';
import { featureAugmenter } from '../data/augment';
import { featureRowBlocks } from '../features/spec';
import { formatEpochLine, type EpochLog } from './callbacks';
import { dropCheckpoint, saveCheckpoint } from './checkpoint';
import { LoopState, checkpointFor, checkpointPaths, resumeFrom, trainingFingerprint, type CheckpointPaths } from './loop-state';
import type { PipelineConfig } from '../config/pipeline';
import type { RunHandle } from '../tracking/tracker';
import { MelbookError } from '../errors';
import { ReplicaPool } from './data-parallel';

export interface TrainOptions {
  config: PipelineConfig;
  /** Feature folder written by preprocess (holds manifest.json and metadata.json). */
  featureDir: string;
  /** The dataset to train on; default `AudioDataset.open(featureDir)`. */
  dataset?: AudioDataset;
  /** The tracked run everything is logged to. */
  run: RunHandle;
  /** Where progress lines go. Default console.log. */
  log?: (line: string) => void;
  /** Called after every epoch (notebooks plot live curves with it). */
  onEpoch?: (log: EpochLog) => void;
  /**
   * A `checkpoints` folder (this run's or a dead earlier attempt's, in its artifacts) to continue
   * from: weights, optimizer state, loop state and RNG position of its last completed epoch.
   */
  resumeFrom?: string;
}

export interface TrainResult {
  history: EpochLog[];
  bestEpoch: number;
  stoppedEarly: boolean;
  backend: BackendSelection;
  /** Artifact folder of the saved best model (model.json, weights.bin, melbook.json). */
  modelDir: string;
  /** Tensors alive after each epoch: constant when nothing leaks. */
  tensorsAfterEpoch: number[];
  model: tf.LayersModel;
  dataset: AudioDataset;
}

/** Choose the backend: env MELBOOK_BACKEND, else `training.backend` (see selectBackend); record it on the run. */
export async function useBackend(config: PipelineConfig, run?: RunHandle, log: (l: string) => void = console.log): Promise<BackendSelection> {
  const backend = await selectBackend({ configured: config.training.backend });
  log(`backend: ${backend.name}${backend.name === 'wasm' ? ` on ${backend.threads} thread(s)${backend.fma ? ', fused multiply-add' : ''}` : ''}${backend.fallbacks.length ? ` (skipped: ${backend.fallbacks.map((f) => `${f.name}: ${f.reason}`).join('; ')})` : ''}`);
  await run?.setTags({ 'melbook.backend': backend.name, 'melbook.backend.requested': backend.requested, 'melbook.backend.threads': String(backend.threads), 'melbook.backend.fma': String(backend.fma) });
  return backend;
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  const { config, run } = options;
  const log = options.log ?? ((l: string) => console.log(l));
  const t = config.training;
  const backend = await useBackend(config, run, log);
  const dataset = options.dataset ?? AudioDataset.open(options.featureDir);
  const meta = dataset.metadata;
  if (dataset.size('validation') === 0) {
    throw new MelbookError(`${options.featureDir}: the validation split is empty; set split.validationFraction > 0 (early stopping and checkpoints need it)`);
  }
  await logTrainingParams(run, config, dataset);
  const resumed = options.resumeFrom ? checkpointFor(options.resumeFrom, config) : undefined;
  const model = buildModel(config.model, meta.inputShape, meta.classNames.length, { seed: t.seed });
  const { trainDs, valDs, loss } = trainingDatasets(dataset, t, log, resumed?.state.epochsDone ?? 0);
  compileModel(model, { optimizer: t.optimizer, loss, metrics: t.metrics });
  const artifacts = await run.artifactDir();
  const paths = checkpointPaths(artifacts);
  const modelDir = join(artifacts, 'model');
  const loop = new LoopState(t);
  if (resumed) {
    await resumeFrom(resumed, options.resumeFrom!, model, loop, paths, run);
    setLearningRate(model, loop.learningRate);
    log(`resuming after epoch ${loop.epochsDone} of ${t.epochs} from ${resumed.dir}`);
  }
  const pool = t.replicas > 1 ? await ReplicaPool.start(model, { replicas: t.replicas, model: config.model, inputShape: [...meta.inputShape], numClasses: meta.classNames.length, seed: t.seed, loss, metrics: t.metrics, backend: BACKEND_NAMES.find((n) => n === backend.name) ?? 'cpu' }) : undefined;
  const epoch: EpochContext = { model, pool, trainDs, valDs, loop, paths, run, log, fingerprint: trainingFingerprint(config), epochs: t.epochs, onEpoch: options.onEpoch, tensorsAfterEpoch: [], seed: t.seed };
  log(`training ${meta.counts.bySplit.train} clips of [${meta.inputShape}] x ${t.epochs} epochs, batch ${t.batchSize}, ${dataset.batchesPerEpoch('train', t.batchSize)} steps/epoch${pool ? `, data-parallel over ${pool.size} worker threads` : ''}`);
  let stopped = loop.stopper.shouldStop;
  try {
    for (let e = loop.epochsDone; e < t.epochs && !stopped; e++) stopped = await runEpoch(e, epoch);
  } finally {
    await pool?.close();
  }

  await keepBestWeights(model, paths.best, modelDir);
  dropCheckpoint(paths.root);
  const { stopper, history } = loop;
  writeBundleMetadata(modelDir, { metadata: meta, normalization: t.normalization, bestEpoch: stopper.bestEpoch, backend: backend.name });
  await run.logMetrics({ best_epoch: stopper.bestEpoch, [`best_${stopper.monitor}`]: stopper.best }, history.length - 1);
  return { history, bestEpoch: stopper.bestEpoch, stoppedEarly: history.length < t.epochs, backend, modelDir, tensorsAfterEpoch: epoch.tensorsAfterEpoch, model, dataset };
}

/** What one epoch of the loop works with. */
interface EpochContext {
  model: tf.LayersModel;
  /** Replicas computing the gradients (training.replicas > 1), or undefined to train in this thread. */
  pool?: ReplicaPool;
  trainDs: tf.data.Dataset<Batch>;
  valDs: tf.data.Dataset<Batch>;
  loop: LoopState;
  paths: CheckpointPaths;
  run: RunHandle;
  log: (line: string) => void;
  fingerprint: string;
  epochs: number;
  onEpoch?: (log: EpochLog) => void;
  tensorsAfterEpoch: number[];
  /** training.seed: with the epoch and step, it seeds the dropout masks. */
  seed: number;
}

/**
 * Train and validate one epoch, keep the best weights, checkpoint, then log. The checkpoint is
 * written before the epoch's metrics: a run killed between the two resumes after this epoch and
 * logs its metrics then, so no step is ever logged twice. Returns whether to stop early.
 */
async function runEpoch(epoch: number, c: EpochContext): Promise<boolean> {
  const { model, loop } = c;
  const started = performance.now();
  const { loss, accuracy } = await trainEpoch(model, c.trainDs, c.pool, { seed: c.seed, epoch });
  const [valLoss, valAcc] = await evaluateDataset(model, c.valDs);
  const entry: EpochLog = { epoch, loss, accuracy, val_loss: valLoss, val_accuracy: valAcc, epoch_seconds: (performance.now() - started) / 1000, learning_rate: loop.learningRate };
  if (!Number.isFinite(loss)) throw new MelbookError(`training diverged at epoch ${epoch + 1} (loss ${loss}); lower training.optimizer.learningRate`);
  loop.history.push(entry);
  if (loop.stopper.update(entry)) await saveModel(model, c.paths.best);
  const stop = loop.stopper.shouldStop;
  const nextRate = stop ? loop.learningRate : loop.schedule.next(loop.learningRate, entry);
  await saveCheckpoint(c.paths.root, model, loop.snapshot(epoch + 1, nextRate, c.fingerprint));
  await c.run.logMetrics({ loss, accuracy, val_loss: valLoss, val_accuracy: valAcc, epoch_seconds: entry.epoch_seconds, learning_rate: entry.learning_rate }, epoch);
  c.log(formatEpochLine(entry, c.epochs));
  c.onEpoch?.(entry);
  c.tensorsAfterEpoch.push(tf.memory().numTensors);
  if (stop) {
    const s = loop.stopper;
    c.log(`early stopping: ${s.monitor} has not improved for ${s.patience} epochs (best ${s.best.toFixed(4)} at epoch ${s.bestEpoch + 1})`);
    return true;
  }
  if (nextRate !== loop.learningRate) {
    setLearningRate(model, nextRate);
    c.log(`learning rate ${loop.learningRate.toExponential(2)} -> ${nextRate.toExponential(2)}`);
    loop.learningRate = nextRate;
  }
  return false;
}

/** Every setting that shaped the training, as run params: config sections, features, model, dataset sizes and speakers. */
async function logTrainingParams(run: RunHandle, config: PipelineConfig, dataset: AudioDataset): Promise<void> {
  const t = config.training;
  const meta = dataset.metadata;
  await run.logParams({
    ...flatten({ data: config.data, split: config.split, training: { ...t, earlyStopping: t.earlyStopping ?? 'none', lrSchedule: t.lrSchedule ?? 'none' } }),
    ...flatten({ features: meta.features }),
    ...(meta.augment ? flatten({ preprocess: { augment: meta.augment } }) : {}),
    ...prefixKeys('model', describeModel(config.model)),
    'dataset.featureKey': meta.featureKey,
    'dataset.inputShape': JSON.stringify(meta.inputShape),
    'dataset.classes': meta.classNames.join(' '),
    'dataset.train': meta.counts.bySplit.train,
    'dataset.validation': meta.counts.bySplit.validation,
    'dataset.test': meta.counts.bySplit.test,
    ...Object.fromEntries((['train', 'validation', 'test'] as const).map((split) => [`dataset.speakers.${split}`, [...new Set(dataset.entries(split).map((e) => e.speaker))].sort().join(' ')])),
  });
}

/** Continue with the best checkpoint's weights, not the last epoch's, and save them as the run's model. */
async function keepBestWeights(model: tf.LayersModel, checkpointDir: string, modelDir: string): Promise<void> {
  const best = await loadModel(checkpointDir);
  model.setWeights(best.getWeights());
  disposeModel(best);
  await saveModel(model, modelDir);
}

/**
 * One pass over the training batches (trainOnBatch per batch, or the pool's data-parallel step);
 * returns example-weighted mean loss and accuracy. With `seeded`, every step's dropout masks are
 * seeded from training.seed, the epoch and the step (dropout-seeds.ts): the same seed then gives
 * the same run, bit for bit, for a given replica count.
 */
export async function trainEpoch(
  model: tf.LayersModel,
  ds: tf.data.Dataset<{ xs: tf.Tensor; ys: tf.Tensor }>,
  pool?: ReplicaPool,
  seeded?: { seed: number; epoch: number },
): Promise<{ loss: number; accuracy: number }> {
  const it = await ds.iterator();
  let n = 0;
  let lossSum = 0;
  let accSum = 0;
  for (let step = 0; ; step++) {
    const next = await it.next();
    if (next.done) break;
    const { xs, ys } = next.value;
    const size = ys.shape[0];
    const position = seeded && { ...seeded, step };
    const single = async () => (await model.trainOnBatch(xs, ys)) as number[];
    const out = pool ? await pool.trainOnBatch(model, xs, ys, position) : position ? await withDropoutSeed(model, stepSeed(position), single) : await single();
    tf.dispose([xs, ys]);
    lossSum += out[0] * size;
    accSum += (out[1] ?? Number.NaN) * size;
    n += size;
  }
  return { loss: lossSum / n, accuracy: accSum / n };
}

/**
 * The training and validation datasets as `training` configures them (normalisation, copies,
 * feature augmentation, mixup), and the loss that fits their labels: mixup trains on soft
 * labels, which the sparse loss over class indices cannot take, so it switches to categorical
 * cross-entropy on one-hot labels. Logs what augmentation is on.
 */
export function trainingDatasets(
  dataset: AudioDataset,
  t: PipelineConfig['training'],
  log: (line: string) => void = () => undefined,
  firstEpoch = 0,
): { trainDs: tf.data.Dataset<Batch>; valDs: tf.data.Dataset<Batch>; loss: PipelineConfig['training']['loss'] } {
  const meta = dataset.metadata;
  const mixupAlpha = t.augment.mixup.alpha;
  const loss = mixupAlpha > 0 && t.loss === 'sparseCategoricalCrossentropy' ? 'categoricalCrossentropy' : t.loss;
  const labels = loss === 'categoricalCrossentropy' ? 'oneHot' : 'index';
  const [rows, cols] = meta.featureShape;
  const transform = featureAugmenter(t.augment, [rows, cols ?? 1], featureRowBlocks(meta.features));
  if (transform) log(`augmenting the training split: ${JSON.stringify({ freqWarp: t.augment.freqWarp, specAugment: t.augment.specAugment, timeShift: t.augment.timeShift })}`);
  if (meta.augment) log(`training clips are drawn from the original and ${meta.augment.copies} perturbed copies: ${JSON.stringify({ speed: meta.augment.speed, noise: meta.augment.noise, pitch: meta.augment.pitch, formant: meta.augment.formant })}`);
  if (mixupAlpha > 0) log(`mixup of training batches, alpha ${mixupAlpha}; loss ${loss} on soft labels`);
  return {
    trainDs: dataset.dataset('train', { batchSize: t.batchSize, seed: t.seed, normalization: t.normalization, shuffleBuffer: t.shuffleBuffer, transform, labels, mixupAlpha, firstEpoch }),
    valDs: dataset.dataset('validation', { batchSize: t.batchSize, normalization: t.normalization, labels }),
    loss,
  };
}

/** Loss and accuracy over a dataset of batches (inference mode). */
export async function evaluateDataset(model: tf.LayersModel, ds: tf.data.Dataset<{ xs: tf.Tensor; ys: tf.Tensor }>): Promise<[number, number]> {
  const result = await model.evaluateDataset(ds as never, {});
  const scalars = Array.isArray(result) ? result : [result];
  const values = await Promise.all(scalars.map((s) => s.data()));
  tf.dispose(scalars);
  return [values[0][0], values[1]?.[0] ?? Number.NaN];
}

function setLearningRate(model: tf.LayersModel, lr: number): void {
  const opt = model.optimizer as tf.Optimizer & { learningRate?: number; setLearningRate?: (lr: number) => void };
  if (typeof opt.setLearningRate === 'function') opt.setLearningRate(lr);
  else opt.learningRate = lr;
}

/** `{ a: { b: 1 } }` -> `{ 'a.b': 1 }`; arrays and objects at the leaves become JSON. */
export function flatten(obj: Record<string, unknown>, prefix = ''): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flatten(v as Record<string, unknown>, key));
    else if (v === undefined) continue;
    else out[key] = Array.isArray(v) ? JSON.stringify(v) : (v as string | number | boolean | null);
  }
  return out;
}

function prefixKeys(prefix: string, obj: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [`${prefix}.${k}`, v]));
}
