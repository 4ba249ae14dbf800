import assert from 'node:assert/strict';
import { test } from 'node:test';
import { median, ratioSpread, spread, stepsPerEpoch, torchEpochSeconds, type TorchRun, type Yardstick } from '../../bench/peers';

/** A yardstick run with only the figures these helpers read. */
function torchRun(epochSeconds: number[], median: number): TorchRun {
  return {
    files: 3000, prep_s: 1, prep_files_per_s: 3000, epoch_s_median: median, epochs: epochSeconds.length,
    test_acc: 0.9, threads: 2, infer_300_s: 0.05, torch: '1.13', peak_rss_mb: 400, epoch_s: epochSeconds,
  };
}

test('median takes the middle value, or the mean of the two middle values', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});

test('spread prints the median with the min and max, and n/a for no sample', () => {
  assert.equal(spread([5.25, 4, 9]), '5.25 (4.00-9.00)');
  assert.equal(spread([12.34, 10.01, 15.55], 1), '12.3 (10.0-15.6)');
  assert.equal(spread([]), 'n/a');
});

test('ratioSpread is the ratio of the medians, ranged by the extreme pairings', () => {
  // medians 20 / 5 = 4; lowest 10 / 8, highest 30 / 4.
  assert.equal(ratioSpread([10, 20, 30], [4, 5, 8]), '4.00 (1.25-7.50)');
  assert.equal(ratioSpread([2], [1]), '2.00 (2.00-2.00)');
});

test('ratioSpread is n/a when either side has no measurement', () => {
  assert.equal(ratioSpread([1, 2, 3], []), 'n/a');
  assert.equal(ratioSpread([], [1, 2, 3]), 'n/a');
});

test('an epoch of 2,700 clips is 85 steps at batch 32 (the last one partial) and 169 at batch 16', () => {
  assert.equal(stepsPerEpoch(2700, 32), 85);
  assert.equal(stepsPerEpoch(2700, 16), 169);
  assert.equal(stepsPerEpoch(64, 32), 2);
});

test("the yardstick's epochs pool every epoch of every run, in run order", () => {
  const yard: Yardstick = { epochs: 2, threads: 2, runs: [torchRun([5.1, 4.9], 4.9), torchRun([6.0, 5.5], 5.5)], problems: [] };
  assert.deepEqual(torchEpochSeconds(yard), [5.1, 4.9, 6.0, 5.5]);
});

test("a yardstick run without per-epoch seconds counts with its own median", () => {
  const yard: Yardstick = { epochs: 3, threads: 2, runs: [torchRun([], 4.8), torchRun([5.0, 5.2], 5.2)], problems: [] };
  assert.deepEqual(torchEpochSeconds(yard), [4.8, 5.0, 5.2]);
});

test('a yardstick that cannot run gives no epochs, so every ratio is n/a', () => {
  const yard: Yardstick = { epochs: 3, threads: 2, unavailable: 'python3-torch not installed', runs: [], problems: [] };
  assert.deepEqual(torchEpochSeconds(yard), []);
  assert.equal(ratioSpread([100, 110, 120], torchEpochSeconds(yard)), 'n/a');
});
