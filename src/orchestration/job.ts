/**
 * A training job: everything one training run needs, as plain JSON, so the same job can run
 * in-process, in a worker thread or on another machine through a queue. A job names the run
 * it makes (parent run, run name, tags) and has a stable id, so running it twice can find the
 * first run instead of training again (`runJob`).
 */
import { createHash } from 'node:crypto';
import { PipelineConfigSchema, type PipelineConfig } from '../config/pipeline';
import { validate } from '../config/load';
import { ConfigError } from '../errors';

/** A value a dotted-path override may set: what a YAML scalar or a flat list can hold. */
export type OverrideValue = string | number | boolean | null | (string | number)[];

/** Dotted-path overrides, e.g. `{ 'split.testSpeaker': 'george', 'training.seed': 3 }`. */
export type ConfigOverrides = Record<string, OverrideValue>;

/** One independent training job: plain JSON, safe to send over a queue. */
export interface TrainingJob {
  /** Stable id: `${parentRunId}-${16 hex of sha256(canonical JSON of {overrides, role})}`; same parent + same content = same id. */
  id: string;
  /** The full config document (the parsed PipelineConfig as plain JSON) the job starts from. */
  config: PipelineConfig;
  /** Dotted-path overrides applied on top of `config`, validated by the config schema before anything runs. */
  overrides: ConfigOverrides;
  /** Where the job's run goes. */
  run: { parentRunId: string; runName: string; tags: Record<string, string> };
}

/** A trained model's score on one `evaluation.external` folder, as `melbook sweep --select-on` ranks it. */
export interface ExternalScore {
  /** The folder's metric-key-safe name (`externalSetName`). */
  name: string;
  /** Accuracy over the folder's clips, 0..1. */
  accuracy: number;
  /** The lowest accuracy of one of its groups (voices, else sub-folders), 0..1. */
  minGroupAccuracy: number;
}

/** What a finished job reports back: its run and the test split's result. */
export interface JobResult {
  jobId: string;
  runId: string;
  /** Test accuracy, 0..1. */
  accuracy: number;
  /** Test clips. */
  count: number;
  /** Epochs trained. */
  epochs: number;
  /** Median seconds per epoch. */
  epochSecondsMedian: number;
  /** One per `evaluation.external` folder the run was scored on, in the config's order. */
  external?: ExternalScore[];
}

/** Hex digits of the content hash in a job id: 64 bits, no collision among a parent's jobs in practice. */
const ID_HEX_DIGITS = 16;

/** `${parentRunId}-${hash}` of `content`'s canonical JSON (keys sorted), so key order does not change the id. */
export function jobId(parentRunId: string, content: unknown): string {
  const hash = createHash('sha256').update(canonicalJson(content)).digest('hex');
  return `${parentRunId}-${hash.slice(0, ID_HEX_DIGITS)}`;
}

/**
 * A job of `role` (what the job is for, e.g. `loso-fold`: two roles with the same overrides
 * are different jobs). The run name is the override `tracking.runName` when given.
 */
export function trainingJob(spec: {
  role: string;
  config: PipelineConfig;
  overrides: ConfigOverrides;
  parentRunId: string;
  tags?: Record<string, string>;
}): TrainingJob {
  const { role, config, overrides, parentRunId } = spec;
  const runName = typeof overrides['tracking.runName'] === 'string' ? overrides['tracking.runName'] : (config.tracking.runName ?? role);
  return { id: jobId(parentRunId, { overrides, role }), config, overrides, run: { parentRunId, runName, tags: { ...spec.tags } } };
}

/** The config the job trains with: its overrides applied through the schema. */
export function resolveJobConfig(job: TrainingJob): PipelineConfig {
  return applyConfigOverrides(job.config, job.overrides);
}

/**
 * `config` with each dotted path set to its value, validated by the pipeline schema: a bad
 * value throws a ConfigError naming the path.
 */
export function applyConfigOverrides(config: PipelineConfig, overrides: ConfigOverrides): PipelineConfig {
  const root: Record<string, unknown> = structuredClone(config);
  for (const [path, value] of Object.entries(overrides)) {
    const keys = path.split('.');
    if (keys.some((k) => k === '' || k === '__proto__' || k === 'constructor' || k === 'prototype')) {
      throw new ConfigError(path, value, 'a dotted path of plain keys, e.g. training.seed');
    }
    let node = root;
    for (const key of keys.slice(0, -1)) {
      const next = node[key];
      if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[keys[keys.length - 1]] = value;
  }
  return validate(root, PipelineConfigSchema);
}

/** JSON with object keys sorted at every level. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
