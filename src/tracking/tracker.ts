/**
 * The tracker facade: start a run, log to it, end it. A thin layer over a `TrackingStore`
 * (after MLflow's fluent API and `MlflowClient`): it fills in the context tags MLflow records
 * (`mlflow.user`, `mlflow.source.*`, `mlflow.source.git.commit`, `mlflow.parentRunId`), turns
 * values into text as MLflow's Python does, and batches. `withRun` ends a run FINISHED, FAILED
 * (with the error recorded) or KILLED (on SIGINT or SIGTERM). A run it starts carries its host,
 * pid and a heartbeat (heartbeat.ts), so a run whose process died can be told apart.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TrackingError } from '../errors';
import { FileStore } from './file-store';
import { Heartbeat, livenessTags, resolveHeartbeatOptions, type HeartbeatOptions, type ResolvedHeartbeatOptions } from './heartbeat';
import { LIMITS } from './limits';
import { artifactPathIn } from './paths';
import { ERROR_ARTIFACT, ERROR_TAG, MLFLOW_TAGS, type Metric, type Run, type RunInfo, type RunStatus, type RunTag, type TrackingStore } from './store';
import { pythonStr, type LoggableValue } from './values';

export interface TrackerOptions {
  /** Store to write to. Default a `FileStore` under `root`. */
  store?: TrackingStore;
  /** Root folder of the default FileStore, resolved against the working directory. Default `runs`. Ignored with `store`. */
  root?: string;
  /** Clock for run start/end times and metric timestamps, in ms since the epoch. Default `Date.now`. */
  now?: () => number;
  /** `user_id` and `mlflow.user`. Default `$LOGNAME`, `$USER`, `$LNAME`, `$USERNAME`, then the OS account (as Python's getpass). */
  user?: string;
  /** `mlflow.source.name`. Default the running script (`process.argv[1]`), else `melbook`. */
  sourceName?: string;
  /** `mlflow.source.git.commit`: a hash, `null` to omit the tag, or undefined to ask `git rev-parse HEAD` in `gitDir`. */
  gitCommit?: string | null;
  /** Folder whose git commit is recorded. Default the working directory. */
  gitDir?: string;
  /**
   * Tags `melbook.host`, `melbook.pid` and `melbook.heartbeat` on each run started, the heartbeat
   * refreshed while it runs (see HeartbeatOptions; default every 60 s). `false` leaves them out,
   * for a store that must hold exactly what MLflow would write.
   */
  heartbeat?: HeartbeatOptions | false;
}

interface ResolvedTrackerOptions {
  store: TrackingStore;
  now: () => number;
  user: string;
  sourceName: string;
  gitCommit: string | null | undefined;
  gitDir: string;
  heartbeat: ResolvedHeartbeatOptions | false;
}

export interface StartRunOptions {
  /** Experiment to run in, created if missing. Default `Default` (experiment `0`). */
  experimentName?: string;
  /** Run name. Default a random `adjective-noun-123`. */
  runName?: string;
  /** Extra tags; they override the context tags of the same key. */
  tags?: Record<string, LoggableValue>;
  /** Makes this a nested run of that run (tag `mlflow.parentRunId`); the parent must exist. */
  parentRunId?: string;
}

export class Tracker {
  readonly store: TrackingStore;
  private readonly opts: ResolvedTrackerOptions;
  private gitCommit: Promise<string | undefined> | undefined;

  constructor(options: TrackerOptions = {}) {
    const store = options.store ?? new FileStore({ root: options.root ?? 'runs', now: options.now });
    this.store = store;
    this.opts = {
      store,
      now: options.now ?? Date.now,
      user: options.user ?? defaultUser(),
      sourceName: options.sourceName ?? process.argv[1] ?? 'melbook',
      gitCommit: options.gitCommit,
      gitDir: options.gitDir ?? process.cwd(),
      heartbeat: options.heartbeat === false ? false : resolveHeartbeatOptions(options.heartbeat),
    };
  }

  /** Id of the experiment with that name, creating it if needed; a TrackingError if it is deleted. */
  async getOrCreateExperiment(name: string): Promise<string> {
    const found = await this.store.getExperimentByName(name);
    if (found) {
      if (found.lifecycleStage !== 'active') throw new TrackingError(`experiment ${JSON.stringify(name)} (${found.experimentId}) is deleted; restore it or choose another name`);
      return found.experimentId;
    }
    try {
      return await this.store.createExperiment(name);
    } catch (err) {
      const raced = await this.store.getExperimentByName(name); // created meanwhile by another caller
      if (raced && raced.lifecycleStage === 'active') return raced.experimentId;
      throw err;
    }
  }

