import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import type { ProgressEvent } from '../../src/runner/execute';
import { createProgressReporter, formatElapsed, formatProgress } from '../../src/runner/progress';

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
