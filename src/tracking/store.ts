/**
 * The tracking store contract: what a backend must do to hold experiments and runs, after
 * MLflow's `AbstractStore` (mlflow/store/tracking/abstract_store.py), reduced to what melbook
 * uses. `FileStore` (file-store.ts) implements it in MLflow's on-disk layout; `Tracker`
 * (tracker.ts) is the facade notebooks and stages call.
 */

import { TrackingError } from '../errors';

/**
 * Logging a param that already holds a different value (MLflow params are immutable).
 * Logging the same value again is allowed.
 */
export class ParamChangedError extends TrackingError {
  readonly runId: string;
  readonly key: string;
  readonly oldValue: string;
  readonly newValue: string;
  constructor(runId: string, key: string, oldValue: string, newValue: string) {
    super(
      `run ${runId}: param ${JSON.stringify(key)} was already logged as ${JSON.stringify(oldValue)} and cannot change to ${JSON.stringify(newValue)}; ` +
        'params are immutable, so log it under another key or start a new (nested) run',
    );
    this.runId = runId;
    this.key = key;
    this.oldValue = oldValue;
    this.newValue = newValue;
  }
}

/** Run statuses in MLflow's proto order; the meta.yaml stores `RUN_STATUS_CODES[status]`. */
export const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/** Integer MLflow writes as `status:` in a run's meta.yaml (service.proto `RunStatus`). */
export const RUN_STATUS_CODES: Readonly<Record<RunStatus, number>> = {
  RUNNING: 1,
  SCHEDULED: 2,
  FINISHED: 3,
  FAILED: 4,
  KILLED: 5,
};
/** Statuses after which a run has an end time (`RunStatus.is_terminated`). */
export const TERMINAL_STATUSES: readonly RunStatus[] = ['FINISHED', 'FAILED', 'KILLED'];

export const LIFECYCLE_STAGES = ['active', 'deleted'] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

/** Tag keys MLflow gives a meaning to (mlflow/utils/mlflow_tags.py). */
export const MLFLOW_TAGS = {
  runName: 'mlflow.runName',
  parentRunId: 'mlflow.parentRunId',
  user: 'mlflow.user',
  sourceName: 'mlflow.source.name',
  sourceType: 'mlflow.source.type',
  gitCommit: 'mlflow.source.git.commit',
} as const;

/** Tag melbook sets on a run whose code threw: `<ErrorName>: <message>`. */
export const ERROR_TAG = 'melbook.error';
/** Artifact melbook writes with the stack of the error that failed a run. */
export const ERROR_ARTIFACT = 'error.txt';

/** One logged value of a metric. */
export interface Metric {
  key: string;
  value: number;
  /** Milliseconds since the Unix epoch. */
  timestamp: number;
  /** Integer step (epoch, batch, ...); MLflow's default is 0. */
  step: number;
}

export interface Param {
  key: string;
  value: string;
}

export interface RunTag {
  key: string;
  value: string;
}

export interface Experiment {
  /** A string: `0` for the Default experiment, 18 random digits for the others (MLflow). */
  experimentId: string;
  name: string;
  /** `file://` URI under which the runs' artifacts live. */
  artifactLocation: string;
  lifecycleStage: LifecycleStage;
  /** Milliseconds since the Unix epoch; null in experiments written before MLflow 1.29. */
  creationTime: number | null;
  lastUpdateTime: number | null;
  tags: Record<string, string>;
}

export interface RunInfo {
  /** 32 lowercase hex digits. */
  runId: string;
  runName: string;
  experimentId: string;
  userId: string;
  status: RunStatus;
  /** Milliseconds since the Unix epoch. */
  startTime: number;
  /** Milliseconds since the Unix epoch; null while the run is not terminated. */
  endTime: number | null;
  artifactUri: string;
  lifecycleStage: LifecycleStage;
}

export interface RunData {
  params: Record<string, string>;
  tags: Record<string, string>;
  /** Latest value of each metric: the largest (step, timestamp, value), as MLflow picks it. */
  metrics: Record<string, Metric>;
  /** Every logged value of each metric, in logging order. */
  metricHistory: Record<string, Metric[]>;
}

export interface Run {
  info: RunInfo;
  data: RunData;
}

export interface CreateRunRequest {
  /** Experiment the run belongs to; it must exist and be active. */
  experimentId: string;
  userId: string;
  /** Milliseconds since the Unix epoch. */
  startTime: number;
  /** Run name; default the `mlflow.runName` tag, or a random `adjective-noun-123` name. */
  runName?: string;
  /** Tags set when the run is created (the store adds `mlflow.runName`). */
  tags?: RunTag[];
}

/** A backend for experiments and runs. Every method validates ids before touching storage. */
export interface TrackingStore {
  /** Creates an experiment and returns its id; a TrackingError if the name is taken. */
  createExperiment(name: string, tags?: RunTag[]): Promise<string>;
  /** The experiment with that id (active or deleted); a TrackingError if there is none. */
  getExperiment(experimentId: string): Promise<Experiment>;
  /** The experiment with that name (active or deleted), or undefined. */
  getExperimentByName(name: string): Promise<Experiment | undefined>;
  /** Active experiments, newest first (ties by id). */
  listExperiments(): Promise<Experiment[]>;
  createRun(request: CreateRunRequest): Promise<RunInfo>;
  /** Sets the status and end time (and optionally the name) of an active run. */
  updateRunInfo(runId: string, status: RunStatus, endTime: number | null, runName?: string): Promise<RunInfo>;
  /**
   * Logs params (immutable once logged), appends metric values and sets tags of an active run.
   * Limits as MLflow: 1000 metrics, 100 params, 100 tags per batch.
   */
  logBatch(runId: string, metrics: Metric[], params: Param[], tags: RunTag[]): Promise<void>;
  getRun(runId: string): Promise<Run>;
  /** Active runs of an experiment, newest first. */
  listRuns(experimentId: string): Promise<Run[]>;
  /** Absolute local folder of the run's artifacts (created if missing). */
  artifactDir(runId: string): Promise<string>;
}
