/** `melbook worker`: a long-running process that trains jobs from the queue until SIGINT/SIGTERM. */
import { Option, type Command } from 'commander';
import { startQueueWorker } from '../orchestration/queue-worker';
import { collect, type RunTask } from './options';
import { MelbookError } from '../errors';

export interface WorkerCommandOptions {
  queue: string;
  concurrency: string;
  name?: string;
  root: string[];
  lockDuration: string;
}

export function registerWorkerCommand(program: Command, run: RunTask): void {
  program
    .command('worker')
    .description('take training jobs from the queue, train them, log their runs into the shared tracking root; Ctrl-C hands the current job back')
    .requiredOption('--queue <url>', 'Redis of the queue: redis://[user:password@]host[:port][/db] or rediss://')
    .option('--concurrency <n>', 'jobs trained at once, one core each', '1')
    .option('--name <name>', 'shown by the dispatcher and tagged on runs (default host-pid)')
    .addOption(new Option('--root <dir>', 'folder a job\'s paths (recordings, features, runs) must stay inside; repeatable; relative job paths resolve against the first (default: the working directory)').argParser(collect).default([]))
    .option('--lock-duration <ms>', 'how long a job stays claimed without a heartbeat: a dead worker\'s job moves on after about this long', '30000')
    .action((opts) => run(() => workerCommand(opts)));
}

export async function workerCommand(opts: WorkerCommandOptions): Promise<number> {
  const concurrency = Number(opts.concurrency);
  const lockDurationMs = Number(opts.lockDuration);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new MelbookError(`--concurrency must be a whole number >= 1, got ${JSON.stringify(opts.concurrency)}`);
  if (!Number.isInteger(lockDurationMs) || lockDurationMs < 1000) throw new MelbookError(`--lock-duration must be a whole number of ms >= 1000, got ${JSON.stringify(opts.lockDuration)}`);
  const worker = await startQueueWorker({
    url: opts.queue, concurrency, name: opts.name, roots: opts.root.length > 0 ? opts.root : undefined,
    lockDurationMs, stalledIntervalMs: Math.min(30_000, Math.max(500, Math.floor(lockDurationMs / 2))),
  });
  const stop = () => void worker.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await worker.stopped;
  console.log(`worker ${worker.name} stopped`);
  return 0;
}
