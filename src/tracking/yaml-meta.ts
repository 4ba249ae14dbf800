/**
 * The meta.yaml files of MLflow's file store, byte for byte.
 *
 * MLflow writes them with `yaml.dump(data, default_flow_style=False, allow_unicode=True,
 * sort_keys=True, Dumper=CSafeDumper)` (mlflow/utils/file_utils.py `write_yaml`): a flat block
 * mapping with keys in sorted order, `null` for None, `[]` for an empty list, and strings plain
 * when that reads back as the same string, else single-quoted, else double-quoted with escapes.
 * `dumpFlatMapping` (yaml-emit.ts) reproduces libyaml's emitter for such mappings; this module
 * builds the run and experiment dicts in MLflow's key order and reads meta.yaml back, with the
 * `yaml` package and the YAML 1.1 schema PyYAML speaks.
 */
import { parse } from 'yaml';
import { TrackingError } from '../errors';
import {
  RUN_STATUSES,
  RUN_STATUS_CODES,
  LIFECYCLE_STAGES,
  type Experiment,
  type LifecycleStage,
  type RunInfo,
  type RunStatus,
} from './store';
import { dumpFlatMapping, type YamlValue } from './yaml-emit';

/** MLflow's `SourceType.LOCAL`, the constant `source_type` of every file-store run. */
export const SOURCE_TYPE_LOCAL = 4;

/** The dict MLflow persists for a run (`_make_persisted_run_info_dict`), keys in write order. */
export function runMetaEntries(info: RunInfo): Record<string, YamlValue> {
  return {
    artifact_uri: info.artifactUri,
    end_time: info.endTime,
    entry_point_name: '',
    experiment_id: info.experimentId,
    lifecycle_stage: info.lifecycleStage,
    run_id: info.runId,
    run_name: info.runName,
    run_uuid: info.runId,
    source_name: '',
    source_type: SOURCE_TYPE_LOCAL,
    source_version: '',
    start_time: info.startTime,
    status: RUN_STATUS_CODES[info.status],
    tags: [],
    user_id: info.userId,
  };
}

/** The dict MLflow persists for an experiment (`dict(experiment)` without `tags`). */
export function experimentMetaEntries(exp: Experiment): Record<string, YamlValue> {
  return {
    artifact_location: exp.artifactLocation,
    creation_time: exp.creationTime,
    experiment_id: exp.experimentId,
    last_update_time: exp.lastUpdateTime,
    lifecycle_stage: exp.lifecycleStage,
    name: exp.name,
  };
}

export function runInfoToYaml(info: RunInfo): string {
  return dumpFlatMapping(runMetaEntries(info));
}

export function experimentToYaml(exp: Experiment): string {
  return dumpFlatMapping(experimentMetaEntries(exp));
}

/** Reads a run meta.yaml (ours or MLflow's, including legacy integer experiment ids). */
export function parseRunMeta(text: string, file: string): RunInfo {
  const m = parseMapping(text, file);
  const status = m.status === undefined || m.status === null ? 1 : Number(m.status);
  const statusName = RUN_STATUSES.find((s) => RUN_STATUS_CODES[s] === status);
  if (!statusName) throw new TrackingError(`${file}: unknown run status ${String(m.status)}; expected 1-5`);
  const runId = String(m.run_id ?? m.run_uuid ?? '');
  return {
    runId,
    runName: m.run_name === null || m.run_name === undefined ? '' : String(m.run_name),
    experimentId: requireString(m, 'experiment_id', file),
    userId: m.user_id === null || m.user_id === undefined ? '' : String(m.user_id),
    status: statusName as RunStatus,
    startTime: requireTime(m, 'start_time', file) ?? 0,
    endTime: requireTime(m, 'end_time', file),
    artifactUri: m.artifact_uri === null || m.artifact_uri === undefined ? '' : String(m.artifact_uri),
    lifecycleStage: lifecycle(m.lifecycle_stage, file),
  };
}

/** Reads an experiment meta.yaml; `tags` come from the tags/ folder and start empty here. */
export function parseExperimentMeta(text: string, file: string): Experiment {
  const m = parseMapping(text, file);
  return {
    experimentId: requireString(m, 'experiment_id', file),
    name: requireString(m, 'name', file),
    artifactLocation: m.artifact_location === null || m.artifact_location === undefined ? '' : String(m.artifact_location),
    lifecycleStage: lifecycle(m.lifecycle_stage, file),
    creationTime: requireTime(m, 'creation_time', file),
    lastUpdateTime: requireTime(m, 'last_update_time', file),
    tags: {},
  };
}

function parseMapping(text: string, file: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parse(text, { schema: 'yaml-1.1', intAsBigInt: true });
  } catch (err) {
    throw new TrackingError(`${file}: not valid YAML (${(err as Error).message})`, { cause: err });
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new TrackingError(`${file}: expected a YAML mapping, found ${doc === null ? 'nothing' : typeof doc}`);
  }
  return doc as Record<string, unknown>;
}

function requireString(m: Record<string, unknown>, key: string, file: string): string {
  const v = m[key];
  if (v === undefined || v === null) throw new TrackingError(`${file}: missing ${key}`);
  return String(v); // legacy files stored experiment_id as an int; a bigint keeps every digit
}

function requireTime(m: Record<string, unknown>, key: string, file: string): number | null {
  const v = m[key];
  if (v === undefined || v === null) return null;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new TrackingError(`${file}: ${key} is ${String(v)}, expected milliseconds since the epoch`);
  return n;
}

function lifecycle(v: unknown, file: string): LifecycleStage {
  if (v === undefined || v === null) return 'active'; // as MLflow's _read_persisted_run_info_dict
  const s = String(v);
  if (!(LIFECYCLE_STAGES as readonly string[]).includes(s)) {
    throw new TrackingError(`${file}: lifecycle_stage ${JSON.stringify(s)}; expected one of ${LIFECYCLE_STAGES.join(', ')}`);
  }
  return s as LifecycleStage;
}
