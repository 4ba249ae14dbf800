/**
 * The YAML configuration schema of the whole pipeline (data, features, split, preprocess,
 * model, training, tracking). Separate from the runtime options of each module: this file
 * says what a user may write; `load.ts` validates it and maps zod issues to ConfigError
 * with the YAML path. Keys are camelCase in YAML, as in the TypeScript options they feed.
 */
import { z } from 'zod';
import { NORMALIZATIONS } from '../features/normalize';
import { FIT_DEFAULTS, PAD_MODES, TRIM_MODES } from '../audio/fit';
import { TRIM_EDGES, TRIM_SILENCE_DEFAULTS } from '../audio/silence';
import { MEL_NORMS, MEL_SCALES } from '../features/filterbank';
import { MEL_DEFAULTS, MEL_OUTPUT_SCALES } from '../features/mel';
import { MFCC_DEFAULTS } from '../features/mfcc';
import { MEYDA_DEFAULTS, MEYDA_FEATURES } from '../features/meyda';
import { DELTA_DEFAULTS, DELTA_MODES } from '../features/delta';
import { BACKEND_PREFERENCES } from '../model/backend';

// Every value list and default of the audio, feature and backend settings is declared once, by
// the module that implements it, and imported here. The split modes belong to this file: data/
// (which splits) sits above config/ and takes its SplitOptions from SplitSchema.
export const SPLIT_MODES = ['official', 'speaker', 'random'] as const;

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
const fraction = z.number().gt(0).lt(1);

/** Where clips come from and how they become fixed-length mono signals. */
export const DataSchema = z
  .object({
    /** Folder of .wav files, relative to the working directory. Default `recordings`. */
    recordings: z.string().min(1).default('recordings'),
    /** `pattern`: labels from file names; `folders`: one sub-folder per class (`class-7/x.wav`). */
    layout: z.enum(['pattern', 'folders']).default('pattern'),
    /**
     * Regex over the file name (not the path) with named groups `label` (required), `speaker`
     * and `take` (optional). Default: FSDD's `{digit}_{speaker}_{take}.wav`.
     */
    pattern: z.string().default('^(?<label>\\d+)_(?<speaker>[A-Za-z]+)_(?<take>\\d+)\\.wav$'),
    /** With layout `folders`: regex over the folder name with a `label` group. */
    folderPattern: z.string().default('^(?:class-)?(?<label>.+)$'),
    /** Target sample rate in Hz; other rates are resampled (anti-aliased). Default 8000. */
    sampleRateHz: positiveInt.default(8000),
    /** Clip length in seconds after pad/trim. Default 1.0 s (keeps > 99 % of FSDD whole). */
    durationS: z.number().positive().max(600).default(1.0),
    /** Where zero padding goes on short clips. Default `end` (as the PyTorch yardstick). */
    pad: z.enum(PAD_MODES).default(FIT_DEFAULTS.pad),
    /** Which part of a long clip is kept. Default `start`. */
    trim: z.enum(TRIM_MODES).default(FIT_DEFAULTS.trim),
    /**
     * Cut leading and trailing silence before pad/trim (frames quieter than `topDb` below the
     * loudest frame), or null to keep the clip as recorded. Default null.
     */
    trimSilence: z
      .object({
        /** dB below the loudest frame under which a frame is silence. Default 30. */
        topDb: z.number().positive().default(TRIM_SILENCE_DEFAULTS.topDb),
        /** RMS frame length in samples. Default 256. */
        frameLength: positiveInt.default(TRIM_SILENCE_DEFAULTS.frameLength),
        /** Samples between RMS frames. Default 64. */
        hopLength: positiveInt.default(TRIM_SILENCE_DEFAULTS.hopLength),
        /** `both`: leading and trailing silence; `start`: leading only (keeps quiet word endings). Default `both`. */
        edges: z.enum(TRIM_EDGES).default(TRIM_SILENCE_DEFAULTS.edges),
        /** Samples kept on each side of the cut (fricative onsets are 30-40 dB below the vowel). Default 0. */
        margin: z.number().int().nonnegative().default(TRIM_SILENCE_DEFAULTS.margin),
      })
      .strict()
      .nullable()
      .default(null),
  })
  .strict();

