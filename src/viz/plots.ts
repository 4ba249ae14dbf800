/**
 * Interactive figures as plotly specs: plain JSON `{ data, layout }` objects that
 * `Plotly.newPlot(div, fig.data, fig.layout)` draws, that Jupyter shows through the
 * `application/vnd.plotly.v1+json` mime type, and that the run report embeds. The builders are
 * pure and deterministic (same input, same JSON; groups and classes keep a stated order) and
 * touch no DOM; `display.ts` shows them in a notebook.
 *
 * Text taken from data (class names, group names, titles) is written with `&`, `<` and `>` as
 * entities: plotly reads labels as a small subset of HTML (`<b>`, `<br>`, `<a href>`), so a raw
 * `<` in a name would be taken for a tag; plotly turns the entities back into the characters.
 */
import { ConfigError } from '../errors';

/** One plotly trace (`type` is `scatter`, `bar`, `heatmap`, ...); the other keys are plotly's. */
export interface PlotlyTrace {
  type: string;
  [key: string]: unknown;
}

/** A plotly figure: what `Plotly.newPlot(div, data, layout, config)` takes. Plain JSON. */
export interface PlotlyFigure {
  data: PlotlyTrace[];
  layout: Record<string, unknown>;
  /** Plotly's config (`responsive`, `displaylogo`, ...). Default: none (display.ts adds its own). */
  config?: Record<string, unknown>;
}

/** One epoch of training, as `train()` records it (`EpochLog` has these fields and more). */
export interface TrainingHistoryRow {
  /** Epoch number as logged (melbook counts from 0); the x coordinate. */
  epoch: number;
  /** Training loss; non-finite values leave a gap. */
  loss: number;
  /** Training accuracy in [0, 1]; non-finite values leave a gap. */
  accuracy: number;
  /** Validation loss; a series missing from every row is not drawn. */
  val_loss?: number;
  /** Validation accuracy in [0, 1]; a series missing from every row is not drawn. */
  val_accuracy?: number;
}

/** Colours of the splits, the same in every figure. */
export const SPLIT_COLORS = { train: '#1f77b4', validation: '#ff7f0e', test: '#2ca02c' } as const;

