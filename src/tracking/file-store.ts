/**
 * `TrackingStore` in MLflow's file-store layout (mlflow/store/tracking/file_store.py):
 *
 *   <root>/<experiment_id>/meta.yaml             experiment (0 = "Default", created with the store)
 *   <root>/<experiment_id>/tags/<key>            experiment tags
 *   <root>/<experiment_id>/<run_id>/meta.yaml    run info, status as an integer
 *   <root>/<experiment_id>/<run_id>/metrics/<key>  "timestamp value step" lines
 *   <root>/<experiment_id>/<run_id>/params/<key>   the value, no newline
 *   <root>/<experiment_id>/<run_id>/tags/<key>     the value, no newline
 *   <root>/<experiment_id>/<run_id>/artifacts/
 *   <root>/.trash/                               deleted experiments
 *
 * Keys may contain `/` (sub-folders). See docs/mlflow-file-store.md for the exact format.
 * Paths all come from `storePath`, which validates ids and keys first.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { isTemporaryName, writeFileAtomic } from '../atomic-write';
import { EXPERIMENTS_LOCK, withFileLock } from './file-lock';
import { TrackingError } from '../errors';
import { NON_EXPERIMENT_ROOT_FOLDERS, RESERVED_EXPERIMENT_FOLDERS, TRASH_FOLDER, pathToFileUri, storePath, validateExperimentId, validateKey, validateRunId } from './paths';
import { MLFLOW_TAGS, ParamChangedError, type CreateRunRequest, type Experiment, type Metric, type Param, type Run, type RunInfo, type RunStatus, type RunTag, type TrackingStore } from './store';
import { newIntegerExperimentId, newUuidHex, randomRunName } from './ids';
import { LIMITS, validateMetric, validateParam, validateTag } from './limits';
import { parsePythonFloat, pythonFloatRepr } from './values';
import { experimentToYaml, parseExperimentMeta, parseRunMeta, runInfoToYaml } from './yaml-meta';

export interface FileStoreOptions {
  /** Root folder of the store, resolved against the working directory. Default `runs`. */
  root?: string;
  /** Clock for experiment creation times, in ms since the epoch. Default `Date.now`. */
  now?: () => number;
  /** New run ids: 32 lowercase hex digits. Default a random uuid4 without dashes. */
  newRunId?: () => string;
  /** New experiment ids. Default MLflow's `_generate_unique_integer_id` (18 random digits). */
  newExperimentId?: () => string;
}

interface ResolvedFileStoreOptions {
  root: string;
  now: () => number;
  newRunId: () => string;
  newExperimentId: () => string;
}

export class FileStore implements TrackingStore {
  readonly root: string;
  private readonly opts: ResolvedFileStoreOptions;
  private ready: Promise<void> | undefined;
  private experimentLock: Promise<unknown> = Promise.resolve();
  /** run id -> experiment id, filled as runs are created or found. */
  private readonly runIndex = new Map<string, string>();

  constructor(options: FileStoreOptions = {}) {
    this.root = path.resolve(options.root ?? 'runs');
    this.opts = { root: this.root, now: options.now ?? Date.now, newRunId: options.newRunId ?? newUuidHex, newExperimentId: options.newExperimentId ?? newIntegerExperimentId };
  }

  /** Creates the root, the Default experiment `0` and `.trash/` on first use (as MLflow's constructor). */
  private init(): Promise<void> {
    this.ready ??= (async () => {
      await fs.mkdir(this.root, { recursive: true });
      const missing = async () => !(await exists(path.join(this.root, '0'))) && !(await exists(path.join(this.root, TRASH_FOLDER, '0')));
      // Checked again under the lock: another process may be creating it right now.
      if (await missing()) await withFileLock(path.join(this.root, EXPERIMENTS_LOCK), async () => (await missing()) && this.writeExperiment('0', 'Default'));
      await fs.mkdir(path.join(this.root, TRASH_FOLDER), { recursive: true });
    })();
    return this.ready;
  }

  private async writeExperiment(id: string, name: string): Promise<void> {
    const dir = storePath(this.root, { experimentId: id });
    await fs.mkdir(dir); // exclusive: an existing id fails with EEXIST
    const now = this.opts.now();
    const exp: Experiment = { experimentId: id, name, artifactLocation: `${pathToFileUri(this.root)}/${id}`, lifecycleStage: 'active', creationTime: now, lastUpdateTime: now, tags: {} };
    await writeAtomic(storePath(this.root, { experimentId: id, part: 'meta' }), experimentToYaml(exp)); // the exclusive mkdir made the id ours
  }