  async startRun(options: StartRunOptions = {}): Promise<RunHandle> {
    const experimentId = await this.getOrCreateExperiment(options.experimentName ?? 'Default');
    const startTime = this.opts.now();
    const tags: Record<string, string> = {
      [MLFLOW_TAGS.user]: this.opts.user,
      [MLFLOW_TAGS.sourceName]: this.opts.sourceName,
      [MLFLOW_TAGS.sourceType]: 'LOCAL',
      ...(this.opts.heartbeat ? livenessTags(startTime) : {}),
    };
    const commit = await this.detectGitCommit();
    if (commit) tags[MLFLOW_TAGS.gitCommit] = commit;
    for (const [k, v] of Object.entries(options.tags ?? {})) tags[k] = pythonStr(v);
    if (options.parentRunId !== undefined) {
      await this.store.getRun(options.parentRunId); // validates the id and that the parent exists
      tags[MLFLOW_TAGS.parentRunId] = options.parentRunId;
    }
    const info = await this.store.createRun({
      experimentId,
      userId: this.opts.user,
      startTime,
      runName: options.runName,
      tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
    });
    return new RunHandle(this.store, info, this.opts.now, this.opts.heartbeat || undefined);
  }

  getRun(runId: string): Promise<Run> {
    return this.store.getRun(runId);
  }

  /**
   * A handle on an existing run, to log more into it from another process (each pipeline
   * notebook logs into the pipeline's run). Does not change its status; a TrackingError if
   * the run has already ended.
   */
  async openRun(runId: string): Promise<RunHandle> {
    const run = await this.store.getRun(runId);
    if (run.info.status !== 'RUNNING') {
      throw new TrackingError(`run ${runId} is ${run.info.status}, not RUNNING; start a new run or pass the id of a running one`);
    }
    return new RunHandle(this.store, run.info, this.opts.now);
  }

  /**
   * Set a killed or failed run RUNNING again, to continue it (`melbook train --resume`,
   * `--resume PARENT_RUN_ID`); a TrackingError for a FINISHED run, which has nothing left to
   * do, unless `reopenFinished` (a parent run aggregates its jobs again).
   */
  async reopenRun(runId: string, options: { reopenFinished?: boolean } = {}): Promise<RunHandle> {
    const run = await this.store.getRun(runId);
    if (run.info.status === 'FINISHED' && !options.reopenFinished) throw new TrackingError(`run ${runId} is FINISHED: nothing to resume; start a new run instead`);
    const info = run.info.status === 'RUNNING' ? run.info : await this.store.updateRunInfo(runId, 'RUNNING', null);
    // The run now lives in this process: its host, pid and heartbeat say so, or `melbook runs` would call it dead.
    if (this.opts.heartbeat) await this.store.logBatch(runId, [], [], Object.entries(livenessTags(this.opts.now())).map(([key, value]) => ({ key, value })));
    return new RunHandle(this.store, info, this.opts.now, this.opts.heartbeat || undefined);
  }

  /**
   * Ends a RUNNING run from outside the process that started it (a process that died left it
   * RUNNING): `status` (default KILLED) at the current time. A TrackingError if it has ended.
   */
  async endRunById(runId: string, status: RunStatus = 'KILLED'): Promise<RunInfo> {
    const run = await this.store.getRun(runId);
    if (run.info.status !== 'RUNNING') {
      const ended = run.info.endTime === null ? '' : ` at ${new Date(run.info.endTime).toISOString()}`;
      throw new TrackingError(`run ${runId} already ended ${run.info.status}${ended}; only a RUNNING run can be ended`);
    }
    return new RunHandle(this.store, run.info, this.opts.now).endRun(status);
  }

  /** Runs of one experiment (by name), or of every experiment, newest first. */
  async listRuns(experimentName?: string): Promise<Run[]> {
    const exps = experimentName === undefined ? await this.store.listExperiments() : [await this.store.getExperimentByName(experimentName)];
    if (exps[0] === undefined) throw new TrackingError(`no experiment named ${JSON.stringify(experimentName)}; see listExperiments()`);
    const runs = (await Promise.all(exps.map((e) => this.store.listRuns(e!.experimentId)))).flat();
    return runs.sort((a, b) => b.info.startTime - a.info.startTime);
  }

  private detectGitCommit(): Promise<string | undefined> {
    if (this.opts.gitCommit !== undefined) return Promise.resolve(this.opts.gitCommit ?? undefined);
    this.gitCommit ??= new Promise((resolve) => {
      execFile('git', ['rev-parse', 'HEAD'], { cwd: this.opts.gitDir, timeout: 5000 }, (err, stdout) => {
        const hash = String(stdout ?? '').trim();
        resolve(!err && /^[0-9a-f]{40,64}$/.test(hash) ? hash : undefined);
      });
    });
    return this.gitCommit;
  }
}

