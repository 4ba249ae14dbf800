/**
 * The furniture around a plot: title, axes with outward ticks and labels, axis titles and an
 * optional vertical colour bar. `layoutFrame` sizes the margins from the actual label widths
 * and returns the rectangle left for the data; the caller paints the data there, then calls
 * `drawFrame` to draw everything else on top.
 */
import { ConfigError } from '../errors';
import { THEME, type Raster } from './canvas';
import { colorAt } from './colormap';
import { drawText, textHeight, textWidth } from './font';
import type { AxisTick } from './ticks';

/** An axis-aligned pixel rectangle; (x, y) is its top-left pixel. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ColorbarSpec {
  /** The colour table (3 * 256 bytes) from `colormapTable`. */
  table: Uint8Array;
  /** Ticks along the bar, `at` 0 = vmin (bottom) .. 1 = vmax (top). */
  ticks: AxisTick[];
  /** Title along the bar's right side (the unit of the values). Default none. */
  label?: string;
}

export interface FrameSpec {
  /** Image size in pixels. */
  width: number;
  height: number;
  title?: string;
  xTitle: string;
  yTitle: string;
  xTicks: AxisTick[];
  yTicks: AxisTick[];
  colorbar?: ColorbarSpec;
  /** Pixels per font pixel. Default: 2 when the image is at least 480 px wide, else 1. */
  fontScale?: number;
}

export interface FrameLayout {
  /** Where the data goes. */
  plot: Rect;
  /** Where the colour bar's gradient goes, when there is one. */
  colorbar?: Rect;
  fontScale: number;
}

/** Computes the plot and colour bar rectangles; throws ConfigError when the image is too small for them. */
export function layoutFrame(spec: FrameSpec): FrameLayout {
  const s = spec.fontScale ?? (spec.width >= 480 ? 2 : 1);
  const th = textHeight(s);
  const pad = 3 * s;
  const tick = 3 * s;
  const widest = (ticks: AxisTick[]): number => Math.max(0, ...ticks.map((t) => textWidth(t.label, s)));

  const top = spec.title ? pad * 2 + th + pad * 2 : pad * 3;
  const left = pad + th + pad * 2 + widest(spec.yTicks) + pad + tick;
  const bottom = tick + pad + th + pad * 2 + th + pad;
  const lastX = spec.xTicks.length > 0 ? textWidth(spec.xTicks[spec.xTicks.length - 1].label, s) / 2 : 0;
  const barWidth = 5 * s;
  const colorbarRight = spec.colorbar
    ? pad * 4 + barWidth + tick + pad + widest(spec.colorbar.ticks) + (spec.colorbar.label ? pad * 2 + th : 0) + pad
    : Math.max(pad * 3, lastX + pad);
  const plot: Rect = { x: left, y: top, width: spec.width - left - colorbarRight, height: spec.height - top - bottom };
  if (plot.width < 16 || plot.height < 16) {
    throw new ConfigError('width', [spec.width, spec.height], `leaves a ${plot.width}x${plot.height} px plot area after labels; use an image of at least ${left + colorbarRight + 64}x${top + bottom + 64} px`);
  }
  const colorbar = spec.colorbar ? { x: plot.x + plot.width + pad * 4, y: plot.y, width: barWidth, height: plot.height } : undefined;
  return { plot, colorbar, fontScale: s };
}

