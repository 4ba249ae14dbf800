/**
 * Spectrograms as static PNG images, so they show in every notebook viewer, on GitHub and in
 * the HTML report: the data as a colour image (low bins at the bottom, one block per bin and
 * frame, no smoothing), a time axis in seconds, a frequency axis in Hz (mel bands are labelled
 * at round frequencies placed where they fall among the band centres), a colour bar with the
 * value range and a title.
 */
import { ConfigError } from '../errors';
import { Raster } from './canvas';
import { COLORMAPS, colorAt, colormapTable, type ColormapName } from './colormap';
import { linearAxis, melAxis, type FrequencyAxis } from './frequency-axis';
import { MEL_SCALES, type MelScale } from '../features/filterbank';
import { drawFrame, layoutFrame, type FrameSpec, type Rect } from './frame';
import { textHeight, textWidth } from './font';
import { fitLinearTicks, formatHz, pickSpacedValues, roundFrequencyCandidates, type AxisTick } from './ticks';

export const Y_AXIS_KINDS = ['mel', 'linear', 'index'] as const;
export type YAxisKind = (typeof Y_AXIS_KINDS)[number];

export interface SpectrogramImageOptions {
  /** Text above the plot. Default none. */
  title?: string;
  /** Samples between frames; frame t is centred at t * hopLength / sampleRateHz seconds. Required. */
  hopLength: number;
  /** Sample rate of the analysed audio in Hz. Required. */
  sampleRateHz: number;
  /** Meaning of the rows: mel bands, linear-frequency (STFT) bins, or plain bin numbers. Required. */
  yAxis: YAxisKind;
  /** Lowest frequency of the bins in Hz (mel: lower filterbank edge; linear: bin 0). Default 0. */
  fMinHz?: number;
  /** Highest frequency in Hz (mel: upper filterbank edge; linear: last bin). Default sampleRateHz / 2. */
  fMaxHz?: number;
  /** Mel formula of the bands when yAxis is 'mel'. Default 'htk' (torchaudio's default). */
  melScale?: MelScale;
  /** Colour map. Default 'viridis'. */
  colormap?: ColormapName;
  /** Image width in pixels. Default 640. */
  width?: number;
  /** Image height in pixels. Default 320. */
  height?: number;
  /** Value drawn with the lowest colour; lower values are clamped. Default: the data minimum. */
  vmin?: number;
  /** Value drawn with the highest colour; higher values are clamped. Default: the data maximum. */
  vmax?: number;
  /** Unit of the values, written along the colour bar (e.g. `dB`). Default none. */
  colorbarLabel?: string;
}

interface ResolvedSpectrogramImageOptions extends Required<Omit<SpectrogramImageOptions, 'title' | 'colorbarLabel'>> {
  title?: string;
  colorbarLabel?: string;
}

/**
 * Renders a spectrogram to PNG bytes. `data` is row-major with shape [nBins, nFrames]
 * (value of bin b in frame t at `data[b * nFrames + t]`), the layout of melbook's feature
 * arrays. Non-finite values are drawn with the nearest end of the colour map (NaN as the low end).
 */
