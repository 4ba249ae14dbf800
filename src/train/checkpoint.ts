/**
 * The training checkpoint: everything a killed training needs to continue from its last
 * completed epoch as if it had never stopped. Written at each epoch end into the run's
 * artifacts as `checkpoints/epoch-NNNN/` (model weights, optimizer state, `state.json` with the
 * epoch, history, early-stopping and learning-rate-schedule state and the RNG position), then
 * `checkpoints/last.json` is renamed into place to point at it: a reader sees the previous
 * complete checkpoint or the new one, never half of one.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomicSync, temporaryPathFor } from '../atomic-write';
import { saveModel, loadModel } from '../model/io';
import { disposeModel } from '../model/model';
import type { EpochLog } from './callbacks';
import { MelbookError } from '../errors';

/** Bump when `TrainingState` changes shape: an older checkpoint is then refused by name. */
export const CHECKPOINT_FORMAT = 1;
const POINTER = 'last.json';
const STATE = 'state.json';
const OPTIMIZER_JSON = 'optimizer.json';
const OPTIMIZER_BIN = 'optimizer.bin';

/** Where the training loop stands after `epochsDone` epochs. */
export interface TrainingState {
  format: number;
  /** Epochs completed; the next epoch to train has this index. */
  epochsDone: number;
  history: EpochLog[];
  earlyStopping: { best: number | null; bestEpoch: number; wait: number };
  lrSchedule: { sinceBest: number; bestLoss: number | null };
  learningRate: number;
  /**
   * The random streams: the dataset shuffles, draws augmented copies and mixes epoch k from
   * `seed` and k alone, so the index of the next epoch is the whole RNG state.
   */
  rng: { seed: number; nextEpoch: number };
  /** Fingerprint of the config that trained it: a checkpoint never continues another config. */
  configHash: string;
}

/** A checkpoint that cannot be used (missing files, another format, another config). */
export class CheckpointError extends MelbookError {
  constructor(readonly dir: string, reason: string, options?: { cause?: unknown }) {
    super(`${dir}: ${reason}`, options);
  }
}

function epochFolder(epochsDone: number): string {
  return `epoch-${String(epochsDone).padStart(4, '0')}`;
}

/**
 * Save the model, its optimizer's state and `state` as the run's latest checkpoint under
 * `root` (the run's `artifacts/checkpoints`), then drop older epoch folders.
 */
export async function saveCheckpoint(root: string, model: tf.LayersModel, state: TrainingState): Promise<string> {
  mkdirSync(root, { recursive: true });
  const name = epochFolder(state.epochsDone);
  const staging = temporaryPathFor(join(root, name));
  await saveModel(model, staging);
  const weights = await model.optimizer.getWeights();
  const { data, specs } = await tf.io.encodeWeights(weights);
  writeFileSync(join(staging, OPTIMIZER_BIN), new Uint8Array(data as ArrayBuffer));
  writeFileSync(join(staging, OPTIMIZER_JSON), JSON.stringify({ className: model.optimizer.getClassName(), specs }));
  writeFileSync(join(staging, STATE), JSON.stringify(state));
  // getWeights hands out the optimizer's own variables plus a fresh iteration count: free only the latter.
  tf.dispose(weights.map((w) => w.tensor).filter((t) => !(t instanceof tf.Variable)));
  rmSync(join(root, name), { recursive: true, force: true });
  renameSync(staging, join(root, name));
  writeFileAtomicSync(join(root, POINTER), JSON.stringify({ format: CHECKPOINT_FORMAT, folder: name }));
  for (const old of readdirSync(root)) if (old.startsWith('epoch-') && old !== name) rmSync(join(root, old), { recursive: true, force: true });
  return join(root, name);
}

/** Remove the per-epoch checkpoint under `root` (kept: other folders such as `best/`): a finished training has nothing to resume. */
export function dropCheckpoint(root: string): void {
  if (!existsSync(root)) return;
  rmSync(join(root, POINTER), { force: true });
  for (const name of readdirSync(root)) if (name.startsWith('epoch-')) rmSync(join(root, name), { recursive: true, force: true });
}

/** The latest complete checkpoint under `root`, or undefined when there is none. */
export function latestCheckpoint(root: string): { dir: string; state: TrainingState } | undefined {
  const pointer = join(root, POINTER);
  if (!existsSync(pointer)) return undefined;
  let folder: string;
  try {
    const parsed = JSON.parse(readFileSync(pointer, 'utf8')) as { format?: number; folder?: string };
    if (parsed.format !== CHECKPOINT_FORMAT || typeof parsed.folder !== 'string' || !/^epoch-\d{4}$/.test(parsed.folder)) {
      throw new Error(`format ${parsed.format}, folder ${parsed.folder}`);
    }
    folder = parsed.folder;
  } catch (e) {
    throw new CheckpointError(pointer, `not a melbook checkpoint pointer of format ${CHECKPOINT_FORMAT} (${(e as Error).message}); retrain from the start`, { cause: e });
  }
  const dir = join(root, folder);
  const state = JSON.parse(readFileSync(join(dir, STATE), 'utf8')) as TrainingState;
  return { dir, state };
}

/**
 * Put the checkpoint's weights and optimizer state into `model`, which must be built and
 * compiled from the same config (same layers, same optimizer).
 */
export async function restoreCheckpoint(dir: string, model: tf.LayersModel): Promise<void> {
  const saved = await loadModel(dir);
  try {
    model.setWeights(saved.getWeights());
  } catch (e) {
    throw new CheckpointError(dir, `its weights do not fit this model (${(e as Error).message}); the run's config changed`, { cause: e });
  } finally {
    disposeModel(saved);
  }
  const { className, specs } = JSON.parse(readFileSync(join(dir, OPTIMIZER_JSON), 'utf8')) as { className: string; specs: tf.io.WeightsManifestEntry[] };
  if (className !== model.optimizer.getClassName()) throw new CheckpointError(dir, `saved by optimizer ${className}, this run uses ${model.optimizer.getClassName()}`);
  const bytes = readFileSync(join(dir, OPTIMIZER_BIN));
  const map = tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, specs);
  const named = specs.map((s) => ({ name: s.name, tensor: map[s.name] as tf.Tensor }));
  // The optimizer's new variables take over these tensors' data: they must not be disposed here.
  await model.optimizer.setWeights(named);
}