/** An active run: every logging call goes to the store as one `logBatch`. */
export class RunHandle {
  private current: RunInfo;
  private heartbeat: Heartbeat | undefined;
  /** With `heartbeat`, this handle keeps the run's heartbeat tag fresh until `endRun`. */
  constructor(
    readonly store: TrackingStore,
    info: RunInfo,
    private readonly now: () => number,
    heartbeat?: ResolvedHeartbeatOptions,
  ) {
    this.current = info;
    if (heartbeat) this.heartbeat = new Heartbeat(info.runId, (tags) => store.logBatch(info.runId, [], [], tags), now, heartbeat, info.startTime);
  }

  get runId(): string {
    return this.current.runId;
  }
  get experimentId(): string {
    return this.current.experimentId;
  }
  /** The run info as of the last start/end call. */
  get info(): RunInfo {
    return this.current;
  }

  logParam(key: string, value: LoggableValue): Promise<void> {
    return this.logParams({ [key]: value });
  }

  /** Logs params; a `ParamChangedError` if one was logged before with another value. */
  async logParams(params: Record<string, LoggableValue>): Promise<void> {
    const all = Object.entries(params).map(([key, value]) => ({ key, value: pythonStr(value) }));
    for (const chunk of chunks(all, LIMITS.paramsPerBatch)) await this.store.logBatch(this.runId, [], chunk, []);
  }

  /** Appends one value. `step` default 0; `timestamp` in ms, default now. */
  logMetric(key: string, value: number, step = 0, timestamp?: number): Promise<void> {
    return this.logMetrics({ [key]: value }, step, timestamp);
  }

  /** Appends one value per key, all with the same step and timestamp. */
  async logMetrics(metrics: Record<string, number>, step = 0, timestamp?: number): Promise<void> {
    const ts = timestamp ?? this.now();
    const all: Metric[] = Object.entries(metrics).map(([key, value]) => ({ key, value, step, timestamp: ts }));
    for (const chunk of chunks(all, LIMITS.metricsPerBatch)) await this.store.logBatch(this.runId, chunk, [], []);
    await this.heartbeat?.touch(); // each epoch logs metrics, so each epoch shows life
  }

  setTag(key: string, value: LoggableValue): Promise<void> {
    return this.setTags({ [key]: value });
  }

  async setTags(tags: Record<string, LoggableValue>): Promise<void> {
    const all: RunTag[] = Object.entries(tags).map(([key, value]) => ({ key, value: pythonStr(value) }));
    for (const chunk of chunks(all, LIMITS.tagsPerBatch)) await this.store.logBatch(this.runId, [], [], chunk);
  }

  /** Absolute folder of this run's artifacts. */
  artifactDir(): Promise<string> {
    return this.store.artifactDir(this.runId);
  }

  /** Copies a file to `artifacts/<subdir>/<basename>`; returns the copy's path. */
  async logArtifact(file: string, subdir?: string): Promise<string> {
    const stat = await fs.stat(file).catch(() => undefined);
    if (!stat?.isFile()) throw new TrackingError(`logArtifact: ${file} is not a file; use logArtifacts for a folder`);
    const dest = await this.destination(subdir ? `${subdir}/${path.basename(file)}` : path.basename(file));
    await fs.copyFile(file, dest);
    return dest;
  }

  /** Copies the contents of a folder into `artifacts/<subdir>/`; returns that folder. */
  async logArtifacts(dir: string, subdir?: string): Promise<string> {
    const stat = await fs.stat(dir).catch(() => undefined);
    if (!stat?.isDirectory()) throw new TrackingError(`logArtifacts: ${dir} is not a folder; use logArtifact for a file`);
    const dest = subdir ? await this.destination(subdir) : await this.artifactDir();
    await fs.cp(dir, dest, { recursive: true });
    return dest;
  }

  /** Writes `text` (UTF-8) to `artifacts/<artifactPath>`; returns its path. */
  async logText(text: string, artifactPath: string): Promise<string> {
    const dest = await this.destination(artifactPath);
    await fs.writeFile(dest, text);
    return dest;
  }

  /** Writes `obj` as JSON indented by 2 (as `mlflow.log_dict`) to `artifacts/<artifactPath>`. */
  logJson(obj: unknown, artifactPath: string): Promise<string> {
    return this.logText(`${JSON.stringify(obj, null, 2)}\n`, artifactPath);
  }

  /** Records an error: tag `melbook.error` = `Name: message` and artifact `error.txt` with the stack. */
  async recordError(error: unknown): Promise<void> {
    const err = error instanceof Error ? error : new Error(String(error));
    const summary = `${err.name}: ${err.message}`;
    const limit = LIMITS.tagValueLength;
    await this.setTag(ERROR_TAG, summary.length > limit ? `${summary.slice(0, limit - 3)}...` : summary);
    await this.logText(`${err.stack ?? summary}\n`, ERROR_ARTIFACT);
  }

