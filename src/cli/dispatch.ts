/**
 * How `train`, `evaluate` and `sweep` pick their executor: the queue with `--queue`, else the
 * local pool; and what Ctrl-C does while the queue runs: the jobs no worker has started are
 * taken off the queue (the parent run ends KILLED through withRun); running jobs finish on their
 * workers, and `--resume PARENT_RUN_ID` collects them later.
 */
import { QueueExecutor } from '../orchestration/queue-executor';
import { parseQueueUrl } from '../orchestration/queue-url';
import { MelbookError } from '../errors';

export interface DispatchFlags {
  queue?: string;
  attempts?: string;
}

/** The queue executor the flags ask for, checked before anything runs; undefined for local runs. */
export function queueExecutorOf(flags: DispatchFlags, log: (line: string) => void = (l) => console.log(l)): QueueExecutor | undefined {
  if (flags.queue === undefined) return undefined;
  parseQueueUrl(flags.queue);
  const attempts = Number(flags.attempts ?? 2);
  if (!Number.isInteger(attempts) || attempts < 1) throw new MelbookError(`--attempts must be a whole number >= 1, got ${JSON.stringify(flags.attempts)}`);
  return new QueueExecutor({ url: flags.queue, attempts, log });
}

/** Run `work` with the queue's waiting jobs removed on SIGINT/SIGTERM; closes the executor after. */
export async function withQueue<T>(executor: QueueExecutor | undefined, work: () => Promise<T>): Promise<T> {
  if (!executor) return work();
  const onSignal = (signal: NodeJS.Signals) => {
    executor
      .cancel()
      .then((removed) => console.error(`melbook: ${signal}: ${removed.length} waiting job(s) removed from the queue; running jobs finish on their workers (collect them with --resume)`))
      .catch((e: Error) => console.error(`melbook: ${signal}: could not remove the waiting jobs: ${e.message}`))
      .finally(() => {
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work();
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await executor.close();
  }
}