  async createExperiment(name: string, tags: RunTag[] = []): Promise<string> {
    if (typeof name !== 'string' || name === '') throw new TrackingError(`invalid experiment name ${JSON.stringify(name)}: give a non-empty string`);
    if (name.length > LIMITS.experimentNameLength) throw new TrackingError(`experiment name is ${name.length} characters; the limit is ${LIMITS.experimentNameLength}`);
    for (const t of tags) validateKey('tag', t.key);
    await this.init();
    // One creation at a time in this process and across processes, so two callers cannot both take a free name.
    const job = this.experimentLock.then(() => withFileLock(path.join(this.root, EXPERIMENTS_LOCK), async () => {
      const existing = await this.getExperimentByName(name);
      if (existing) {
        const where = existing.lifecycleStage === 'deleted' ? ' (deleted: restore it or remove it from .trash/)' : '';
        throw new TrackingError(`experiment ${JSON.stringify(name)} already exists with id ${existing.experimentId}${where}`);
      }
      for (let attempt = 0; ; attempt++) {
        const id = this.opts.newExperimentId();
        validateExperimentId(id);
        try {
          await this.writeExperiment(id, name);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 5) continue;
          throw err;
        }
        for (const t of tags) await writeAtomic(storePath(this.root, { experimentId: id, part: 'tags', key: t.key }), t.value);
        return id;
      }
    }));
    this.experimentLock = job.catch(() => undefined);
    return job;
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    validateExperimentId(experimentId);
    await this.init();
    for (const parent of [this.root, path.join(this.root, TRASH_FOLDER)]) {
      const dir = path.join(parent, experimentId);
      const file = path.join(dir, 'meta.yaml');
      if (!(await exists(file))) continue;
      const exp = parseExperimentMeta(await fs.readFile(file, 'utf8'), file);
      exp.tags = await readKeyValues(path.join(dir, 'tags'));
      return exp;
    }
    throw new TrackingError(`experiment ${experimentId} not found under ${this.root}`);
  }

  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    const all = [...(await this.listExperimentsIn(this.root)), ...(await this.listExperimentsIn(path.join(this.root, TRASH_FOLDER)))];
    return all.find((e) => e.name === name && e.lifecycleStage === 'active') ?? all.find((e) => e.name === name);
  }

  async listExperiments(): Promise<Experiment[]> {
    const exps = await this.listExperimentsIn(this.root);
    return exps.sort((a, b) => (b.creationTime ?? 0) - (a.creationTime ?? 0) || (a.experimentId < b.experimentId ? -1 : 1));
  }

  private async listExperimentsIn(parent: string): Promise<Experiment[]> {
    await this.init();
    const out: Experiment[] = [];
    for (const name of await subdirs(parent)) {
      if ((NON_EXPERIMENT_ROOT_FOLDERS as readonly string[]).includes(name)) continue;
      try {
        validateExperimentId(name);
      } catch {
        continue; // not an experiment folder
      }
      if (await exists(path.join(parent, name, 'meta.yaml'))) out.push(await this.getExperiment(name));
    }
    return out;
  }

  async createRun(request: CreateRunRequest): Promise<RunInfo> {
    const exp = await this.getExperiment(request.experimentId);
    if (exp.lifecycleStage !== 'active') throw new TrackingError(`cannot create a run in deleted experiment ${exp.experimentId} (${exp.name})`);
    const tags = [...(request.tags ?? [])];
    for (const t of tags) validateTag(t);
    const nameTag = tags.find((t) => t.key === MLFLOW_TAGS.runName)?.value;
    if (request.runName && nameTag && request.runName !== nameTag) {
      throw new TrackingError(`run name ${JSON.stringify(request.runName)} and tag ${MLFLOW_TAGS.runName}=${JSON.stringify(nameTag)} disagree; give one of them`);
    }
    const runName = request.runName || nameTag || randomRunName();
    if (!nameTag) tags.push({ key: MLFLOW_TAGS.runName, value: runName });
    let runId = '';
    for (let attempt = 0; ; attempt++) {
      runId = this.opts.newRunId();
      validateRunId(runId);
      // A fresh uuid never collides; the exclusive mkdir makes sure of it even for a fixed generator.
      const taken = (await this.locate(runId, false)) !== undefined;
      if (!taken) {
        try {
          await fs.mkdir(storePath(this.root, { experimentId: exp.experimentId, runId }));
          break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
      }
      if (attempt >= 9) throw new TrackingError(`could not find a free run id after ${attempt + 1} attempts (last ${runId}); check the run id generator`);
    }
    this.runIndex.set(runId, exp.experimentId);
    const info: RunInfo = { runId, runName, experimentId: exp.experimentId, userId: request.userId, status: 'RUNNING', startTime: request.startTime, endTime: null, artifactUri: `${exp.artifactLocation}/${runId}/artifacts`, lifecycleStage: 'active' };
    const loc = { experimentId: exp.experimentId, runId };
    await writeAtomic(storePath(this.root, { ...loc, part: 'meta' }), runInfoToYaml(info)); // readers in other processes never see half of it
    for (const part of ['metrics', 'params', 'artifacts'] as const) await fs.mkdir(storePath(this.root, { ...loc, part }));
    for (const t of tags) await writeAtomic(storePath(this.root, { ...loc, part: 'tags', key: t.key }), t.value);
    return info;
  }

  async updateRunInfo(runId: string, status: RunStatus, endTime: number | null, runName?: string): Promise<RunInfo> {
    const { info, experimentId } = await this.activeRun(runId);
    // A run set RUNNING again (resumed) has no end time; otherwise a null end time keeps the old one.
    const next: RunInfo = { ...info, status, endTime: status === 'RUNNING' ? endTime : endTime ?? info.endTime, runName: runName || info.runName };
    await writeAtomic(storePath(this.root, { experimentId, runId, part: 'meta' }), runInfoToYaml(next));
    if (runName) await writeAtomic(storePath(this.root, { experimentId, runId, part: 'tags', key: MLFLOW_TAGS.runName }), runName);
    return next;
  }

  async logBatch(runId: string, metrics: Metric[], params: Param[], tags: RunTag[]): Promise<void> {
    validateRunId(runId);
    if (metrics.length > LIMITS.metricsPerBatch || params.length > LIMITS.paramsPerBatch || tags.length > LIMITS.tagsPerBatch) {
      throw new TrackingError(`a batch holds at most ${LIMITS.metricsPerBatch} metrics, ${LIMITS.paramsPerBatch} params and ${LIMITS.tagsPerBatch} tags; got ${metrics.length}, ${params.length}, ${tags.length}: split it`);
    }
    metrics.forEach(validateMetric);
    params.forEach(validateParam);
    tags.forEach(validateTag);
    const dup = params.map((p) => p.key).filter((k, i, ks) => ks.indexOf(k) !== i);
    if (dup.length) throw new TrackingError(`duplicate param keys in one batch: ${dup.join(', ')}; log each param once`);
    const { experimentId, info } = await this.activeRun(runId);
    const loc = { experimentId, runId };
    for (const p of params) {
      const file = storePath(this.root, { ...loc, part: 'params', key: p.key });
      try {
        await writeFileIn(file, p.value, 'wx');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const old = await fs.readFile(file, 'utf8');
        if (old !== p.value) throw new ParamChangedError(runId, p.key, old, p.value);
      }
    }
    const lines = new Map<string, string>();
    for (const m of metrics) lines.set(m.key, (lines.get(m.key) ?? '') + `${m.timestamp} ${pythonFloatRepr(m.value)} ${m.step}\n`);
    for (const [key, text] of lines) {
      const file = storePath(this.root, { ...loc, part: 'metrics', key });
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.appendFile(file, text);
    }
    for (const t of tags) {
      if (t.key === MLFLOW_TAGS.runName) await this.updateRunInfo(runId, info.status, info.endTime, t.value);
      else await writeAtomic(storePath(this.root, { ...loc, part: 'tags', key: t.key }), t.value);
    }
  }

  async getRun(runId: string): Promise<Run> {
    const found = await this.locate(runId, true);
    return this.readRun(found!.experimentId, runId);
  }

  async listRuns(experimentId: string): Promise<Run[]> {
    const expDir = storePath(this.root, { experimentId });
    await this.getExperiment(experimentId);
    const runs: Run[] = [];
    for (const name of await subdirs(expDir)) {
      if ((RESERVED_EXPERIMENT_FOLDERS as readonly string[]).includes(name) || !/^[0-9a-f]{32}$/.test(name)) continue;
      if (!(await exists(path.join(expDir, name, 'meta.yaml')))) continue;
      const run = await this.readRun(experimentId, name);
      if (run.info.lifecycleStage === 'active') runs.push(run);
    }
    return runs.sort((a, b) => b.info.startTime - a.info.startTime || (a.info.runId < b.info.runId ? -1 : 1));
  }

  async artifactDir(runId: string): Promise<string> {
    const found = await this.locate(runId, true);
    const dir = storePath(this.root, { experimentId: found!.experimentId, runId, part: 'artifacts' });
    await fs.mkdir(dir, { recursive: true });
    return dir;
  }

  private async readRun(experimentId: string, runId: string): Promise<Run> {
    const loc = { experimentId, runId };
    const metaFile = storePath(this.root, { ...loc, part: 'meta' });
    const info = parseRunMeta(await fs.readFile(metaFile, 'utf8'), metaFile);
    if (info.experimentId !== experimentId || info.runId !== runId) {
      throw new TrackingError(`${metaFile}: records run ${info.runId} of experiment ${info.experimentId}, but lies in ${experimentId}/${runId}`);
    }
    const params = await readKeyValues(storePath(this.root, { ...loc, part: 'params' }));
    const tags = await readKeyValues(storePath(this.root, { ...loc, part: 'tags' }));
    if (!info.runName && tags[MLFLOW_TAGS.runName]) info.runName = tags[MLFLOW_TAGS.runName];
    const metricHistory: Record<string, Metric[]> = {};
    const metrics: Record<string, Metric> = {};
    for (const [key, text] of Object.entries(await readKeyValues(storePath(this.root, { ...loc, part: 'metrics' })))) {
      const history = text.split('\n').filter((l) => l.trim() !== '').map((line) => parseMetricLine(key, line, metaFile));
      if (history.length === 0) continue;
      metricHistory[key] = history;
      metrics[key] = history.reduce((best, m) => (compareMetric(m, best) > 0 ? m : best));
    }
    return { info, data: { params, tags, metrics, metricHistory } };
  }

  private async activeRun(runId: string): Promise<{ experimentId: string; info: RunInfo }> {
    const { experimentId } = (await this.locate(runId, true))!;
    const file = storePath(this.root, { experimentId, runId, part: 'meta' });
    const info = parseRunMeta(await fs.readFile(file, 'utf8'), file);
    if (info.lifecycleStage !== 'active') throw new TrackingError(`run ${runId} is deleted; restore it before logging to it`);
    return { experimentId, info };
  }

  /** Finds the experiment holding `runId` (active experiments, then the trash). */
  private async locate(runId: string, required: boolean): Promise<{ experimentId: string } | undefined> {
    validateRunId(runId);
    await this.init();
    const cached = this.runIndex.get(runId);
    if (cached && (await exists(storePath(this.root, { experimentId: cached, runId })))) return { experimentId: cached };
    for (const parent of [this.root, path.join(this.root, TRASH_FOLDER)]) {
      for (const exp of await subdirs(parent)) {
        if ((NON_EXPERIMENT_ROOT_FOLDERS as readonly string[]).includes(exp)) continue;
        if (await exists(path.join(parent, exp, runId, 'meta.yaml'))) {
          if (parent === this.root) this.runIndex.set(runId, exp);
          return { experimentId: exp };
        }
      }
    }
    if (required) throw new TrackingError(`run ${runId} not found under ${this.root}`);
    return undefined;
  }
}

