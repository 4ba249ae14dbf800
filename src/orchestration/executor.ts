/**
 * An executor decides where and when jobs run; the jobs say what to run and where their runs
 * go. `LocalExecutor` runs them on this machine; a queue-backed executor can run the same jobs
 * on other machines behind this interface.
 */
import type { JobResult, TrainingJob } from './job';

/** Notifications as jobs move; each is optional and must not throw. */
export interface JobEvents {
  /** The job began; `where` says where it runs (e.g. `in-process`, `worker thread`, a host name). */
  started?(job: TrainingJob, where: string): void;
  finished?(job: TrainingJob, result: JobResult): void;
  failed?(job: TrainingJob, error: Error): void;
}

export interface Executor {
  /**
   * True when jobs run in processes that outlive the caller (queue workers): stopping the
   * caller then leaves running jobs to finish and end their own runs.
   */
  readonly remote?: boolean;
  /** Run every job; resolves with the results in the order of `jobs`, rejects with the first failure. */
  run(jobs: readonly TrainingJob[], events?: JobEvents): Promise<JobResult[]>;
  /** Release what the executor holds (threads, connections). */
  close(): Promise<void>;
}
