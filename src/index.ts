/**
 * Public API of melbook: what notebooks (`import { ... } from '../dist/index.js'`) and other
 * programs import. Grouped by concern, in the order data flows through the pipeline.
 */

// Errors
export {
  MelbookError, ConfigError, AudioDecodeError, LabelError, NpyFormatError, TrackingError,
  ModelSpecError, NotebookExecutionError, NotebookFormatError, KernelError, FetchError, StaleFileError, StaleMetadataError, StaleBundleError, ExternalSetError,
} from './errors';

// Configuration
export { PipelineConfigSchema, SEED_MODEL, loadPipelineConfig, pipelineConfig, type PipelineConfig, type PipelineConfigInput } from './config/pipeline';
export { loadConfigFile, parseConfigText, applyOverrides, type LoadConfigOptions } from './config/load';
export type { DataConfig, FeaturesConfig, SplitConfig, PreprocessConfig, TrainingConfig, TrackingConfig } from './config/schema';

// Audio
export {
  decodeWav, encodeWav, WAV_FORMATS, resample, resampledLength, Resampler, RESAMPLE_QUALITIES, fitLength, loadAudio,
  PAD_MODES as AUDIO_PAD_MODES, TRIM_MODES,
  type DecodedAudio, type WavFormat, type EncodeWavOptions, type ResampleQuality, type ResampleOptions,
  type PadMode as AudioPadMode, type TrimMode, type FitLengthOptions, type LoadAudioOptions, type LoadedAudio,
} from './audio';

// Features and the .npy format
export * from './features';

// Data: labels, splits, manifest, dataset, FSDD download
export { listWavFiles, parseClip, parseClips, classNames, type ClipSource, type LabelOptions } from './data/labels';
export { assignSplits, countBySplit, SPLITS, type SplitName, type SplitOptions } from './data/split';
export {
  readManifest, readMetadata, MANIFEST_FILE, METADATA_FILE, REPORT_FILE,
  type Manifest, type ManifestEntry, type DatasetMetadata, type NormalizationStats, type SkippedClip,
} from './data/manifest';
export { AudioDataset, classBalanceFrame, normalize, normalizeClip, NORMALIZATIONS, type Normalization, type DatasetOptions, type Batch } from './data/dataset';
export {
  fetchFsdd, FSDD_ARCHIVE_URL, FSDD_COMMIT,
  type FetchFsddOptions, type FetchFsddResult,
} from './data/fetch-fsdd';
export { verifyRecordings, assertVerified, DEFAULT_FSDD_CHECKSUMS_FILE, type VerificationReport } from './data/checksums';

// Model
export {
  ModelSpecSchema, CnnSpecSchema, CompileSchema, OptimizerSchema, parseSpec, validateCnnSpecForInput,
  type ModelSpec, type ModelSpecInput, type CnnSpec, type ConvBlockSpec, type DenseSpec, type OptimizerSpec, type CompileSpec,
} from './model/spec';
export { buildCnn, compileModel, describeCnn } from './model/cnn';
export { buildModel, describeModel, disposeModel, defaultModelRegistry, getModelFactory } from './model/model';
export type { ModelFactory, ModelBuildInput } from './model/factory';
export { createOptimizer } from './model/optimizer';
export { selectBackend, BACKEND_ENV_VAR, type BackendSelection, type SelectBackendOptions } from './model/backend';
export { saveModel, loadModel } from './model/io';

// Stages, training and evaluation
export { preprocess, featureKeyFor, type PreprocessOptions, type PreprocessResult } from './stages/preprocess';
export { trainStage, type TrainStageOptions, type TrainStageResult } from './stages/train';
export { train, useBackend, type TrainOptions, type TrainResult } from './train/train';
export { evaluateModel, scoreProbabilities, logEvaluation, formatEvaluation, type Evaluation, type Misclassified } from './train/evaluate';
export { classificationReport, confusionMatrix, type EvaluationReport, type ClassReport } from './train/metrics';
export { EarlyStopping, LearningRateSchedule, type EpochLog } from './train/callbacks';
export { Predictor, topClasses, checkSpeedFactors, type Prediction } from './train/predict';
export { Ensemble } from './train/ensemble';
export { readBundleMetadata, type BundleMetadata } from './train/bundle';

// Tracking
export {
  Tracker, RunHandle, withRun, FileStore, ParamChangedError, RUN_STATUSES, MLFLOW_TAGS,
  formatRunsTable, formatRunsComparison, LIVENESS_TAGS, runLiveness, localProbe,
  type Liveness, type LivenessProbe, type HeartbeatOptions, type TrackerOptions, type StartRunOptions, type WithRunOptions, type Run, type RunInfo, type RunData,
  type Metric, type RunStatus, type TrackingStore, type Experiment,
} from './tracking';

// Figures
export * from './viz';

