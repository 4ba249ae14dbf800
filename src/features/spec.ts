/**
 * The feature spec: an extractor's complete, resolved parameter set (its `describe()`), as
 * preprocess writes it into metadata.json and training copies it into each model bundle.
 * `createExtractor` rebuilds the same extractor from it, and the plots read their axes from it.
 * The zod schema checks a spec read back from disk; the TypeScript types come from the schema.
 */
import { z } from 'zod';
import { MEL_NORMS, MEL_SCALES } from './filterbank';
import { MEL_OUTPUT_SCALES } from './mel';
import { MEYDA_FEATURES, MEYDA_WINDOWS } from './meyda';
import { DELTA_MODES } from './delta';
import { PAD_MODES } from './stft';

/**
 * Version of the feature implementations, part of every spec and so of every cache key. Bump it
 * when a change alters the numbers produced for the same parameters: specs of another version
 * then fail the schema, and so do the metadata and bundles that hold them.
 */
export const FEATURES_VERSION = 1;

const positiveInt = z.number().int().positive();

const versioned = { version: z.literal(FEATURES_VERSION) };

const framing = {
  /** Rate of the audio the extractor takes, Hz. */
  sampleRateHz: z.number().positive(),
  nFft: positiveInt,
  hopLength: positiveInt,
  center: z.boolean(),
  padMode: z.enum(PAD_MODES),
};

const melFields = {
  ...versioned,
  ...framing,
  winLength: positiveInt,
  power: z.union([z.literal(1), z.literal(2)]),
  nMels: positiveInt,
  fMinHz: z.number().nonnegative(),
  fMaxHz: z.number().positive(),
  melScale: z.enum(MEL_SCALES),
  norm: z.enum(MEL_NORMS).nullable(),
  scale: z.enum(MEL_OUTPUT_SCALES),
  logOffset: z.number().positive(),
  dbRef: z.union([z.number().positive(), z.literal('max')]),
  dbAmin: z.number().positive(),
  dbTopDb: z.number().nonnegative().nullable(),
};

/** Deltas stacked under the features (WithDeltas); absent when there are none. */
export const DeltaSpecSchema = z
  .object({ order: z.union([z.literal(1), z.literal(2)]), width: positiveInt, mode: z.enum(DELTA_MODES) })
  .strict();
const deltas = { deltas: DeltaSpecSchema.optional() };

export const MelFeatureSpecSchema = z.object({ kind: z.literal('mel'), ...melFields, ...deltas }).strict();
export const MfccFeatureSpecSchema = z
  .object({ kind: z.literal('mfcc'), ...melFields, nMfcc: positiveInt, dctNorm: z.literal('ortho').nullable(), ...deltas })
  .strict();
export const MeydaFeatureSpecSchema = z
  .object({
    kind: z.literal('meyda'),
    ...versioned,
    ...framing,
    features: z.array(z.enum(MEYDA_FEATURES)).min(1),
    windowingFunction: z.enum(MEYDA_WINDOWS),
    nMfcc: positiveInt,
    melBands: positiveInt,
    chromaBands: positiveInt,
    barkBands: positiveInt,
    ...deltas,
  })
  .strict();

export const FeatureSpecSchema = z.discriminatedUnion('kind', [MelFeatureSpecSchema, MfccFeatureSpecSchema, MeydaFeatureSpecSchema]);

export type DeltaSpec = z.infer<typeof DeltaSpecSchema>;
export type MelFeatureSpec = z.infer<typeof MelFeatureSpecSchema>;
export type MfccFeatureSpec = z.infer<typeof MfccFeatureSpecSchema>;
export type MeydaFeatureSpec = z.infer<typeof MeydaFeatureSpecSchema>;
export type FeatureSpec = z.infer<typeof FeatureSpecSchema>;

/**
 * How many equal stacks of rows the features have: 1, plus 1 per delta order (`deltas` stacks
 * the deltas under the bands). Row-wise augmentations treat each stack alike.
 */
export function featureRowBlocks(spec: Pick<FeatureSpec, 'deltas'>): number {
  return 1 + (spec.deltas?.order ?? 0);
}
