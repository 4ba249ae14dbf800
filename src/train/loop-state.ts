/**
 * Where the training loop stands between epochs (history, early stopping, learning-rate
 * schedule, the current rate) and how that state goes into and comes back from a checkpoint, so
 * a training killed after epoch k continues with epoch k + 1 as if it had never stopped.
 */
import { cpSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { EarlyStopping, LearningRateSchedule, type EpochLog } from './callbacks';
import { CHECKPOINT_FORMAT, CheckpointError, latestCheckpoint, restoreCheckpoint, type TrainingState } from './checkpoint';
import type { PipelineConfig } from '../config/pipeline';
import type { RunHandle } from '../tracking/tracker';

/** The run's checkpoint folders inside its artifacts. */
export interface CheckpointPaths {
  /** `artifacts/checkpoints`: the per-epoch training checkpoint. */
  root: string;
  /** `artifacts/checkpoints/best`: the best epoch's weights, which the run's model ends up with. */
  best: string;
}

export function checkpointPaths(artifacts: string): CheckpointPaths {
  const root = join(artifacts, 'checkpoints');
  return { root, best: join(root, 'best') };
}

/**
 * What a checkpoint must match: every setting that shapes the training, not where files are
 * (data.recordings, preprocess.dir), where the run goes (tracking), the backend or the ensemble.
 */
export function trainingFingerprint(config: PipelineConfig): string {
  const { tracking: _t, evaluation: _e, ...rest } = config;
  const shaping = { ...rest, data: { ...rest.data, recordings: null }, preprocess: { ...rest.preprocess, dir: null, workers: null, strict: null }, training: { ...rest.training, backend: null } };
  return createHash('sha256').update(JSON.stringify(shaping)).digest('hex').slice(0, 16);
}

export class LoopState {
  readonly history: EpochLog[] = [];
  readonly stopper: EarlyStopping;
  readonly schedule: LearningRateSchedule;
  learningRate: number;
  /** Epochs completed: the index of the next epoch. */
  epochsDone = 0;

  constructor(private readonly t: PipelineConfig['training']) {
    this.stopper = new EarlyStopping(t.earlyStopping?.monitor ?? 'val_loss', t.earlyStopping?.patience ?? Number.POSITIVE_INFINITY, t.earlyStopping?.minDelta ?? 0);
    this.schedule = new LearningRateSchedule(t.lrSchedule);
    this.learningRate = t.optimizer.learningRate;
  }

  /** The checkpoint's view of the loop after `epochsDone` epochs, with `nextRate` for the next one. */
  snapshot(epochsDone: number, nextRate: number, fingerprint: string): TrainingState {
    return {
      format: CHECKPOINT_FORMAT, epochsDone, history: [...this.history], earlyStopping: this.stopper.snapshot(), lrSchedule: this.schedule.snapshot(),
      learningRate: nextRate, rng: { seed: this.t.seed, nextEpoch: epochsDone }, configHash: fingerprint,
    };
  }

  restore(state: TrainingState): void {
    this.history.splice(0, this.history.length, ...state.history);
    this.stopper.restore(state.earlyStopping);
    this.schedule.restore(state.lrSchedule);
    this.learningRate = state.learningRate;
    this.epochsDone = state.epochsDone;
  }
}

/** The latest checkpoint under `root`, checked against the config; a CheckpointError says why it cannot be used. */
export function checkpointFor(root: string, config: PipelineConfig): { dir: string; state: TrainingState } {
  const found = latestCheckpoint(root);
  if (!found) throw new CheckpointError(root, 'no checkpoint: the run ended before its first epoch did; train it again from the start');
  if (found.state.configHash !== trainingFingerprint(config)) {
    throw new CheckpointError(root, 'was written by a training with other settings; resume with the config that run used (its artifacts/config.json)');
  }
  return found;
}

/**
 * Put a checkpoint into a freshly built and compiled model and the loop: weights, optimizer,
 * loop state; the best epoch's weights when they live in another run; and the epochs the run
 * has no metrics for yet (a new run resuming a dead attempt gets the whole history).
 */
export async function resumeFrom(found: { dir: string; state: TrainingState }, fromRoot: string, model: tf.LayersModel, loop: LoopState, paths: CheckpointPaths, run: RunHandle): Promise<void> {
  await restoreCheckpoint(found.dir, model);
  loop.restore(found.state);
  const fromBest = join(fromRoot, 'best');
  if (fromRoot !== paths.root && existsSync(fromBest)) cpSync(fromBest, paths.best, { recursive: true });
  const logged = new Set(((await run.store.getRun(run.runId)).data.metricHistory.loss ?? []).map((m) => m.step));
  for (const e of found.state.history) {
    if (logged.has(e.epoch)) continue;
    await run.logMetrics({ loss: e.loss, accuracy: e.accuracy, val_loss: e.val_loss, val_accuracy: e.val_accuracy, epoch_seconds: e.epoch_seconds, learning_rate: e.learning_rate }, e.epoch);
  }
}