  /** Ends the run with `status` (default FINISHED) at the current time. */
  async endRun(status: RunStatus = 'FINISHED'): Promise<RunInfo> {
    await this.heartbeat?.stop();
    this.heartbeat = undefined;
    this.current = await this.store.updateRunInfo(this.runId, status, this.now());
    return this.current;
  }

  private async destination(artifactPath: string): Promise<string> {
    const dest = artifactPathIn(await this.artifactDir(), artifactPath);
    await fs.mkdir(path.dirname(dest), { recursive: true });
    return dest;
  }
}

export interface WithRunOptions extends StartRunOptions {
  /**
   * End the run KILLED on SIGINT (Ctrl-C) or SIGTERM (`kill`, a CI job cancelled, `timeout`),
   * then re-raise the signal if nothing else listens for it, so the process still stops.
   * Default true. Turn off inside hosts that use these signals for their own purposes (a
   * Jupyter kernel's interrupt).
   */
  handleSignals?: boolean;
  /**
   * When the run is stopped or fails, end its nested runs that are still RUNNING as KILLED.
   * Default true (nested runs in this process's threads die with it). Off when they run in
   * processes that outlive this one (queue workers), which end their runs themselves.
   */
  endChildren?: boolean;
  /** Continue this existing run (see `Tracker.reopenRun`) instead of starting a new one. */
  continueRunId?: string;
  /** With `continueRunId`: a FINISHED run may be continued too (a parent run that aggregates again). */
  reopenFinished?: boolean;
}

/**
 * End every nested run of `parent` that is still RUNNING with `status` (default KILLED): the
 * runs of worker threads that were stopped with their parent. Returns their ids.
 */
export async function endRunningChildren(parent: RunHandle, status: RunStatus = 'KILLED'): Promise<string[]> {
  const runs = await parent.store.listRuns(parent.experimentId);
  const orphans = runs.filter((r) => r.data.tags[MLFLOW_TAGS.parentRunId] === parent.runId && r.info.status === 'RUNNING');
  for (const r of orphans) await new RunHandle(parent.store, r.info, Date.now).endRun(status);
  return orphans.map((r) => r.info.runId);
}

/**
 * Runs `fn` inside a new run. The run ends FINISHED when `fn` resolves, FAILED when it throws
 * (the error is recorded with `recordError`, then rethrown), KILLED on SIGINT or SIGTERM. When it fails or
 * is killed, its nested runs still RUNNING (folds in stopped worker threads) end KILLED.
 */
/** The signals that end a run KILLED in `withRun`. */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

export async function withRun<T>(tracker: Tracker, options: WithRunOptions, fn: (run: RunHandle) => Promise<T> | T): Promise<T> {
  const run = options.continueRunId ? await tracker.reopenRun(options.continueRunId, { reopenFinished: options.reopenFinished }) : await tracker.startRun(options);
  const endChildren = options.endChildren === false ? async () => [] : () => endRunningChildren(run);
  let ended = false;
  // The listener stays registered until the run is marked KILLED: handlers that re-raise the
  // signal only when they are the last listener (the notebook runner's kernel cleanup) then
  // leave the process alive long enough for the status to reach the store.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (ended) return;
    ended = true;
    endChildren()
      .catch((err) => process.emitWarning(`run ${run.runId}: could not end its nested runs: ${(err as Error).message}`))
      .then(() => run.endRun('KILLED'))
      .catch((err) => process.emitWarning(`run ${run.runId}: could not mark KILLED: ${(err as Error).message}`))
      .finally(() => {
        for (const s of STOP_SIGNALS) process.removeListener(s, onSignal);
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
  };
  if (options.handleSignals ?? true) for (const s of STOP_SIGNALS) process.on(s, onSignal);
  let result: T;
  try {
    result = await fn(run);
  } catch (error) {
    if (!ended) {
      ended = true;
      await endChildren().catch((err) => process.emitWarning(`run ${run.runId}: could not end its nested runs: ${(err as Error).message}`));
      await run.recordError(error).catch((err) => process.emitWarning(`run ${run.runId}: could not record its error: ${(err as Error).message}`));
      await run.endRun('FAILED').catch((err) => process.emitWarning(`run ${run.runId}: could not mark FAILED: ${(err as Error).message}`));
    }
    throw error;
  } finally {
    for (const s of STOP_SIGNALS) process.removeListener(s, onSignal);
  }
  if (!ended) await run.endRun('FINISHED');
  return result;
}

function chunks<T>(xs: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

function defaultUser(): string {
  const env = process.env;
  const fromEnv = env.LOGNAME || env.USER || env.LNAME || env.USERNAME;
  if (fromEnv) return fromEnv;
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}