const MelFields = {
  /** FFT size in samples (power of two). Default 256. */
  nFft: positiveInt.default(MEL_DEFAULTS.nFft),
  /** Window length in samples, at most nFft. Default nFft. */
  winLength: positiveInt.optional(),
  /** Hop between frames in samples. Default 128. */
  hopLength: positiveInt.default(MEL_DEFAULTS.hopLength),
  /** Centre frames with reflect padding of nFft/2 on both sides. Default true. */
  center: z.boolean().default(MEL_DEFAULTS.center),
  /** Spectrogram power: 1 magnitude, 2 power. Default 2. */
  power: z.union([z.literal(1), z.literal(2)]).default(MEL_DEFAULTS.power),
  /** Number of mel bands. Default 64. */
  nMels: positiveInt.default(MEL_DEFAULTS.nMels),
  /** Lowest band edge in Hz. Default 0. */
  fMinHz: z.number().nonnegative().default(MEL_DEFAULTS.fMinHz),
  /** Highest band edge in Hz. Default sampleRateHz / 2. */
  fMaxHz: z.number().positive().optional(),
  /** Mel scale formula. Default `htk`. */
  melScale: z.enum(MEL_SCALES).default(MEL_DEFAULTS.melScale),
  /** `slaney` area normalisation of the filters, or null. Default null. */
  norm: z.enum(MEL_NORMS).nullable().default(MEL_DEFAULTS.norm),
  /** Output scale: `linear`, `log` (log(x + logOffset)) or `db` (powerToDb). Default `log`. */
  scale: z.enum(MEL_OUTPUT_SCALES).default(MEL_DEFAULTS.scale),
  /** Offset added before the natural log. Default 1e-6 (as the yardstick). */
  logOffset: z.number().positive().default(MEL_DEFAULTS.logOffset),
  /** dB reference power. Default 1. */
  dbRef: z.number().positive().default(MEL_DEFAULTS.dbRef),
  /** dB floor on power. Default 1e-10. */
  dbAmin: z.number().positive().default(MEL_DEFAULTS.dbAmin),
  /** dB dynamic range kept below the max, or null. Default 80. */
  dbTopDb: z.number().positive().nullable().default(MEL_DEFAULTS.dbTopDb),
  /**
   * Time derivatives stacked under the features as extra rows ([x; delta; delta-delta]), or
   * null. Default null.
   */
  deltas: z
    .object({
      /** 1: deltas; 2: deltas and delta-deltas. */
      order: z.union([z.literal(1), z.literal(2)]),
      /** Regression window in frames, odd and >= 3. Default 9 (librosa). */
      width: z.number().int().min(3).refine((w) => w % 2 === 1, 'must be odd').default(DELTA_DEFAULTS.width),
      /** Edges: `interp` (librosa) or `replicate` (torchaudio). Default `interp`. */
      mode: z.enum(DELTA_MODES).default(DELTA_DEFAULTS.mode),
    })
    .strict()
    .nullable()
    .default(null),
};

export const MelFeaturesSchema = z.object({ kind: z.literal('mel'), ...MelFields }).strict();
export const MfccFeaturesSchema = z
  .object({
    kind: z.literal('mfcc'),
    ...MelFields,
    scale: z.enum(MEL_OUTPUT_SCALES).default(MFCC_DEFAULTS.scale),
    /** Number of cepstral coefficients. Default 20. */
    nMfcc: positiveInt.default(MFCC_DEFAULTS.nMfcc),
  })
  .strict();
export const MeydaFeaturesSchema = z
  .object({
    kind: z.literal('meyda'),
    /** meyda feature names, e.g. [rms, zcr, spectralCentroid]. */
    features: z.array(z.enum(MEYDA_FEATURES)).min(1),
    nFft: positiveInt.default(MEYDA_DEFAULTS.nFft),
    hopLength: positiveInt.default(MEYDA_DEFAULTS.hopLength),
    center: z.boolean().default(MEYDA_DEFAULTS.center),
  })
  .strict();

export const FeaturesSchema = z.discriminatedUnion('kind', [MelFeaturesSchema, MfccFeaturesSchema, MeydaFeaturesSchema]);

export const SplitSchema = z
  .object({
    /**
     * `official`: takes `officialTestTakes` are test (FSDD: 0-4); `speaker`: one speaker is
     * test; `random`: seeded stratified random test fraction.
     */
    mode: z.enum(SPLIT_MODES).default('official'),
    /** With `official`: the highest take number that goes to test. Default 4. */
    officialMaxTestTake: nonNegativeInt.default(4),
    /** With `speaker`: the held-out speaker. */
    testSpeaker: z.string().min(1).optional(),
    /** With `random`: fraction of each class in test. Default 0.1. */
    testFraction: fraction.default(0.1),
    /** Fraction of each class of the remaining clips used for validation. Default 0.1. */
    validationFraction: z.number().min(0).lt(1).default(0.1),
    /** Seed of every random choice of the split. Default 42. */
    seed: z.number().int().default(42),
  })
  .strict();