const FONT = { family: 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif', size: 13, color: '#222' };

/** `&`, `<`, `>` as entities, for text plotly parses as its HTML subset. */
export function plotlyText(text: string): string {
  return String(text).replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

function baseLayout(title: string | undefined, height: number): Record<string, unknown> {
  return {
    ...(title === undefined ? {} : { title: { text: plotlyText(title), x: 0.02, xanchor: 'left' } }),
    font: FONT,
    height,
    margin: { l: 64, r: 24, t: title === undefined ? 40 : 64, b: 56 },
    paper_bgcolor: '#ffffff',
    plot_bgcolor: '#ffffff',
  };
}

const gridAxis = { gridcolor: '#e5e5e5', zerolinecolor: '#bdbdbd', linecolor: '#888', showline: true, ticks: 'outside' };

/** White to dark blue (matplotlib's Blues); plotly's own 'Blues' runs the other way. */
const BLUES = [[0, '#f7fbff'], [0.25, '#c6dbef'], [0.5, '#6baed6'], [0.75, '#2171b5'], [1, '#08306b']];

const finite = (v: number | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * Loss (left) and accuracy (right) against epoch, training and validation in the split
 * colours (solid for training, dashed for validation), one legend entry per split.
 * Rows are drawn in the order given. Layout: two subplots side by side, x axes `x`/`x2`.
 */
export function trainingCurvesFigure(history: readonly TrainingHistoryRow[], options: { title?: string } = {}): PlotlyFigure {
  const epochs = history.map((h) => h.epoch);
  const data: PlotlyTrace[] = [];
  const panels = [
    { axis: '', metric: 'loss', train: history.map((h) => finite(h.loss)), val: history.map((h) => finite(h.val_loss)) },
    { axis: '2', metric: 'accuracy', train: history.map((h) => finite(h.accuracy)), val: history.map((h) => finite(h.val_accuracy)) },
  ] as const;
  for (const p of panels) {
    for (const [split, y, dash] of [['train', p.train, 'solid'], ['validation', p.val, 'dash']] as const) {
      if (y.every((v) => v === null)) continue;
      data.push({
        type: 'scatter',
        mode: history.length > 30 ? 'lines' : 'lines+markers',
        name: split,
        legendgroup: split,
        showlegend: !data.some((t) => t.legendgroup === split),
        x: epochs,
        y,
        xaxis: `x${p.axis}`,
        yaxis: `y${p.axis}`,
        line: { color: split === 'train' ? SPLIT_COLORS.train : SPLIT_COLORS.validation, dash, width: 2 },
        hovertemplate: `${split} ${p.metric}<br>epoch %{x}<br>%{y:.4f}<extra></extra>`,
      });
    }
  }
  // Whole epochs only while they fit; plotly picks the spacing for long runs.
  const epochTicks = new Set(epochs).size <= 20 ? { dtick: 1, tick0: 0 } : {};
  const layout = {
    ...baseLayout(options.title, 380),
    xaxis: { ...gridAxis, ...epochTicks, domain: [0, 0.44], title: { text: 'epoch' }, anchor: 'y' },
    yaxis: { ...gridAxis, title: { text: 'loss' }, anchor: 'x', rangemode: 'tozero' },
    xaxis2: { ...gridAxis, ...epochTicks, domain: [0.56, 1], title: { text: 'epoch' }, anchor: 'y2' },
    yaxis2: { ...gridAxis, title: { text: 'accuracy' }, anchor: 'x2', range: [0, 1.02], tickformat: '.0%' },
    legend: { orientation: 'h', x: 1, xanchor: 'right', y: 1.02, yanchor: 'bottom' },
    hovermode: 'closest',
  };
  return { data, layout };
}

/**
 * Confusion matrix as a heatmap: true class on y (first class at the top), predicted class on
 * x, every cell annotated with its count (white text on dark cells). `matrix[t][p]` counts the
 * clips of true class t predicted as p; it must be square with one row per class name.
 */
export function confusionFigure(matrix: readonly (readonly number[])[], classNames: readonly string[], options: { title?: string } = {}): PlotlyFigure {
  const n = classNames.length;
  if (n === 0) throw new ConfigError('classNames', '[]', 'expected at least one class name');
  if (matrix.length !== n || matrix.some((row) => row.length !== n)) {
    const shape = `[${matrix.length}, ${matrix.map((r) => r.length).join('|')}]`;
    throw new ConfigError('matrix', shape, `expected a square matrix of ${n} x ${n} counts, one row and one column per class name`);
  }
  const labels = classNames.map(plotlyText);
  const z = matrix.map((row) => row.map((v) => finite(v) ?? 0));
  const max = Math.max(0, ...z.flat());
  const annotations = z.flatMap((row, t) =>
    row.map((v, p) => ({
      x: labels[p],
      y: labels[t],
      xref: 'x',
      yref: 'y',
      text: String(v),
      showarrow: false,
      font: { color: max > 0 && v > max / 2 ? '#ffffff' : '#222222', size: n > 20 ? 9 : 12 },
    })),
  );
  // Height grows with the classes; the width follows the container and the cells stay square.
  const side = Math.max(360, Math.min(720, 120 + 40 * n));
  return {
    data: [{
      type: 'heatmap',
      z,
      x: labels,
      y: labels,
      colorscale: BLUES,
      zmin: 0,
      zmax: Math.max(1, max),
      colorbar: { title: { text: 'clips' }, thickness: 14 },
      hovertemplate: 'true %{y}<br>predicted %{x}<br>%{z} clips<extra></extra>',
    }],
    layout: {
      ...baseLayout(options.title ?? 'Confusion matrix', side),
      xaxis: { title: { text: 'predicted' }, type: 'category', ticks: '', constrain: 'domain' },
      yaxis: { title: { text: 'true' }, type: 'category', autorange: 'reversed', ticks: '', scaleanchor: 'x', constrain: 'domain' },
      annotations,
    },
  };
}

/**
 * Accuracy per group (e.g. per speaker) as bars, groups in name order, each labelled with its
 * accuracy in percent and its clip count on hover, and a dotted line at the overall accuracy
 * (the count-weighted mean). y axis fixed to [0, 100 %].
 */
export function perGroupAccuracyFigure(
  perGroup: Readonly<Record<string, { accuracy: number; count: number }>>,
  title: string,
  options: { /** Title of the x axis, what a group is. Default `group`. */ groupLabel?: string } = {},
): PlotlyFigure {
  const names = Object.keys(perGroup).sort((a, b) => a.localeCompare(b, 'en'));
  const accuracy = names.map((g) => finite(perGroup[g].accuracy));
  const counts = names.map((g) => perGroup[g].count);
  const total = counts.reduce((a, b) => a + b, 0);
  const overall = total > 0 ? names.reduce((s, g) => s + (finite(perGroup[g].accuracy) ?? 0) * perGroup[g].count, 0) / total : null;
  const layout: Record<string, unknown> = {
    ...baseLayout(title, 360),
    xaxis: { ...gridAxis, type: 'category', title: { text: plotlyText(options.groupLabel ?? 'group') } },
    yaxis: { ...gridAxis, range: [0, 1.05], tickformat: '.0%', title: { text: 'accuracy' } },
    bargap: 0.3,
  };
  if (overall !== null) {
    layout.shapes = [{ type: 'line', xref: 'paper', x0: 0, x1: 1, yref: 'y', y0: overall, y1: overall, line: { color: '#555', width: 1.5, dash: 'dot' } }];
    // Labelled in the right margin, clear of the bars' own labels.
    layout.annotations = [{ xref: 'paper', x: 1, xanchor: 'left', xshift: 4, yref: 'y', y: overall, yanchor: 'middle', align: 'left', text: `overall<br>${(overall * 100).toFixed(1)}%`, showarrow: false, font: { size: 11, color: '#555' } }];
    layout.margin = { ...(layout.margin as Record<string, number>), r: 72 };
  }
  return {
    data: [{
      type: 'bar',
      x: names.map(plotlyText),
      y: accuracy,
      customdata: counts,
      text: accuracy.map((a) => (a === null ? '' : `${(a * 100).toFixed(1)}%`)),
      textposition: 'outside',
      cliponaxis: false,
      marker: { color: SPLIT_COLORS.train },
      hovertemplate: '%{x}<br>accuracy %{y:.1%}<br>%{customdata} clips<extra></extra>',
    }],
    layout,
  };
}

/** One class's clip counts per split (the rows of `AudioDataset.classBalance()`; extra keys are ignored). */
export interface ClassBalanceRow {
  class: string;
  train: number;
  validation: number;
  test: number;
}

/** Clips per class as grouped bars, one bar per split in the split colours, classes in the order given. */
export function classBalanceFigure(rows: readonly ClassBalanceRow[], options: { title?: string } = {}): PlotlyFigure {
  const classes = rows.map((r) => plotlyText(r.class));
  const splits = ['train', 'validation', 'test'] as const;
  return {
    data: splits.map((split) => ({
      type: 'bar',
      name: split,
      x: classes,
      y: rows.map((r) => finite(r[split]) ?? 0),
      marker: { color: SPLIT_COLORS[split] },
      hovertemplate: `class %{x}<br>${split}: %{y} clips<extra></extra>`,
    })),
    layout: {
      ...baseLayout(options.title ?? 'Clips per class and split', 360),
      barmode: 'group',
      bargap: 0.2,
      xaxis: { ...gridAxis, type: 'category', title: { text: 'class' } },
      yaxis: { ...gridAxis, title: { text: 'clips' }, rangemode: 'tozero' },
      legend: { orientation: 'h', x: 1, xanchor: 'right', y: 1.02, yanchor: 'bottom' },
    },
  };
}
