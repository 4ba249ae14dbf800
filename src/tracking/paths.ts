/**
 * Every path inside a tracking store is built here, and only after the ids and keys that become
 * path segments have been validated. The rules follow MLflow's `mlflow/utils/validation.py`
 * (see docs/mlflow-file-store.md); run ids are stricter (32 lowercase hex digits, the
 * `uuid.uuid4().hex` form MLflow's file store creates).
 */
import * as path from 'node:path';
import { TrackingError } from '../errors';

/** Folder names of MLflow's file store (`FileStore.*_FOLDER_NAME`). */
export const TRASH_FOLDER = '.trash';
export const META_FILE = 'meta.yaml';
export const RUN_FOLDERS = ['metrics', 'params', 'tags', 'artifacts'] as const;
export type RunFolder = (typeof RUN_FOLDERS)[number];
/** Folders inside an experiment folder that are not runs (`RESERVED_EXPERIMENT_FOLDERS`). */
export const RESERVED_EXPERIMENT_FOLDERS = ['tags', 'datasets', 'traces'] as const;
/** Folders directly under the root that are not experiments (the trash and the model registry). */
export const NON_EXPERIMENT_ROOT_FOLDERS = [TRASH_FOLDER, 'models'] as const;

/** What a key names, for error messages: `Invalid metric name: ...`. */
export type KeyKind = 'metric' | 'param' | 'tag';

/** Longest metric, param or tag key MLflow accepts (`MAX_ENTITY_KEY_LENGTH`). */
export const MAX_KEY_LENGTH = 250;

const RUN_ID = /^[0-9a-f]{32}$/;
// MLflow: ^[a-zA-Z0-9][\w\-]{0,63}$ ; we keep \w to ASCII, which is stricter.
const EXPERIMENT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
// MLflow: ^[/\w.\- ]*$ with Python's Unicode \w (letters, numbers, underscore).
const KEY_CHARS = /^[/\p{L}\p{N}_.\- ]*$/u;

/** Throws unless `runId` is 32 lowercase hex digits (a uuid4 without dashes). */
export function validateRunId(runId: string): void {
  if (typeof runId !== 'string' || !RUN_ID.test(runId)) {
    throw new TrackingError(
      `invalid run id ${JSON.stringify(runId)}: expected 32 lowercase hex digits (uuid4 without dashes), as MLflow creates`,
    );
  }
}

/** Throws unless `experimentId` is 1-64 ASCII letters, digits, `_` or `-`, starting alphanumeric. */
export function validateExperimentId(experimentId: string): void {
  if (typeof experimentId !== 'string' || !EXPERIMENT_ID.test(experimentId)) {
    throw new TrackingError(
      `invalid experiment id ${JSON.stringify(experimentId)}: expected 1-64 letters, digits, '_' or '-', starting with a letter or digit`,
    );
  }
}

/**
 * Throws unless `key` is a valid metric/param/tag key: alphanumerics, `_`, `-`, `.`, spaces and
 * `/`; at most 250 characters; and unchanged by POSIX path normalisation, so it never escapes its
 * folder (`..`), never starts with `/`, and `a//b`, `a/./b`, `a/` are refused (MLflow's
 * `path_not_unique`).
 */
export function validateKey(kind: KeyKind, key: string): void {
  if (typeof key !== 'string') {
    throw new TrackingError(`invalid ${kind} name: got ${String(key)}; a key name must be provided`);
  }
  if (!KEY_CHARS.test(key)) {
    throw new TrackingError(
      `invalid ${kind} name ${JSON.stringify(key)}: names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ) and slashes (/)`,
    );
  }
  const norm = pythonNormpath(key);
  if (norm !== key || norm === '.' || norm.startsWith('..') || norm.startsWith('/')) {
    throw new TrackingError(
      `invalid ${kind} name ${JSON.stringify(key)}: names are used as file paths and must not resolve to another name (this one resolves to ${JSON.stringify(norm)})`,
    );
  }
  if (key.length > MAX_KEY_LENGTH) {
    throw new TrackingError(`invalid ${kind} name ${JSON.stringify(key.slice(0, 40))}...: ${key.length} characters, the limit is ${MAX_KEY_LENGTH}`);
  }
}

/**
 * Throws unless `artifactPath` is a relative POSIX path that stays inside the artifacts folder:
 * no leading `/`, no backslash, no `..` or `.` segment, no empty segment.
 */