export const PreprocessSchema = z
  .object({
    /** Root of the feature cache: `<dir>/<featureKey>/`. Default `features`. */
    dir: z.string().min(1).default('features'),
    /** Worker threads, or 0 for one per core. Default 0. */
    workers: nonNegativeInt.default(0),
    /** Fail (exit non-zero) when any clip is skipped. Default false. */
    strict: z.boolean().default(false),
    /**
     * Waveform augmentation, precomputed: `copies` perturbed versions of every clip are written
     * next to it (speed/pitch by resampling, then white noise). Training draws one version per
     * clip per epoch (the original or a copy) for the training split only, so an epoch costs
     * the same as without augmentation. 0 copies turns it off (default).
     */
    augment: z
      .object({
        /** Perturbed copies per clip. Default 0 (off). */
        copies: nonNegativeInt.max(64).default(0),
        /** Seed of the perturbations; a copy depends only on the seed, the clip id and its index. Default 0. */
        seed: z.number().int().default(0),
        /** Speed and pitch perturbation: with `probability`, a factor uniform in [minFactor, maxFactor] (> 1 faster and higher). */
        speed: z
          .object({ probability: z.number().min(0).max(1).default(0), minFactor: z.number().positive().default(0.9), maxFactor: z.number().positive().default(1.1) })
          .strict()
          .default({}),
        /** Additive white noise: with `probability`, an SNR uniform in [minSnrDb, maxSnrDb] dB against the recording. */
        noise: z
          .object({ probability: z.number().min(0).max(1).default(0), minSnrDb: z.number().default(10), maxSnrDb: z.number().default(30) })
          .strict()
          .default({}),
        /** Pitch shift with the duration kept: with `probability`, a shift uniform in [minSemitones, maxSemitones]. Off: not in the feature key. */
        pitch: z
          .object({ probability: z.number().min(0).max(1).default(0), minSemitones: z.number().min(-12).max(12).default(-3), maxSemitones: z.number().min(-12).max(12).default(8) })
          .strict()
          .default({}),
        /** Formant (vocal-tract-length) warp with f0 kept: with `probability`, a factor uniform in [minFactor, maxFactor] (> 1 higher formants). Off: not in the feature key. */
        formant: z
          .object({ probability: z.number().min(0).max(1).default(0), minFactor: z.number().min(0.5).max(2).default(0.9), maxFactor: z.number().min(0.5).max(2).default(1.2) })
          .strict()
          .default({}),
      })
      .strict()
      .default({}),
  })
  .strict();

export const TrackingSchema = z
  .object({
    /** Root folder of the MLflow-compatible file store. Default `runs`. */
    root: z.string().min(1).default('runs'),
    /** Experiment name; created when missing. Default `fsdd`. */
    experiment: z.string().min(1).default('fsdd'),
    /** Run name; default derived from the time. */
    runName: z.string().min(1).optional(),
  })
  .strict();

/** How saved models are scored by `melbook evaluate --ensemble` (single-model scores stay plain). */
export const EvaluationSchema = z
  .object({
    /**
     * Test-time augmentation: classify each clip once per speed factor (resampled as
     * `preprocess.augment.speed` does, > 1 faster and higher) and average the probabilities.
     * Default [1]: the clip as recorded.
     */
    speedFactors: z.array(z.number().gt(0).max(2)).min(1).default([1]),
    /**
     * Seeds of an ensemble. When set, `melbook train` and `melbook evaluate --loso` train one
     * model (or one leave-one-speaker-out run) per seed, each seed setting `training.seed` and
     * `preprocess.augment.seed`, then score them as one model with `speedFactors`; `--seeds`
     * overrides. Default []: one model, seeded by `training.seed`. The notebooks train one model.
     */
    seeds: z
      .array(z.number().int().nonnegative())
      .default([])
      .refine((seeds) => new Set(seeds).size === seeds.length, { message: 'each seed at most once: two runs with one seed are the same model' }),
    /**
     * Folders of labelled wavs outside the dataset (named by `data.layout` and `data.pattern`
     * or `data.folderPattern`), scored by `melbook train` after the test split and by the
     * evaluate notebook, as `melbook evaluate --external DIR` does. Default [].
     */
    external: z.array(z.string().min(1)).default([]),
  })
  .strict();

