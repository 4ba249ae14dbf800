// Public API of the feature layer: DSP as pure functions, extractors, and the .npy format.
export { hannWindow, padWindowCentered } from './window';
export {
  PAD_MODES, type PadMode, type StftOptions, type ResolvedStftOptions, resolveStftOptions,
  stft, StftPlan, stftBinCount, stftFrameCount, padSignalInto,
} from './stft';
export {
  MEL_SCALES, type MelScale, type MelNorm, type MelFilterbankOptions, type SparseFilterbank,
  hzToMel, melToHz, melFilterbank, sparsifyFilterbank,
} from './filterbank';
export {
  MEL_OUTPUT_SCALES, type MelOutputScale, type MelSpectrogramOptions, type ResolvedMelSpectrogramOptions,
  type PowerToDbOptions, resolveMelSpectrogramOptions, melSpectrogram, MelPlan, powerToDb, powerToDbInto,
} from './mel';
export { DCT_NORMS, type DctNorm, type MfccOptions, type ResolvedMfccOptions, resolveMfccOptions, dctMatrix, mfcc, MfccPlan } from './mfcc';
export {
  MEYDA_FEATURES, MEYDA_SCALAR_FEATURES, MEYDA_VECTOR_FEATURES, MEYDA_WINDOWS, type MeydaFeatureName, type MeydaWindow,
  type MeydaFeaturesOptions, type ResolvedMeydaFeaturesOptions, resolveMeydaFeaturesOptions, meydaFeatureSize,
  meydaRowNames, meydaFeatures, MeydaPlan,
} from './meyda';
export {
  type FeatureArray, type Extractor, type ExtractorKind, type ExtractorSpec, type WarningHandler, EXTRACTOR_KINDS,
  FEATURES_VERSION, MelSpectrogram, Mfcc, MeydaFeatures, createExtractor, canonicalJson, cacheKey,
} from './extractor';
export {
  FeatureSpecSchema, MelFeatureSpecSchema, MfccFeatureSpecSchema, MeydaFeatureSpecSchema, DeltaSpecSchema, featureRowBlocks,
  type FeatureSpec, type MelFeatureSpec, type MfccFeatureSpec, type MeydaFeatureSpec, type DeltaSpec,
} from './spec';
export { type NpyArray, encodeNpy, decodeNpy, writeNpy, writeNpySync, readNpy, readNpySync } from './npy';
