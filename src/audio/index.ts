// Audio loading: decode WAV bytes, resample, pad/trim; plus a WAV encoder for fixtures and players.
export { decodeWav, type DecodedAudio } from './wav';
export { encodeWav, WAV_FORMATS, type WavFormat, type EncodeWavOptions } from './encode';
export {
  resample,
  resampledLength,
  Resampler,
  RESAMPLE_QUALITIES,
  type ResampleQuality,
  type ResampleOptions,
} from './resample';
export { fitLength, PAD_MODES, TRIM_MODES, type PadMode, type TrimMode, type FitLengthOptions } from './fit';
export { loadAudio, prepareAudio, readAudioFile, type LoadAudioOptions, type LoadedAudio, type PreparedAudio } from './load';
export { AudioSettingsSchema, TrimSilenceSettingsSchema, clipLength, type AudioSettings, type TrimSilenceSettings } from './settings';
