/**
 * The audio settings of a dataset: how every clip became model-ready samples (rate, length,
 * pad/trim, silence trimming). Preprocess records them in metadata.json, training copies them
 * into each model bundle, and predict and the notebooks load audio with them, so every stage
 * hears what training heard. The schema checks them when such a file is read back.
 */
import { z } from 'zod';
import { PAD_MODES, TRIM_MODES } from './fit';
import { TRIM_EDGES } from './silence';

/**
 * Silence trimming as recorded: every option spelled out except `margin`, which is written only
 * when it is above 0 so that feature folders made before it existed keep their keys.
 */
export const TrimSilenceSettingsSchema = z
  .object({
    /** dB below the loudest frame under which a frame is silence. */
    topDb: z.number().positive(),
    /** RMS frame length in samples. */
    frameLength: z.number().int().positive(),
    /** Samples between RMS frames. */
    hopLength: z.number().int().positive(),
    edges: z.enum(TRIM_EDGES),
    /** Samples kept on each side of the cut; absent means 0. */
    margin: z.number().int().positive().optional(),
  })
  .strict();

export const AudioSettingsSchema = z
  .object({
    /** Rate every clip is resampled to, Hz. */
    sampleRateHz: z.number().int().positive(),
    /** Clip length after pad/trim, seconds: round(durationS * sampleRateHz) samples. */
    durationS: z.number().positive(),
    pad: z.enum(PAD_MODES),
    trim: z.enum(TRIM_MODES),
    /** Silence trimming before pad/trim; absent when off. */
    trimSilence: TrimSilenceSettingsSchema.optional(),
  })
  .strict();

export type TrimSilenceSettings = z.infer<typeof TrimSilenceSettingsSchema>;
export type AudioSettings = z.infer<typeof AudioSettingsSchema>;

/** The number of samples every clip is fitted to. */
export function clipLength(audio: Pick<AudioSettings, 'durationS' | 'sampleRateHz'>): number {
  return Math.round(audio.durationS * audio.sampleRateHz);
}
