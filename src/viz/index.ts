/** Static figures rendered in Node as PNG bytes: spectrograms, waveforms, and the helpers to embed them. */
export {
  renderSpectrogramPng,
  Y_AXIS_KINDS,
  type YAxisKind,
  type SpectrogramImageOptions,
} from './spectrogram';
export { renderWaveformPng, type WaveformImageOptions } from './waveform';
export { pngDataUri } from './canvas';
export { COLORMAPS, type ColormapName, colormapTable } from './colormap';
export {
  trainingCurvesFigure, confusionFigure, perGroupAccuracyFigure, classBalanceFigure, SPLIT_COLORS,
  type PlotlyFigure, type PlotlyTrace, type ClassBalanceRow, type TrainingHistoryRow,
} from './plots';
export {
  showFigure, showPng, showSpectrogram, showWaveform, showAudio, showTable, setDisplaySink, figureBundle, tableBundle,
  pngBundle, audioBundle, PLOTLY_MIME, type DisplaySink, type DisplayMessage,
} from './display';
export { escapeHtml, escapeAttr } from './html-escape';
