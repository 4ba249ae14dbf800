/**
 * The train stage as one function, the same from the CLI (`melbook train`), a training job
 * (orchestration/run-job.ts) and a notebook: make sure features are current (preprocess reuses
 * its cache), then in one tracked run: train (`train`, the training loop), evaluate on the test
 * split and the `evaluation.external` folders, save the model. A run that throws ends FAILED
 * with the error recorded. Notebook stage 03 (`trainStageInRun`) runs the same loop inside the
 * pipeline's run instead.
 */
import { preprocess, type PreprocessResult } from './preprocess';
import { AudioDataset } from '../data/dataset';
import { train, type TrainResult } from '../train/train';
import { evaluateModel, logEvaluation, formatEvaluation, type Evaluation } from '../train/evaluate';
import { checkExternalSets, scoreExternalSets, type ExternalEvaluation } from './evaluate-external';
import { Tracker, withRun } from '../tracking/tracker';
import { disposeModel } from '../model/model';
import type { PipelineConfig } from '../config/pipeline';
import type { EpochLog } from '../train/callbacks';

export interface TrainStageOptions {
  config: PipelineConfig;
  /** Path of the config file, logged as an artifact. */
  configFile?: string;
  log?: (line: string) => void;
  onEpoch?: (log: EpochLog) => void;
  /** Extra run tags. */
  tags?: Record<string, string>;
  /** Make the run a nested run of this one. */
  parentRunId?: string;
  /** Continue from this `checkpoints` folder (see TrainOptions.resumeFrom). */
  resumeFrom?: string;
  /** Log into this existing killed or failed run instead of a new one (`melbook train --resume`). */
  continueRunId?: string;
}

export interface TrainStageResult {
  runId: string;
  experimentId: string;
  runDir: string;
  preprocess: PreprocessResult;
  training: Omit<TrainResult, 'model' | 'dataset'>;
  evaluation: Evaluation;
  /** One per `evaluation.external` folder, scored with the saved model. */
  external: ExternalEvaluation[];
}

export async function trainStage(options: TrainStageOptions): Promise<TrainStageResult> {
  const { config } = options;
  const log = options.log ?? ((l: string) => console.log(l));
  const prep = await preprocess({ ...config });
  log(`features: ${prep.featureDir} (${prep.written} written, ${prep.reused} reused, ${prep.skipped.length} skipped)`);
  checkExternalSets(config, prep.metadata.classNames);
  const tracker = new Tracker({ root: config.tracking.root });
  const runOptions = { experimentName: config.tracking.experiment, runName: config.tracking.runName, tags: options.tags, parentRunId: options.parentRunId, continueRunId: options.continueRunId };
  return withRun(tracker, runOptions, async (run) => {
    log(`run ${run.runId} in experiment ${config.tracking.experiment} (${config.tracking.root}/${run.experimentId}/${run.runId})`);
    await run.logJson(config, 'config.json');
    if (options.configFile) await run.logArtifact(options.configFile, 'config');
    // The split this run trains on is the one in memory: metadata.json on disk may already hold
    // the split of a concurrent run (leave-one-speaker-out folds share one feature folder).
    await run.logJson(prep.metadata, 'dataset/metadata.json');
    const dataset = AudioDataset.fromPreprocess(prep);
    const result = await train({ config, featureDir: prep.featureDir, dataset, run, log, onEpoch: options.onEpoch, resumeFrom: options.resumeFrom });
    const evaluation = await evaluateModel(result.model, result.dataset, { normalization: config.training.normalization });
    await logEvaluation(run, evaluation);
    log(formatEvaluation(evaluation));
    const external = await scoreExternalSets(run, result.modelDir, config, log);
    const { model, dataset: _dataset, ...training } = result;
    void _dataset;
    disposeModel(model);
    return { runId: run.runId, experimentId: run.experimentId, runDir: `${config.tracking.root}/${run.experimentId}/${run.runId}`, preprocess: prep, training, evaluation, external };
  });
}
