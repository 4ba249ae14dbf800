/**
 * A runner in a child process, for the cleanup tests: executes a notebook and, when its
 * second code cell starts, prints `kernel <pid>` on stdout. With `throw` as third argument it
 * then dies of an uncaught exception; otherwise it waits for the test to signal it.
 */
import { executeNotebook } from '../../../src/runner/execute';
import { liveKernelPids } from '../../../src/runner/kernel';

const [input, output, mode] = process.argv.slice(2);
executeNotebook(input, output, {
  onProgress: (event) => {
    if (event.phase !== 'cell-start' || event.cell !== 2) return;
    process.stdout.write(`kernel ${liveKernelPids().join(',')}\n`);
    if (mode === 'throw') setTimeout(() => { throw new Error('uncaught in the runner'); }, 50);
  },
}).then(() => process.stdout.write('finished\n'));
