/**
 * The evaluate stage as one function, the same from the CLI (`melbook evaluate [--run RUN_ID]`)
 * and a notebook (`evaluateStage`): a saved model on the config's test split (features from
 * preprocess, cached), then on the `evaluation.external` folders, logged into a run: a new one
 * tagged `melbook.mode: evaluate`, or the run the caller passes.
 */
import { preprocess } from './preprocess';
import { findTrainedModel } from './find-model';
import { checkExternalSets, scoreExternalSets, type ExternalEvaluation } from './evaluate-external';
import { AudioDataset } from '../data/dataset';
import { useBackend } from '../train/train';
import { Predictor } from '../train/predict';
import { evaluateModel, formatEvaluation, logEvaluation, type Evaluation } from '../train/evaluate';
import { Tracker, withRun, type RunHandle } from '../tracking/tracker';
import type { PipelineConfig } from '../config/pipeline';

export interface EvaluateRunOptions {
  /** Data, features and split of the test set; tracking; `evaluation.external`. */
  config: PipelineConfig;
  /** Path of the config file, logged as a param of a new run. */
  configFile?: string;
  /** A saved model folder to score. Default: `runId`'s model. */
  modelDir?: string;
  /** A FINISHED training run whose model to score. Default: the newest one with a model. */
  runId?: string;
  /** Log into this run (the notebook's) instead of a new one; the caller ends it. */
  run?: RunHandle;
  /** The opened feature dataset; default: preprocess (reusing its cache) and open its result. */
  dataset?: AudioDataset;
  log?: (line: string) => void;
}

export interface EvaluateRunResult {
  /** The run the scores went to. */
  runId: string;
  modelDir: string;
  evaluation: Evaluation;
  /** One per `evaluation.external` folder. */
  external: ExternalEvaluation[];
  dataset: AudioDataset;
}

export async function evaluateRun(options: EvaluateRunOptions): Promise<EvaluateRunResult> {
  const { config } = options;
  const log = options.log ?? ((l: string) => console.log(l));
  const tracker = new Tracker({ root: config.tracking.root });
  // The model is found before a run starts: a wrong id leaves no FAILED run behind.
  const modelDir = await findTrainedModel({ tracker, experiment: config.tracking.experiment, modelDir: options.modelDir, runId: options.runId });
  const dataset = options.dataset ?? AudioDataset.fromPreprocess(await preprocess({ ...config }));
  checkExternalSets(config, dataset.classNames);
  const body = (run: RunHandle) => scoreInRun(run, { config, modelDir, dataset, log });
  if (options.run) return body(options.run);
  const runName = config.tracking.runName ?? `evaluate-${new Date().toISOString().slice(0, 19)}`;
  return withRun(tracker, { experimentName: config.tracking.experiment, runName, tags: { 'melbook.mode': 'evaluate' } }, async (run) => {
    await run.logParams({ 'evaluate.model': modelDir, ...(options.runId ? { 'evaluate.run': options.runId } : {}), ...(options.configFile ? { 'evaluate.config': options.configFile } : {}) });
    log(`run ${run.runId}: model ${modelDir} on the test split`);
    return body(run);
  });
}

async function scoreInRun(run: RunHandle, c: { config: PipelineConfig; modelDir: string; dataset: AudioDataset; log: (l: string) => void }): Promise<EvaluateRunResult> {
  await useBackend(c.config, run, c.log);
  const predictor = await Predictor.load(c.modelDir);
  let evaluation: Evaluation;
  try {
    evaluation = await evaluateModel(predictor.model, c.dataset, { normalization: predictor.bundle.normalization.mode });
  } finally {
    predictor.dispose();
  }
  await logEvaluation(run, evaluation);
  c.log(formatEvaluation(evaluation));
  const external = await scoreExternalSets(run, c.modelDir, c.config, c.log);
  return { runId: run.runId, modelDir: c.modelDir, evaluation, external, dataset: c.dataset };
}