export function renderSpectrogramPng(
  data: Float32Array,
  shape: readonly [number, number],
  options: SpectrogramImageOptions,
): Uint8Array {
  const [nBins, nFrames] = shape;
  if (!Number.isInteger(nBins) || !Number.isInteger(nFrames) || nBins < 1 || nFrames < 1) {
    throw new ConfigError('shape', shape, 'expected [nBins, nFrames], two positive integers');
  }
  if (data.length !== nBins * nFrames) {
    throw new ConfigError('data', `${data.length} values`, `expected nBins * nFrames = ${nBins} * ${nFrames} = ${nBins * nFrames} values for shape [${nBins}, ${nFrames}]`);
  }
  const opts = resolveOptions(data, options);
  const table = colormapTable(opts.colormap);
  const yAxis = frequencyAxis(nBins, opts);

  const spec: FrameSpec = {
    width: opts.width,
    height: opts.height,
    title: opts.title,
    xTitle: 'time (s)',
    yTitle: opts.yAxis === 'index' ? 'bin' : opts.yAxis === 'mel' ? 'Hz (mel)' : 'Hz',
    xTicks: [],
    yTicks: [],
    colorbar: { table, ticks: [], label: opts.colorbarLabel },
  };
  // Tick density depends on the plot size, which depends on the label widths: lay out once with
  // rough labels, pick ticks for that plot size, then lay out again with the real labels.
  const draft = layoutFrame({ ...spec, yTicks: [{ at: 0, label: '0000' }], colorbar: { ...spec.colorbar!, ticks: [{ at: 0, label: '-00.0' }] } });
  const s = draft.fontScale;
  spec.xTicks = timeTicks(nFrames, opts, draft.plot.width, s);
  spec.yTicks = yAxis ? frequencyTicks(yAxis, nBins, opts, draft.plot.height, s) : indexTicks(nBins, draft.plot.height, s);
  spec.colorbar!.ticks = valueTicks(opts.vmin, opts.vmax, draft.plot.height, s);
  const layout = layoutFrame(spec);

  const raster = new Raster(opts.width, opts.height);
  paintCells(raster, layout.plot, data, nBins, nFrames, (v) => colorAt(table, (v - opts.vmin) / (opts.vmax - opts.vmin)));
  drawFrame(raster, layout, spec);
  return raster.toPng();
}

function resolveOptions(data: Float32Array, options: SpectrogramImageOptions): ResolvedSpectrogramImageOptions {
  const { hopLength, sampleRateHz, yAxis } = options;
  if (!(hopLength > 0)) throw new ConfigError('hopLength', hopLength, 'expected a positive number of samples');
  if (!(sampleRateHz > 0)) throw new ConfigError('sampleRateHz', sampleRateHz, 'expected a positive sample rate in Hz');
  if (!Y_AXIS_KINDS.includes(yAxis)) throw new ConfigError('yAxis', yAxis, `expected one of ${Y_AXIS_KINDS.join(', ')}`);
  const colormap = options.colormap ?? 'viridis';
  if (!COLORMAPS.includes(colormap)) throw new ConfigError('colormap', colormap, `expected one of ${COLORMAPS.join(', ')}`);
  const melScale = options.melScale ?? 'htk';
  if (!MEL_SCALES.includes(melScale)) throw new ConfigError('melScale', melScale, `expected one of ${MEL_SCALES.join(', ')}`);
  const fMinHz = options.fMinHz ?? 0;
  const fMaxHz = options.fMaxHz ?? sampleRateHz / 2;
  if (!(fMinHz >= 0 && fMinHz < fMaxHz)) throw new ConfigError('fMinHz', fMinHz, `expected 0 <= fMinHz < fMaxHz = ${fMaxHz} Hz`);

  let lo = Infinity;
  let hi = -Infinity;
  for (const v of data) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) [lo, hi] = [0, 1];
  let vmin = options.vmin ?? lo;
  let vmax = options.vmax ?? hi;
  if (options.vmin !== undefined && options.vmax !== undefined && !(vmin < vmax)) {
    throw new ConfigError('vmin', vmin, `expected vmin below vmax = ${vmax}`);
  }
  if (!(vmin < vmax)) {
    // A constant image (or one side fixed past the data): widen so the colours stay defined.
    if (options.vmin === undefined) vmin = vmax - 1;
    else vmax = vmin + 1;
  }
  return {
    title: options.title,
    hopLength,
    sampleRateHz,
    yAxis,
    fMinHz,
    fMaxHz,
    melScale,
    colormap,
    width: options.width ?? 640,
    height: options.height ?? 320,
    vmin,
    vmax,
    colorbarLabel: options.colorbarLabel,
  };
}

function frequencyAxis(nBins: number, opts: ResolvedSpectrogramImageOptions): FrequencyAxis | undefined {
  if (opts.yAxis === 'mel') return melAxis(nBins, opts.fMinHz, opts.fMaxHz, opts.melScale);
  if (opts.yAxis === 'linear') return linearAxis(nBins, opts.fMinHz, opts.fMaxHz);
  return undefined;
}