export type DataConfig = z.infer<typeof DataSchema>;
export type FeaturesConfig = z.infer<typeof FeaturesSchema>;
export type SplitConfig = z.infer<typeof SplitSchema>;
export type PreprocessConfig = z.infer<typeof PreprocessSchema>;
export type TrackingConfig = z.infer<typeof TrackingSchema>;

export const TrainingSchema = z
  .object({
    /** Passes over the training split. Default 15. */
    epochs: positiveInt.default(15),
    /** Clips per batch. Default 32. */
    batchSize: positiveInt.default(32),
    /** Seed of weight initialisation and shuffling. Default 0. */
    seed: z.number().int().default(0),
    /** Shuffle buffer in clips, or 0 for the whole training split (read from metadata). Default 0. */
    shuffleBuffer: nonNegativeInt.default(0),
    /**
     * Input normalisation: `global` (mean/std of the training split), `utterance` (the clip's
     * own mean/std), `utteranceBand` (each mel band's own mean/std over the clip) or `none`.
     * Default `global`.
     */
    normalization: z.enum(NORMALIZATIONS).default('global'),
    /** Stop when `monitor` has not improved for `patience` epochs; null disables. */
    earlyStopping: z
      .object({
        monitor: z.enum(['val_loss', 'val_accuracy']).default('val_loss'),
        patience: positiveInt.default(5),
        /** Smallest change that counts as an improvement. Default 0. */
        minDelta: z.number().nonnegative().default(0),
      })
      .strict()
      .nullable()
      .default(null),
    /** Learning-rate schedule, or null for a constant rate. */
    lrSchedule: z
      .object({
        /** `step`: multiply by `factor` every `everyEpochs`; `plateau`: when val_loss stalls `patience` epochs. */
        type: z.enum(['step', 'plateau']),
        factor: fraction.default(0.5),
        everyEpochs: positiveInt.default(5),
        patience: positiveInt.default(2),
        minLearningRate: z.number().nonnegative().default(1e-6),
      })
      .strict()
      .nullable()
      .default(null),
    /**
     * Feature-level augmentation of the training split only (seeded; validation and test are
     * never augmented). Off by default. See docs/augmentation.md.
     */
    augment: z
      .object({
        /** SpecAugment: `freqMasks` masks of up to `freqMaskWidth` mel bands, `timeMasks` of up to `timeMaskWidth` frames, set to `maskValue` (0 = the normalised mean). */
        specAugment: z
          .object({
            freqMasks: nonNegativeInt.default(0),
            freqMaskWidth: nonNegativeInt.default(0),
            timeMasks: nonNegativeInt.default(0),
            timeMaskWidth: nonNegativeInt.default(0),
            maskValue: z.number().default(0),
          })
          .strict()
          .default({}),
        /** Random shift of up to `maxShiftFrames` frames either way, filled with `fill` (no wrap-around). */
        timeShift: z.object({ maxShiftFrames: nonNegativeInt.default(0), fill: z.number().default(0) }).strict().default({}),
        /** Frequency warp (VTLP on the band axis): with `probability`, stretch the bands by a factor uniform in [minFactor, maxFactor]; > 1 moves content up. */
        freqWarp: z
          .object({
            probability: z.number().min(0).max(1).default(0),
            minFactor: z.number().positive().max(2).default(0.9),
            maxFactor: z.number().positive().max(2).default(1.1),
          })
          .strict()
          .default({}),
        /** mixup of each training batch, lambda ~ Beta(alpha, alpha); 0 is off. Training then uses categorical cross-entropy on soft labels. */
        mixup: z.object({ alpha: z.number().nonnegative().default(0) }).strict().default({}),
      })
      .strict()
      .default({}),
    /** tfjs backend: `auto` tries tensorflow (tfjs-node), then wasm, then cpu. Env MELBOOK_BACKEND overrides it (see selectBackend). */
    backend: z.enum(BACKEND_PREFERENCES).default('auto'),
    /**
     * Data parallelism: 1 trains in this thread; N >= 2 cuts every batch into N shards whose
     * gradients N worker threads compute on their own backend, averaged and applied here (as
     * PyTorch DDP without SyncBatchNorm; see train/data-parallel.ts). Results depend on N.
     * Default 1.
     */
    replicas: positiveInt.max(64).default(1),
  })
  .strict();

export type TrainingConfig = z.infer<typeof TrainingSchema>;