// Notebook stages and the headless pipeline
export { openStage, resolveConfigPaths, STAGES, type StageName, type StageContext, type StageParameters } from './stages/context';
export {
  featureDirFor, preprocessStage, showPreprocessSummary, pickClips, showClips, datasetStage, showDatasetSummary, showAugmentationPreview, previewBatch,
  trainStageInRun, showTrainingCurves, findModelDir, evaluateStage, showEvaluation, showMisclassified,
} from './stages/notebook-stages';
export { runPipeline, selectStages, type PipelineOptions, type PipelineResult } from './stages/pipeline';

// Notebook runner (papermill-style, for tslab)
export { executeNotebook, type ExecuteNotebookOptions, type OutputSink } from './runner/execute';
export { parameterizeNotebook, injectedSource, type Parameters } from './runner/parameterize';
export { readNotebook, writeNotebook, formatNotebook } from './runner/notebook-io';
export {
  PARAMETERS_TAG, INJECTED_PARAMETERS_TAG,
  type Notebook, type Cell, type CodeCell, type Output, type MimeBundle, type CellStatus, type CellRunMetadata,
} from './nbformat';
export { tslabEngine, type Engine, type KernelSession, type CellExecution, type EngineStartOptions, type TslabEngineOptions } from './runner/engine';
export { installKernelSpec, jupyterDataDir, type KernelSpecInstallOptions, type InstalledKernelSpec } from './runner/kernelspec';
export {
  createProgress, createProgressReporter, createDownloadProgress,
  type ProgressReporter, type NotebookProgressReporter, type DownloadProgressReporter, type DownloadProgress, type ProgressEvent,
} from './progress';

// Reports
export { renderRunReport, writeRunReport, REPORT_ARTIFACT, type RunReportOptions, type WriteRunReportOptions } from './report/html';
export { renderNotebookHtml } from './report/notebook';
export { augmentationPreview, type AugmentationPreview } from './stages/augment-preview';

// Orchestration: leave-one-speaker-out folds and seed ensembles as jobs handed to an executor
export { leaveOneSpeakerOut, foldConfig, foldJob, formatLoso, type LosoOptions, type LosoResult, type FoldResult } from './orchestration/loso';
export { losoSeedEnsemble, trainSeedEnsemble, seedConfig, seedOverrides, type SeedEnsembleOptions } from './orchestration/seeds';
export { jobId, trainingJob, resolveJobConfig, applyConfigOverrides, type TrainingJob, type JobResult, type ConfigOverrides, type OverrideValue } from './orchestration/job';
export { runJob, JOB_TAG } from './orchestration/run-job';
export { LocalExecutor, type LocalExecutorOptions } from './orchestration/local-executor';
export type { Executor, JobEvents } from './orchestration/executor';

// Evaluating tracked runs: ensembles, leave-one-speaker-out summaries
export { evaluateEnsemble, formatEnsemble, type EnsembleOptions, type EnsembleResult, type EnsembleFold } from './stages/evaluate-ensemble';
export { evaluateRun, type EvaluateRunOptions, type EvaluateRunResult } from './stages/evaluate';
export { evaluateExternal, scoreExternal, formatExternal, type EvaluateExternalOptions, type ExternalEvaluation, type Classifier } from './stages/evaluate-external';
export { findTrainedModel, type FindModelOptions } from './stages/find-model';
export { listExternalClips, checkExternalLabels, type ExternalSet, type ExternalClip } from './data/external';
export { summarizeFolds, listLosoRuns, losoSummary, losoTableRows, showLosoRuns, type LosoSummary } from './stages/loso-report';

// Augmentation, silence trimming, deltas and per-utterance normalisation
export { resolveAugmentOptions, featureAugmenter, waveformAugmenter, type AugmentOptions, type ResolvedAugmentOptions } from './data/augment';
export {
  specAugment, drawSpecAugmentMasks, applyMasks, timeShift, shiftFrames, composeTransforms, warpFrequency, randomFreqWarp,
  type SpecAugmentOptions, type TimeShiftOptions,
} from './data/augment-features';
export { addNoise, speedPerturb } from './data/augment-waveform';
export { pitchShift, timeStretch, formantWarp } from './data/voice-augment';
export { mixup, mixupLambda, oneHot } from './data/mixup';
export { gaussianSource } from './data/random';
export { trimSilence, nonSilentRange, resolveTrimSilenceOptions, type TrimSilenceOptions } from './audio/silence';
export { FeatureSpecSchema, featureRowBlocks, type FeatureSpec, type MelFeatureSpec, type MfccFeatureSpec, type MeydaFeatureSpec } from './features/spec';
export { AudioSettingsSchema, clipLength, type AudioSettings } from './audio/settings';
export { prepareAudio, type PreparedAudio } from './audio/load';
export { deltas, stackDeltas, stackedDeltaShape, DELTA_MODES, type DeltaOptions } from './features/delta';
export { perUtteranceNormalize, CMVN_MODES, type PerUtteranceNormalizeOptions, type FeatureShape } from './features/normalize';