/** Each plot pixel takes the colour of the bin and frame it falls in (nearest neighbour). */
function paintCells(
  raster: Raster,
  plot: Rect,
  data: Float32Array,
  nBins: number,
  nFrames: number,
  color: (value: number) => readonly [number, number, number],
): void {
  const cellColors = Array.from(data, (v) => color(Number.isNaN(v) ? -Infinity : v));
  const frameOfColumn = Int32Array.from({ length: plot.width }, (_, px) => Math.min(nFrames - 1, Math.floor(((px + 0.5) * nFrames) / plot.width)));
  for (let py = 0; py < plot.height; py++) {
    const bin = nBins - 1 - Math.min(nBins - 1, Math.floor(((py + 0.5) * nBins) / plot.height));
    for (let px = 0; px < plot.width; px++) {
      raster.setPixel(plot.x + px, plot.y + py, cellColors[bin * nFrames + frameOfColumn[px]]);
    }
  }
}

/** Round seconds along the frames; frame t spans [t, t + 1) in frame units, centred on t * hop / sr. */
function timeTicks(nFrames: number, opts: ResolvedSpectrogramImageOptions, widthPx: number, scale: number): AxisTick[] {
  const secondsPerFrame = opts.hopLength / opts.sampleRateHz;
  return fitLinearTicks({
    min: 0,
    max: (nFrames - 0.5) * secondsPerFrame,
    lengthPx: widthPx,
    labelExtentPx: (label) => textWidth(label, scale),
    gapPx: 4 * scale * 2,
    at: (s) => (s / secondsPerFrame + 0.5) / nFrames,
  });
}

/**
 * Frequency ticks. Mel: round frequencies (1k, 500, 2k, ...) picked greedily where they fall
 * among the band centres, far enough apart for their labels. Linear: evenly stepped Hz.
 */
function frequencyTicks(axis: FrequencyAxis, nBins: number, opts: ResolvedSpectrogramImageOptions, heightPx: number, scale: number): AxisTick[] {
  const at = (hz: number): number => axis.binPosition(hz) / nBins;
  const gapPx = textHeight(scale) * 1.2;
  if (opts.yAxis === 'linear') {
    return fitLinearTicks({ min: opts.fMinHz, max: opts.fMaxHz, lengthPx: heightPx, labelExtentPx: () => textHeight(scale), gapPx, at, format: formatHz });
  }
  const loHz = Math.max(opts.fMinHz, axis.binCentreHz(-0.5));
  const hiHz = Math.min(opts.fMaxHz, axis.binCentreHz(nBins - 0.5));
  const candidates = roundFrequencyCandidates(loHz, hiHz).filter((hz) => at(hz) >= 0 && at(hz) <= 1);
  const chosen = pickSpacedValues(candidates, (hz) => at(hz) * heightPx, textHeight(scale) + gapPx);
  return chosen.map((hz) => ({ at: at(hz), label: formatHz(hz) }));
}

/** Whole bin numbers at their bin centres. */
function indexTicks(nBins: number, heightPx: number, scale: number): AxisTick[] {
  return fitLinearTicks({
    min: 0,
    max: nBins - 1,
    lengthPx: heightPx,
    labelExtentPx: () => textHeight(scale),
    gapPx: textHeight(scale) * 1.2,
    at: (b) => (b + 0.5) / nBins,
    minStep: 1,
  });
}

/** Round values between vmin and vmax for the colour bar. */
function valueTicks(vmin: number, vmax: number, heightPx: number, scale: number): AxisTick[] {
  return fitLinearTicks({
    min: vmin,
    max: vmax,
    lengthPx: heightPx,
    labelExtentPx: () => textHeight(scale),
    gapPx: textHeight(scale) * 1.2,
    at: (v) => (v - vmin) / (vmax - vmin),
  });
}
