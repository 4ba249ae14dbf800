/**
 * Which saved model a stage scores: a folder given by hand, a tracked run's model, or the
 * newest finished run in the experiment that saved one.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { modelDirOf } from './evaluate-ensemble';
import type { Tracker } from '../tracking/tracker';
import type { Run } from '../tracking/store';
import { MelbookError, TrackingError } from '../errors';

export interface FindModelOptions {
  tracker: Tracker;
  /** Experiment searched for the newest model. */
  experiment: string;
  /** A model folder (model.json and melbook.json): used as it is. */
  modelDir?: string;
  /** A FINISHED run whose `artifacts/model` to use. */
  runId?: string;
}

/** The model folder: `modelDir`, else `runId`'s model, else the newest FINISHED run's with a model bundle. */
export async function findTrainedModel(options: FindModelOptions): Promise<string> {
  const { tracker, experiment } = options;
  if (options.modelDir) {
    if (!existsSync(join(options.modelDir, 'model.json'))) throw new MelbookError(`${options.modelDir}: no model.json; pass a model folder saved by training (a run's artifacts/model)`);
    return options.modelDir;
  }
  if (options.runId) return modelDirOf(tracker, options.runId);
  let runs: Run[];
  try {
    runs = await tracker.listRuns(experiment);
  } catch (err) {
    // No such experiment yet: nothing trained, said below.
    if (!(err instanceof TrackingError)) throw err;
    runs = [];
  }
  for (const run of runs) {
    if (run.info.status !== 'FINISHED') continue;
    const dir = join(await tracker.store.artifactDir(run.info.runId), 'model');
    if (existsSync(join(dir, 'model.json')) && existsSync(join(dir, 'melbook.json'))) return dir;
  }
  throw new MelbookError(`no finished run with a saved model in experiment ${experiment}; train one first (npx melbook train) or pass --run RUN_ID`);
}

/** The models of several FINISHED runs (an ensemble), each checked. */
export function modelDirsOf(tracker: Tracker, runIds: readonly string[]): Promise<string[]> {
  return Promise.all(runIds.map((id) => modelDirOf(tracker, id)));
}
