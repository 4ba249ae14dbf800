import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EarlyStopping, LearningRateSchedule, formatEpochLine, type EpochLog } from '../../src/train/callbacks';

const log = (epoch: number, val_loss: number, val_accuracy = 0.5): EpochLog => ({ epoch, loss: 1, accuracy: 0.5, val_loss, val_accuracy, epoch_seconds: 1, learning_rate: 1e-3 });

test('early stopping waits `patience` epochs without improvement, then stops', () => {
  const s = new EarlyStopping('val_loss', 2);
  assert.equal(s.update(log(0, 1.0)), true);
  assert.equal(s.update(log(1, 0.8)), true);
  assert.equal(s.update(log(2, 0.9)), false);
  assert.equal(s.shouldStop, false);
  assert.equal(s.update(log(3, 0.85)), false);
  assert.equal(s.shouldStop, true);
  assert.equal(s.bestEpoch, 1);
  assert.equal(s.best, 0.8);
});

test('val_accuracy is maximised and minDelta ignores tiny gains', () => {
  const s = new EarlyStopping('val_accuracy', 1, 0.01);
  s.update(log(0, 1, 0.9));
  assert.equal(s.update(log(1, 1, 0.905)), false, 'a gain below minDelta does not count');
  assert.equal(s.shouldStop, true);
});

test('without patience it never stops but still tracks the best epoch', () => {
  const s = new EarlyStopping('val_loss', Number.POSITIVE_INFINITY);
  for (let e = 0; e < 10; e++) s.update(log(e, 1 + e));
  assert.equal(s.shouldStop, false);
  assert.equal(s.bestEpoch, 0);
});

test('a step schedule multiplies the rate every N epochs, down to the floor', () => {
  const s = new LearningRateSchedule({ type: 'step', factor: 0.5, everyEpochs: 2, patience: 2, minLearningRate: 0.2 });
  let lr = 1;
  const seen = [];
  for (let e = 0; e < 6; e++) seen.push((lr = s.next(lr, log(e, 1))));
  assert.deepEqual(seen, [1, 0.5, 0.5, 0.25, 0.25, 0.2]);
});

test('a plateau schedule lowers the rate after `patience` epochs without a better val_loss', () => {
  const s = new LearningRateSchedule({ type: 'plateau', factor: 0.1, everyEpochs: 5, patience: 2, minLearningRate: 0 });
  let lr = 1;
  lr = s.next(lr, log(0, 1.0));
  lr = s.next(lr, log(1, 1.1));
  assert.equal(lr, 1);
  lr = s.next(lr, log(2, 1.2));
  assert.ok(Math.abs(lr - 0.1) < 1e-12);
});

test('no schedule keeps the rate', () => {
  assert.equal(new LearningRateSchedule(null).next(0.01, log(3, 1)), 0.01);
});

test('the epoch line shows the epoch of the total and every metric', () => {
  const line = formatEpochLine(log(2, 0.3, 0.9), 15);
  assert.match(line, /^epoch  3\/15 +loss 1\.0000 +acc 0\.5000 +val_loss 0\.3000 +val_acc 0\.9000 +1\.0 s +lr 1\.00e-3$/);
});