function parseMetricLine(key: string, line: string, where: string): Metric {
  const parts = line.trim().split(' ');
  if (parts.length !== 2 && parts.length !== 3) throw new TrackingError(`${where}: metric ${JSON.stringify(key)} line ${JSON.stringify(line)} has ${parts.length} fields; expected "timestamp value [step]"`);
  return { key, timestamp: Number(parts[0]), value: parsePythonFloat(parts[1]), step: parts.length === 3 ? Number(parts[2]) : 0 };
}

/** MLflow's latest value: the largest (step, timestamp, value). */
function compareMetric(a: Metric, b: Metric): number {
  return a.step - b.step || a.timestamp - b.timestamp || (a.value > b.value ? 1 : a.value < b.value ? -1 : 0);
}

/** Files under `dir`, recursively, as `{ "sub/key": content }`; empty if `dir` is missing. */
async function readKeyValues(dir: string, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw err;
  }
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const key = prefix + e.name;
    if (e.isDirectory()) Object.assign(out, await readKeyValues(path.join(dir, e.name), `${key}/`));
    else if (e.isFile() && !isTemporaryName(e.name)) out[key] = await fs.readFile(path.join(dir, e.name), 'utf8'); // a temporary is a tag write under way
  }
  return out;
}

async function subdirs(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

async function writeFileIn(file: string, text: string, flag = 'w'): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, text, { flag });
}

/**
 * Replaces a file by renaming a complete temporary copy over it (MLflow's `overwrite_yaml`),
 * creating its folder. meta.yaml and tags go this way: a tag is rewritten while the run lives
 * (the heartbeat, every minute), and a reader in another process (`melbook runs`) must never
 * see either truncated.
 */
async function writeAtomic(file: string, text: string): Promise<void> {
  await writeFileAtomic(file, text, { mkdir: true });
}

