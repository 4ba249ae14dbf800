/**
 * What a stage notebook needs before it does anything: the validated config with its paths
 * made absolute against the project root, and the tracked run to log into: the pipeline's run
 * when the runner passes its id, else a run of the notebook's own (opened by hand in JupyterLab).
 */
import { isAbsolute, resolve } from 'node:path';
import { loadPipelineConfig, type PipelineConfig } from '../config/pipeline';
import { Tracker, type RunHandle } from '../tracking/tracker';

/** The stages, in pipeline order; each is `notebooks/<name>.ipynb`. */
export const STAGES = ['01-preprocess', '02-dataset', '03-train', '04-evaluate'] as const;
export type StageName = (typeof STAGES)[number];

export interface StageParameters {
  /** Config file, relative to the project root. */
  configPath: string;
  /** `key=value` overrides. */
  overrides?: string[];
  /** Pipeline run to log into; empty for a run of this notebook's own. */
  runId?: string;
  /** Project root (where config paths are relative to). Default: the parent of the notebook folder. */
  projectRoot?: string;
  stage: StageName;
}

export interface StageContext {
  config: PipelineConfig;
  projectRoot: string;
  run: RunHandle;
  tracker: Tracker;
  /** True when the notebook started its own run (it must end it: `finish`). */
  standalone: boolean;
  /** Ends the run if this notebook started it; a no-op inside a pipeline run. */
  finish(): Promise<void>;
}

/** Make the config's folders absolute against the project root. */
export function resolveConfigPaths(config: PipelineConfig, projectRoot: string): PipelineConfig {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(projectRoot, p));
  return {
    ...config,
    data: { ...config.data, recordings: abs(config.data.recordings) },
    preprocess: { ...config.preprocess, dir: abs(config.preprocess.dir) },
    tracking: { ...config.tracking, root: abs(config.tracking.root) },
    evaluation: { ...config.evaluation, external: config.evaluation.external.map(abs) },
  };
}

export async function openStage(params: StageParameters): Promise<StageContext> {
  const projectRoot = resolve(params.projectRoot ?? '..');
  const configFile = resolve(projectRoot, params.configPath);
  const config = resolveConfigPaths(loadPipelineConfig(configFile, { overrides: params.overrides ?? [] }), projectRoot);
  const tracker = new Tracker({ root: config.tracking.root, gitDir: projectRoot, sourceName: `notebooks/${params.stage}.ipynb` });
  const standalone = !params.runId;
  const run = params.runId
    ? await tracker.openRun(params.runId)
    : await tracker.startRun({ experimentName: config.tracking.experiment, runName: `${params.stage}-${new Date().toISOString().slice(0, 19)}`, tags: { 'melbook.stage': params.stage } });
  return {
    config,
    projectRoot,
    run,
    tracker,
    standalone,
    finish: async () => {
      if (standalone) await run.endRun('FINISHED');
    },
  };
}