/** Draws title, axes, ticks, labels and colour bar around the already painted plot area. */
export function drawFrame(raster: Raster, layout: FrameLayout, spec: FrameSpec): void {
  const { plot, fontScale: s } = layout;
  const th = textHeight(s);
  const pad = 3 * s;
  const tick = 3 * s;
  const ink = { scale: s, color: THEME.text };

  if (spec.title) {
    const title = fitText(spec.title, raster.width - 2 * pad, s);
    const x = clamp(plot.x + (plot.width - textWidth(title, s)) / 2, pad, raster.width - pad - textWidth(title, s));
    drawText(raster, title, Math.round(x), pad * 2, ink);
  }

  raster.strokeRect(plot.x - 1, plot.y - 1, plot.width + 2, plot.height + 2, THEME.axis);

  for (const t of spec.xTicks) {
    const px = plot.x + Math.round(t.at * (plot.width - 1));
    raster.fillRect(px - Math.floor(s / 2), plot.y + plot.height + 1, s, tick, THEME.axis);
    const w = textWidth(t.label, s);
    const x = clamp(px - w / 2, 0, raster.width - w);
    drawText(raster, t.label, Math.round(x), plot.y + plot.height + 1 + tick + pad, ink);
  }
  const xTitleY = plot.y + plot.height + 1 + tick + pad + th + pad * 2;
  drawText(raster, spec.xTitle, Math.round(plot.x + (plot.width - textWidth(spec.xTitle, s)) / 2), xTitleY, ink);

  drawYTicks(raster, spec.yTicks, plot, s, 'left');
  drawAlong(raster, spec.yTitle, pad, plot, s);

  if (spec.colorbar && layout.colorbar) {
    const bar = layout.colorbar;
    for (let row = 0; row < bar.height; row++) {
      const color = colorAt(spec.colorbar.table, 1 - (row + 0.5) / bar.height);
      raster.fillRect(bar.x, bar.y + row, bar.width, 1, color);
    }
    raster.strokeRect(bar.x - 1, bar.y - 1, bar.width + 2, bar.height + 2, THEME.axis);
    const labelsRight = drawYTicks(raster, spec.colorbar.ticks, bar, s, 'right');
    if (spec.colorbar.label) {
      drawAlong(raster, spec.colorbar.label, labelsRight + pad * 2, bar, s);
    }
  }
}

/** Ticks and labels on one vertical side of `rect`; returns the x just right of the labels. */
function drawYTicks(raster: Raster, ticks: AxisTick[], rect: Rect, s: number, side: 'left' | 'right'): number {
  const th = textHeight(s);
  const pad = 3 * s;
  const tick = 3 * s;
  let right = rect.x + rect.width + 1 + tick + pad;
  for (const t of ticks) {
    const py = rect.y + rect.height - 1 - Math.round(t.at * (rect.height - 1));
    const w = textWidth(t.label, s);
    const y = Math.round(clamp(py - th / 2, 0, raster.height - th));
    if (side === 'left') {
      raster.fillRect(rect.x - 1 - tick, py - Math.floor(s / 2), tick, s, THEME.axis);
      drawText(raster, t.label, rect.x - 1 - tick - pad - w, y, { scale: s, color: THEME.text });
    } else {
      raster.fillRect(rect.x + rect.width + 1, py - Math.floor(s / 2), tick, s, THEME.axis);
      drawText(raster, t.label, rect.x + rect.width + 1 + tick + pad, y, { scale: s, color: THEME.text });
      right = Math.max(right, rect.x + rect.width + 1 + tick + pad + w);
    }
  }
  return right;
}

/**
 * A vertical title centred along `rect`, reading upwards, with its left edge at x. Drawn a
 * size smaller when it does not fit at `scale`, and shortened only if it still does not.
 */
function drawAlong(raster: Raster, text: string, x: number, rect: Rect, scale: number): void {
  const s = textWidth(text, scale) <= rect.height || scale === 1 ? scale : scale - 1;
  const fitted = fitText(text, rect.height, s);
  const dx = textHeight(scale) - textHeight(s); // keep a smaller title against the same right edge
  drawText(raster, fitted, x + dx, Math.round(rect.y + (rect.height - textWidth(fitted, s)) / 2), { scale: s, color: THEME.text, rotate: 90 });
}

/** `text`, shortened with `..` at the end when it is wider than `maxWidth` pixels. */
function fitText(text: string, maxWidth: number, scale: number): string {
  if (textWidth(text, scale) <= maxWidth) return text;
  const chars = [...text];
  while (chars.length > 0 && textWidth(`${chars.join('')}..`, scale) > maxWidth) chars.pop();
  return `${chars.join('')}..`;
}

function clamp(value: number, lo: number, hi: number): number {
  return Math.min(Math.max(value, lo), Math.max(lo, hi));
}
