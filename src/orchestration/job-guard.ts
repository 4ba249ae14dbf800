/**
 * A worker runs what the queue hands it, so it trusts nothing in a job: the payload's size and
 * shape are checked, the config goes through the pipeline schema, and every path the job would
 * read or write (recordings, feature cache, tracking root) must resolve inside the roots the
 * worker was started with. A refused job is never run.
 */
import { existsSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { resolveJobConfig, type TrainingJob } from './job';
import type { PipelineConfig } from '../config/pipeline';
import { MelbookError } from '../errors';

/** Largest job payload a worker accepts, in bytes of JSON. A full config is about 4 KB. */
export const MAX_JOB_BYTES = 256 * 1024;

/** A job id: what `jobId` makes (run id, dash, hex), nothing that could name a path. */
const JOB_ID = /^[A-Za-z0-9_-]{1,160}$/;

/** A job the worker refuses to run, with the reason. */
export class JobRejectedError extends MelbookError {
  readonly jobId: string;
  constructor(jobId: string, reason: string, options?: { cause?: unknown }) {
    super(`job ${jobId} refused: ${reason}`, options);
    this.jobId = jobId;
  }
}

export interface JobGuardOptions {
  /** Absolute folders the job's paths must stay inside; relative paths in a job resolve against the first. */
  roots: readonly string[];
  /** Payload limit in bytes. Default MAX_JOB_BYTES. */
  maxBytes?: number;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The job's own id when it has a usable one, for error messages. */
function idOf(payload: unknown): string {
  return isRecord(payload) && typeof payload.id === 'string' && JOB_ID.test(payload.id) ? payload.id : '<no valid id>';
}

function checkShape(payload: unknown): asserts payload is TrainingJob {
  const id = idOf(payload);
  if (!isRecord(payload)) throw new JobRejectedError(id, 'the payload is not an object');
  if (id === '<no valid id>') throw new JobRejectedError(id, 'the id must be 1 to 160 letters, digits, - or _');
  if (!isRecord(payload.config)) throw new JobRejectedError(id, '`config` must be an object');
  if (!isRecord(payload.overrides)) throw new JobRejectedError(id, '`overrides` must be an object');
  const run = payload.run;
  if (!isRecord(run) || typeof run.parentRunId !== 'string' || typeof run.runName !== 'string' || !isRecord(run.tags)) {
    throw new JobRejectedError(id, '`run` must be { parentRunId: string, runName: string, tags: object }');
  }
  for (const [k, v] of Object.entries(run.tags)) if (typeof v !== 'string') throw new JobRejectedError(id, `tag ${k} must be a string`);
}

/** The real path of `p`, or of its nearest existing ancestor joined with the rest: symlinks cannot lead out. */
function realish(p: string): string {
  let existing = p;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  return resolve(realpathSync(existing), relative(existing, p));
}

function inside(path: string, root: string): boolean {
  const rel = relative(realish(root), realish(path));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The config keys that name a folder a job reads or writes. */
const PATH_KEYS = [['data.recordings', (c: PipelineConfig) => c.data.recordings], ['preprocess.dir', (c: PipelineConfig) => c.preprocess.dir], ['tracking.root', (c: PipelineConfig) => c.tracking.root]] as const;

/**
 * The job and its resolved config, with every path made absolute inside the roots; throws
 * JobRejectedError (never runs anything) when the payload is too big, malformed, rejected by
 * the schema, or names a path outside the roots.
 */
export function acceptJob(payload: unknown, options: JobGuardOptions): { job: TrainingJob; config: PipelineConfig } {
  const maxBytes = options.maxBytes ?? MAX_JOB_BYTES;
  const bytes = Buffer.byteLength(JSON.stringify(payload) ?? '');
  if (bytes > maxBytes) throw new JobRejectedError(idOf(payload), `the payload is ${bytes} bytes, over the limit of ${maxBytes}`);
  checkShape(payload);
  if (options.roots.length === 0) throw new MelbookError('a worker needs at least one root folder');
  let config: PipelineConfig;
  try {
    config = resolveJobConfig(payload);
  } catch (e) {
    throw new JobRejectedError(payload.id, `its config does not validate: ${(e as Error).message}`, { cause: e });
  }
  const base = resolve(options.roots[0]!);
  const absolute = PATH_KEYS.map(([key, get]) => {
    const path = resolve(base, get(config));
    if (!options.roots.some((root) => inside(path, resolve(root)))) {
      throw new JobRejectedError(payload.id, `${key} ${JSON.stringify(get(config))} resolves to ${path}, outside the worker's roots (${options.roots.join(', ')}); start the worker with --root covering it`);
    }
    return path;
  });
  const [recordings, dir, root] = absolute as [string, string, string];
  return { job: payload, config: { ...config, data: { ...config.data, recordings }, preprocess: { ...config.preprocess, dir }, tracking: { ...config.tracking, root } } };
}
