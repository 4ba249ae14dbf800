/**
 * Per-epoch bookkeeping of training, as plain logic the training loop calls after each epoch:
 * early stopping, learning-rate schedules and best-epoch tracking. No tensors, so it is tested
 * without a model.
 */
import type { TrainingConfig } from '../config/schema';

export interface EpochLog {
  epoch: number;
  loss: number;
  accuracy: number;
  val_loss: number;
  val_accuracy: number;
  epoch_seconds: number;
  learning_rate: number;
}

type Monitor = 'val_loss' | 'val_accuracy';

/** Tracks the best epoch and says when to stop. */
export class EarlyStopping {
  best = Number.NaN;
  bestEpoch = -1;
  private wait = 0;
  constructor(
    readonly monitor: Monitor,
    readonly patience: number,
    readonly minDelta = 0,
  ) {}

  /** Record an epoch; returns whether it is the best so far. */
  update(log: EpochLog): boolean {
    const value = log[this.monitor];
    const better = Number.isNaN(this.best) || (this.monitor === 'val_loss' ? value < this.best - this.minDelta : value > this.best + this.minDelta);
    if (better) {
      this.best = value;
      this.bestEpoch = log.epoch;
      this.wait = 0;
    } else {
      this.wait += 1;
    }
    return better;
  }

  get shouldStop(): boolean {
    return Number.isFinite(this.patience) && this.wait >= this.patience;
  }

  /** The state a checkpoint keeps (NaN as null: JSON has no NaN). */
  snapshot(): { best: number | null; bestEpoch: number; wait: number } {
    return { best: Number.isNaN(this.best) ? null : this.best, bestEpoch: this.bestEpoch, wait: this.wait };
  }

  restore(state: { best: number | null; bestEpoch: number; wait: number }): void {
    this.best = state.best ?? Number.NaN;
    this.bestEpoch = state.bestEpoch;
    this.wait = state.wait;
  }
}

/** Learning rate for the next epoch under the configured schedule (or unchanged). */
export class LearningRateSchedule {
  private sinceBest = 0;
  private bestLoss = Number.POSITIVE_INFINITY;
  constructor(private readonly spec: TrainingConfig['lrSchedule']) {}

  /** The state a checkpoint keeps (Infinity as null: JSON has no Infinity). */
  snapshot(): { sinceBest: number; bestLoss: number | null } {
    return { sinceBest: this.sinceBest, bestLoss: Number.isFinite(this.bestLoss) ? this.bestLoss : null };
  }

  restore(state: { sinceBest: number; bestLoss: number | null }): void {
    this.sinceBest = state.sinceBest;
    this.bestLoss = state.bestLoss ?? Number.POSITIVE_INFINITY;
  }

  next(current: number, log: EpochLog): number {
    const s = this.spec;
    if (!s) return current;
    if (s.type === 'step') {
      return (log.epoch + 1) % s.everyEpochs === 0 ? Math.max(s.minLearningRate, current * s.factor) : current;
    }
    if (log.val_loss < this.bestLoss) {
      this.bestLoss = log.val_loss;
      this.sinceBest = 0;
      return current;
    }
    this.sinceBest += 1;
    if (this.sinceBest >= s.patience) {
      this.sinceBest = 0;
      return Math.max(s.minLearningRate, current * s.factor);
    }
    return current;
  }
}

/** One progress line per epoch. */
export function formatEpochLine(log: EpochLog, epochs: number): string {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : 'nan');
  return `epoch ${String(log.epoch + 1).padStart(String(epochs).length)}/${epochs}  loss ${f(log.loss)}  acc ${f(log.accuracy)}  val_loss ${f(log.val_loss)}  val_acc ${f(log.val_accuracy)}  ${log.epoch_seconds.toFixed(1)} s  lr ${log.learning_rate.toExponential(2)}`;
}
