/** Experiment tracking in MLflow's file-store layout: the public surface of src/tracking. */
export { Tracker, RunHandle, withRun, type TrackerOptions, type StartRunOptions, type WithRunOptions } from './tracker';
export { FileStore, type FileStoreOptions } from './file-store';
export { newUuidHex, newIntegerExperimentId, randomRunName } from './ids';
export { LIMITS } from './limits';
export {
  RUN_STATUSES,
  RUN_STATUS_CODES,
  TERMINAL_STATUSES,
  LIFECYCLE_STAGES,
  MLFLOW_TAGS,
  ERROR_TAG,
  ERROR_ARTIFACT,
  ParamChangedError,
  type RunStatus,
  type LifecycleStage,
  type Metric,
  type Param,
  type RunTag,
  type Experiment,
  type RunInfo,
  type RunData,
  type Run,
  type CreateRunRequest,
  type TrackingStore,
} from './store';
export { storePath, validateRunId, validateExperimentId, validateKey, validateArtifactPath, pathToFileUri, type StoreLocation, type KeyKind } from './paths';
export { runInfoToYaml, experimentToYaml, parseRunMeta, parseExperimentMeta } from './yaml-meta';
export { dumpFlatMapping, type YamlValue } from './yaml-emit';
export { pythonFloatRepr, pythonStr, type LoggableValue } from './values';
export { formatRunsTable, formatRunsComparison, formatNumber, formatTime, formatDuration, shownStatus, runsToJson, type RunJson } from './format';
export { LIVENESS_TAGS, Heartbeat, livenessTags, resolveHeartbeatOptions, type HeartbeatOptions, type ResolvedHeartbeatOptions } from './heartbeat';
export { runLiveness, pidAlive, localProbe, ageText, DEFAULT_STALE_AFTER_S, DEAD_STATUS, type Liveness, type LivenessProbe } from './liveness';