export function validateArtifactPath(artifactPath: string): void {
  const bad =
    typeof artifactPath !== 'string' ||
    artifactPath === '' ||
    artifactPath.includes('\\') ||
    artifactPath.includes('\0') ||
    artifactPath.startsWith('/') ||
    artifactPath.split('/').some((seg) => seg === '' || seg === '.' || seg === '..');
  if (bad) {
    throw new TrackingError(
      `invalid artifact path ${JSON.stringify(artifactPath)}: use a relative path with '/' separators and no '.', '..' or empty segments, e.g. "plots/loss.png"`,
    );
  }
}

/** A location inside the store. Each field is validated before it becomes a path segment. */
export interface StoreLocation {
  experimentId: string;
  /** A run of that experiment; omit for the experiment folder itself. */
  runId?: string;
  /** `meta` for the meta.yaml file, a run folder, or `tags` of an experiment. */
  part?: 'meta' | RunFolder;
  /** A metric/param/tag key (under `part`), or an artifact path (under `artifacts`). */
  key?: string;
}

/**
 * The one function that turns ids and keys into a path under `root`. It validates every segment
 * first and checks the result is still inside `root`.
 */
export function storePath(root: string, loc: StoreLocation): string {
  validateExperimentId(loc.experimentId);
  const segments = [loc.experimentId];
  if (loc.runId !== undefined) {
    validateRunId(loc.runId);
    segments.push(loc.runId);
  }
  if (loc.part === 'meta') {
    if (loc.key !== undefined) throw new TrackingError(`storePath: meta.yaml takes no key (got ${JSON.stringify(loc.key)})`);
    segments.push(META_FILE);
  } else if (loc.part !== undefined) {
    if (loc.runId === undefined && loc.part !== 'tags') {
      throw new TrackingError(`storePath: experiments have no ${loc.part}/ folder, only tags/`);
    }
    segments.push(loc.part);
    if (loc.key !== undefined) {
      if (loc.part === 'artifacts') validateArtifactPath(loc.key);
      else validateKey(loc.part === 'metrics' ? 'metric' : loc.part === 'params' ? 'param' : 'tag', loc.key);
      segments.push(...loc.key.split('/'));
    }
  } else if (loc.key !== undefined) {
    throw new TrackingError(`storePath: a key needs a part (metrics, params, tags or artifacts)`);
  }
  const absRoot = path.resolve(root);
  const full = path.join(absRoot, ...segments);
  if (!full.startsWith(absRoot + path.sep)) {
    throw new TrackingError(`storePath: ${JSON.stringify(segments.join('/'))} escapes the store root ${absRoot}`);
  }
  return full;
}

/**
 * `file://` URI of an absolute POSIX path, percent-encoded as Python's `pathlib.Path.as_uri()`
 * does (which MLflow uses for `artifact_location`): every byte of the UTF-8 encoding except
 * `A-Z a-z 0-9 _ . - ~ /` becomes `%XX` (upper-case hex).
 */
export function pathToFileUri(absPath: string): string {
  if (!path.posix.isAbsolute(absPath)) {
    throw new TrackingError(`pathToFileUri: ${JSON.stringify(absPath)} is not an absolute POSIX path`);
  }
  let out = '';
  for (const byte of Buffer.from(absPath, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.\-~/]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return `file://${out}`;
}

/** Python's `posixpath.normpath`, used by MLflow to refuse keys that name another path. */
export function pythonNormpath(p: string): string {
  if (p === '') return '.';
  let initialSlashes = p.startsWith('/') ? 1 : 0;
  if (initialSlashes && p.startsWith('//') && !p.startsWith('///')) initialSlashes = 2;
  const out: string[] = [];
  for (const comp of p.split('/')) {
    if (comp === '' || comp === '.') continue;
    if (comp !== '..' || (!initialSlashes && out.length === 0) || (out.length > 0 && out[out.length - 1] === '..')) {
      out.push(comp);
    } else if (out.length > 0) {
      out.pop();
    }
  }
  const joined = '/'.repeat(initialSlashes) + out.join('/');
  return joined || '.';
}

/** `base` joined with a validated relative artifact path (see `validateArtifactPath`). */
export function artifactPathIn(base: string, artifactPath: string): string {
  validateArtifactPath(artifactPath);
  return path.join(base, ...artifactPath.split('/'));
}
