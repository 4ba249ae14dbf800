/**
 * A waveform as a static PNG: amplitude against time in seconds. Each pixel column shows the
 * range (minimum to maximum) of the samples it covers, joined to its neighbours, so peaks stay
 * visible however long the signal is.
 */
import { ConfigError } from '../errors';
import { Raster, THEME } from './canvas';
import { drawFrame, layoutFrame, type FrameSpec, type Rect } from './frame';
import { textHeight, textWidth } from './font';
import { fitLinearTicks } from './ticks';

export interface WaveformImageOptions {
  /** Text above the plot. Default none. */
  title?: string;
  /** Image width in pixels. Default 640. */
  width?: number;
  /** Image height in pixels. Default 240. */
  height?: number;
  /** The vertical axis spans [-amplitude, +amplitude]. Default: the largest |sample| (1 for silence). */
  amplitude?: number;
}

/** Renders `samples` (mono, any scale; usually [-1, 1]) recorded at `sampleRateHz` to PNG bytes. */
export function renderWaveformPng(samples: Float32Array, sampleRateHz: number, options: WaveformImageOptions = {}): Uint8Array {
  if (!(sampleRateHz > 0)) throw new ConfigError('sampleRateHz', sampleRateHz, 'expected a positive sample rate in Hz');
  if (samples.length === 0) throw new ConfigError('samples', 'an empty array', 'expected at least one sample');
  let peak = 0;
  for (const v of samples) if (Number.isFinite(v)) peak = Math.max(peak, Math.abs(v));
  const amplitude = options.amplitude ?? (peak > 0 ? peak : 1);
  if (!(amplitude > 0)) throw new ConfigError('amplitude', amplitude, 'expected a positive amplitude');
  const width = options.width ?? 640;
  const height = options.height ?? 240;

  const spec: FrameSpec = { width, height, title: options.title, xTitle: 'time (s)', yTitle: 'amplitude', xTicks: [], yTicks: [] };
  const draft = layoutFrame({ ...spec, yTicks: [{ at: 0, label: '-0.00' }] });
  const s = draft.fontScale;
  const duration = samples.length / sampleRateHz;
  spec.xTicks = fitLinearTicks({
    min: 0,
    max: duration,
    lengthPx: draft.plot.width,
    labelExtentPx: (label) => textWidth(label, s),
    gapPx: 8 * s,
    at: (t) => t / duration,
  });
  spec.yTicks = fitLinearTicks({
    min: -amplitude,
    max: amplitude,
    lengthPx: draft.plot.height,
    labelExtentPx: () => textHeight(s),
    gapPx: textHeight(s) * 1.5,
    at: (a) => (a + amplitude) / (2 * amplitude),
  });
  const layout = layoutFrame(spec);

  const raster = new Raster(width, height);
  drawZeroLine(raster, layout.plot);
  drawEnvelope(raster, layout.plot, samples, amplitude);
  drawFrame(raster, layout, spec);
  return raster.toPng();
}

function drawZeroLine(raster: Raster, plot: Rect): void {
  raster.fillRect(plot.x, plot.y + Math.round((plot.height - 1) / 2), plot.width, 1, THEME.grid);
}

/** Column px covers samples [px * n / w, (px + 1) * n / w); a vertical stroke from their min to max. */
function drawEnvelope(raster: Raster, plot: Rect, samples: Float32Array, amplitude: number): void {
  const n = samples.length;
  const rowOf = (v: number): number => {
    const clipped = Math.max(-amplitude, Math.min(amplitude, Number.isFinite(v) ? v : 0));
    return plot.y + Math.round(((amplitude - clipped) / (2 * amplitude)) * (plot.height - 1));
  };
  let previous: number | undefined;
  for (let px = 0; px < plot.width; px++) {
    const start = Math.min(n - 1, Math.floor((px * n) / plot.width));
    const end = Math.max(start + 1, Math.min(n, Math.floor(((px + 1) * n) / plot.width)));
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = start; i < end; i++) {
      lo = Math.min(lo, rowOf(samples[i]));
      hi = Math.max(hi, rowOf(samples[i]));
    }
    // Join to the previous column so sparse signals draw as a continuous line.
    if (previous !== undefined) {
      lo = Math.min(lo, Math.round((previous + lo) / 2));
      hi = Math.max(hi, Math.round((previous + hi) / 2));
    }
    raster.fillRect(plot.x + px, lo, 1, hi - lo + 1, THEME.line);
    previous = rowOf(samples[end - 1]);
  }
}
