/**
 * `melbook run`: the four stage notebooks as one tracked pipeline run. Each notebook runs in
 * its own tslab kernel with the run's id injected as a parameter; its executed copy (saved
 * after every cell) and its output log become artifacts of the run. A failing cell stops the
 * pipeline, ends the run FAILED and rethrows with the notebook, cell and error text.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { loadPipelineConfig } from '../config/pipeline';
import { resolveConfigPaths, STAGES, type StageName } from './context';
import { Tracker, withRun, type RunHandle } from '../tracking/tracker';
import { engineFor } from '../runner/engine';
import { executeNotebook, type ExecuteNotebookOptions } from '../runner/execute';
import { createProgressReporter } from '../progress';
import { ConfigError } from '../errors';

export interface PipelineOptions {
  /** Config file (relative to the project root or absolute). */
  configFile: string;
  overrides?: string[];
  /** Run only this stage. */
  only?: StageName;
  /** Start at this stage (skip the earlier ones). */
  from?: StageName;
  /** Project root: holds notebooks/, config/. Default: the working directory. */
  projectRoot?: string;
  /** Stream the cells' stdout/stderr live. Default false. */
  logOutput?: boolean;
  /** The kernel that runs the notebooks: `tslab` (default) or `deno` (Deno's Jupyter kernel). */
  kernel?: 'tslab' | 'deno';
  /** Per-cell timeout in ms. Default 30 minutes. */
  perCellTimeoutMs?: number;
  /** Called with the report path when it was written. */
  renderReport?: (root: string, runId: string) => Promise<string>;
  /** Where status lines go. Default console.log. */
  log?: (line: string) => void;
  /** Replaces the notebook execution (tests). */
  execute?: typeof executeNotebook;
}

export interface PipelineResult {
  runId: string;
  experimentId: string;
  runDir: string;
  stages: StageName[];
  notebooks: string[];
  report?: string;
}

/** The stages selected by --only / --from, in order. */
export function selectStages(only?: string, from?: string): StageName[] {
  const check = (key: string, value: string) => {
    if (!(STAGES as readonly string[]).includes(value)) throw new ConfigError(key, value, `one of ${STAGES.join(', ')}`);
    return value as StageName;
  };
  if (only) return [check('--only', only)];
  if (from) return STAGES.slice(STAGES.indexOf(check('--from', from)));
  return [...STAGES];
}

export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const log = options.log ?? ((l: string) => console.log(l));
  const projectRoot = resolve(options.projectRoot ?? '.');
  const configFile = resolve(projectRoot, options.configFile);
  const overrides = options.overrides ?? [];
  const config = resolveConfigPaths(loadPipelineConfig(configFile, { overrides }), projectRoot);
  const stages = selectStages(options.only, options.from);
  const tracker = new Tracker({ root: config.tracking.root, gitDir: projectRoot, sourceName: 'melbook run' });
  let runId: string | undefined;
  try {
    const result = await withRun(tracker, { experimentName: config.tracking.experiment, runName: config.tracking.runName, tags: { 'melbook.pipeline': stages.join(',') } }, async (run) => {
      runId = run.runId;
      const runDir = join(config.tracking.root, run.experimentId, run.runId);
      log(`pipeline run ${run.runId} (${relative(projectRoot, runDir) || runDir}), stages: ${stages.join(', ')}`);
      await run.logArtifact(configFile, 'config');
      if (overrides.length) await run.logText(overrides.join('\n') + '\n', 'config/overrides.txt');
      const artifacts = await run.artifactDir();
      mkdirSync(join(artifacts, 'logs'), { recursive: true });
      mkdirSync(join(artifacts, 'notebooks'), { recursive: true });
      const notebooks: string[] = [];
      for (const stage of stages) await runStageNotebook(stage, { run, artifacts, projectRoot, configFile, overrides, options, log, notebooks });
      return { runId: run.runId, experimentId: run.experimentId, runDir, stages, notebooks };
    });
    const report = options.renderReport ? await options.renderReport(config.tracking.root, result.runId) : undefined;
    if (report) log(`report: ${relative(projectRoot, report)}`);
    return { ...result, report };
  } catch (err) {
    // The run ended FAILED (or its report failed); still try to leave a report that shows where it stopped.
    if (runId) await renderFailedReport(options, config.tracking.root, runId, projectRoot, log);
    throw err;
  }
}

interface StageRunContext {
  run: RunHandle;
  artifacts: string;
  projectRoot: string;
  configFile: string;
  overrides: string[];
  options: PipelineOptions;
  log: (line: string) => void;
  /** Executed notebooks so far; this stage's is added even when it fails. */
  notebooks: string[];
}

/** Execute one stage notebook into the run's artifacts (notebook saved after every cell, output log), and time it. */
async function runStageNotebook(stage: StageName, ctx: StageRunContext): Promise<void> {
  const { run, artifacts, projectRoot, options } = ctx;
  const input = join(projectRoot, 'notebooks', `${stage}.ipynb`);
  const output = join(artifacts, 'notebooks', `${stage}.ipynb`);
  const logFile = join(artifacts, 'logs', `${stage}.log`);
  const progress = createProgressReporter();
  const sink = (text: string, stream: 'stdout' | 'stderr') => {
    appendFileSync(logFile, stream === 'stderr' ? text.replace(/^/gm, '[stderr] ') : text);
    if (options.logOutput) progress.log(text, stream);
  };
  const started = Date.now();
  const executeOptions: ExecuteNotebookOptions = {
    parameters: { config_path: ctx.configFile, overrides: ctx.overrides, run_id: run.runId, project_root: projectRoot },
    cwd: join(projectRoot, 'notebooks'),
    perCellTimeoutMs: options.perCellTimeoutMs ?? 30 * 60_000,
    onProgress: progress.onProgress,
    logOutput: sink,
    engine: engineFor(options.kernel),
  };
  try {
    await (options.execute ?? executeNotebook)(input, output, executeOptions);
  } finally {
    progress.close();
    ctx.notebooks.push(output);
  }
  const seconds = (Date.now() - started) / 1000;
  await run.logMetric(`stage_seconds/${stage}`, seconds);
  ctx.log(`${stage}: done in ${seconds.toFixed(1)} s -> ${relative(projectRoot, output)}`);
}

/** The report of a run that failed; a report that cannot be rendered is logged, not thrown over the run's own error. */
async function renderFailedReport(options: PipelineOptions, root: string, runId: string, projectRoot: string, log: (line: string) => void): Promise<void> {
  if (!options.renderReport) return;
  try {
    const report = await options.renderReport(root, runId);
    log(`report (failed run): ${relative(projectRoot, report)}`);
  } catch (reportErr) {
    log(`could not render the report: ${(reportErr as Error).message}`);
  }
}
