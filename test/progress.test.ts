import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { describe, test } from 'node:test';
import {
  RateMeter, createDownloadProgress, createProgress, createProgressReporter, formatCount, formatElapsed, formatProgress,
  type ProgressEvent,
} from '../src/progress';

const event = (over: Partial<ProgressEvent>): ProgressEvent =>
  ({ notebook: '/x/notebooks/train.ipynb', phase: 'cell-start', cell: 3, cells: 12, cellIndex: 5, elapsedMs: 41_000, ...over });

function capture(tty: boolean) {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream;
  let text = '';
  (stream as unknown as PassThrough).on('data', (chunk) => { text += chunk; });
  return { reporter: createProgressReporter({ stream, tty, tickMs: 10_000 }), read: () => text };
}

test('elapsed time reads as m:ss, and h:mm:ss past an hour', () => {
  assert.equal(formatElapsed(0), '0:00');
  assert.equal(formatElapsed(41_999), '0:41');
  assert.equal(formatElapsed(61_000), '1:01');
  assert.equal(formatElapsed(3_723_000), '1:02:03');
});

test('a progress line names the notebook, the cell out of the code cells, and the elapsed time', () => {
  assert.equal(formatProgress(event({})), 'train.ipynb  cell 3/12  0:41');
  assert.equal(formatProgress(event({ phase: 'start', cell: 0, elapsedMs: 0 })), 'train.ipynb  starting kernel  0:00');
  assert.equal(formatProgress(event({ phase: 'end', cell: 12, status: 'completed' })), 'train.ipynb  cell 12/12  0:41  completed');
  assert.equal(formatProgress(event({ summary: 'const history = await train(model)' })), 'train.ipynb  cell 3/12  0:41  const history = await train(model)', 'the running cell named by its code');
  assert.equal(formatProgress(event({ phase: 'end', cell: 12, status: 'completed', summary: 'x' })), 'train.ipynb  cell 12/12  0:41  completed', 'not at the end');
});

test('without a TTY the reporter prints plain lines, one per cell start, with no control characters', () => {
  const { reporter, read } = capture(false);
  reporter.onProgress(event({ phase: 'start', cell: 0, elapsedMs: 0 }));
  reporter.onProgress(event({ cell: 1, elapsedMs: 5_000 }));
  reporter.onProgress(event({ phase: 'cell-end', cell: 1, elapsedMs: 6_000, status: 'completed' }));
  reporter.onProgress(event({ phase: 'end', cell: 12, elapsedMs: 7_000, status: 'completed' }));
  assert.equal(read(), 'train.ipynb  starting kernel  0:00\ntrain.ipynb  cell 1/12  0:05\ntrain.ipynb  cell 12/12  0:07  completed\n');
});

test('on a TTY the reporter redraws one line in place and ends it with a newline', () => {
  const { reporter, read } = capture(true);
  reporter.onProgress(event({ cell: 1, elapsedMs: 1_000 }));
  reporter.onProgress(event({ phase: 'end', cell: 12, elapsedMs: 2_000, status: 'completed' }));
  assert.equal(read(), '\r\x1b[2Ktrain.ipynb  cell 1/12  0:01\r\x1b[2Ktrain.ipynb  cell 12/12  0:02  completed\n');
});

describe('createDownloadProgress', () => {
  test('writes plain lines with bytes, rate and ETA when the stream is not a TTY', () => {
    let text = '';
    const stream = new Writable({
      write(chunk, _encoding, callback) {
        text += String(chunk);
        callback();
      },
    }) as unknown as NodeJS.WriteStream;
    const reporter = createDownloadProgress(stream, { label: 'FSDD', logIntervalSeconds: 0 });
    reporter.onProgress({ receivedBytes: 2_500_000, totalBytes: 10_000_000, bytesPerSecond: 1_250_000 });
    reporter.stop();
    assert.equal(text, 'FSDD: 2.5 MB / 10.0 MB | 1.3 MB/s | ETA 6s\nFSDD: downloaded 2.5 MB at 1.3 MB/s\n');
  });
});


describe('counted items', () => {
  test('a rate needs counts spread over at least a second: a cached run reports none', () => {
    const meter = new RateMeter(10, 1);
    meter.add(0, 0);
    meter.add(3000, 2);
    assert.equal(meter.rate(), undefined, '3000 files in 2 ms is not 1.5 million files/s');
    meter.add(3000, 1002);
    assert.equal(meter.rate(), 3000 / 1.002);
  });

  test('the rate looks only at the last window of counts', () => {
    const meter = new RateMeter(10, 1);
    meter.add(0, 0);
    meter.add(1000, 1000); // a fast cached start
    for (let s = 2; s <= 30; s++) meter.add(1000 + (s - 1) * 5, s * 1000); // then 5 files/s
    assert.ok(Math.abs(meter.rate()! - 5) < 1e-9, `rate ${meter.rate()}`);
  });

  test('a count line shows the rate and ETA only once there is a rate', () => {
    assert.equal(formatCount(3, 12, 'files', undefined), '3/12 files');
    assert.equal(formatCount(3, 12, 'files', 1.5, '(1 skipped)'), '3/12 files | 1.5 files/s | ETA 6s (1 skipped)');
  });

  test('without a TTY the item reporter prints the first update, the last, and the stop message', () => {
    let text = '';
    const stream = new Writable({ write(chunk, _encoding, callback) { text += String(chunk); callback(); } }) as unknown as NodeJS.WriteStream;
    const progress = createProgress('preprocess', 3, { stream, tty: false, intervalS: 60 });
    progress.update(1);
    progress.update(2);
    progress.update(3, '(1 skipped)');
    progress.stop('done');
    progress.stop('done');
    assert.equal(text, 'preprocess: 1/3 files\npreprocess: 3/3 files (1 skipped)\ndone\n');
  });

  test('without a TTY a line is printed at least every intervalS seconds, even without updates', async () => {
    let text = '';
    const stream = new Writable({ write(chunk, _encoding, callback) { text += String(chunk); callback(); } }) as unknown as NodeJS.WriteStream;
    const progress = createProgress('train', 10, { stream, tty: false, intervalS: 0.05 });
    progress.update(1);
    await new Promise((resolve) => setTimeout(resolve, 180));
    progress.stop();
    const lines = text.split('\n').filter(Boolean);
    assert.ok(lines.length >= 3, `expected a heartbeat line every 50 ms, got ${JSON.stringify(lines)}`);
    assert.ok(lines.every((line) => line.startsWith('train: 1/10 files')), JSON.stringify(lines));
  });
});
