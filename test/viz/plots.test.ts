import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../../src/errors';
import {
  SPLIT_COLORS, classBalanceFigure, confusionFigure, perGroupAccuracyFigure, plotlyText, trainingCurvesFigure,
  type PlotlyFigure, type TrainingHistoryRow,
} from '../../src/viz/plots';

const history: TrainingHistoryRow[] = [0, 1, 2, 3].map((epoch) => ({
  epoch,
  loss: 2 / (epoch + 1),
  accuracy: 0.2 + 0.2 * epoch,
  val_loss: 2.2 / (epoch + 1),
  val_accuracy: 0.15 + 0.2 * epoch,
}));

/** A figure is plain JSON: it survives a JSON round trip unchanged. */
function assertPlainJson(fig: PlotlyFigure): void {
  assert.deepEqual(JSON.parse(JSON.stringify(fig)), fig);
}

describe('trainingCurvesFigure', () => {
  test('draws loss on the left and accuracy on the right, training solid and validation dashed', () => {
    const fig = trainingCurvesFigure(history, { title: 'run 1' });
    assertPlainJson(fig);
    const byPanel = (axis: string) => fig.data.filter((t) => t.xaxis === axis);
    const [loss, valLoss] = byPanel('x');
    const [acc, valAcc] = byPanel('x2');
    assert.deepEqual(loss.y, history.map((h) => h.loss));
    assert.deepEqual(valLoss.y, history.map((h) => h.val_loss));
    assert.deepEqual(acc.y, history.map((h) => h.accuracy));
    assert.deepEqual(valAcc.y, history.map((h) => h.val_accuracy));
    for (const t of fig.data) assert.deepEqual(t.x, [0, 1, 2, 3]);
    assert.deepEqual([loss.yaxis, acc.yaxis], ['y', 'y2']);
    assert.deepEqual(fig.data.map((t) => (t.line as { dash: string }).dash), ['solid', 'dash', 'solid', 'dash']);
    assert.equal((loss.line as { color: string }).color, SPLIT_COLORS.train);
    assert.equal((valAcc.line as { color: string }).color, SPLIT_COLORS.validation);
    const x1 = fig.layout.xaxis as { domain: number[] };
    const x2 = fig.layout.xaxis2 as { domain: number[] };
    assert.ok(x1.domain[1] < x2.domain[0], 'the two panels do not overlap');
  });

  test('lists each split once in the legend', () => {
    const shown = trainingCurvesFigure(history).data.filter((t) => t.showlegend).map((t) => t.name);
    assert.deepEqual(shown, ['train', 'validation']);
  });

  test('leaves gaps for non-finite values and omits a validation series that was never logged', () => {
    const rows = [{ epoch: 0, loss: Number.NaN, accuracy: 0.5 }, { epoch: 1, loss: 1, accuracy: Number.POSITIVE_INFINITY }];
    const fig = trainingCurvesFigure(rows);
    assertPlainJson(fig);
    assert.deepEqual(fig.data.map((t) => t.name), ['train', 'train']);
    assert.deepEqual(fig.data.map((t) => t.y), [[null, 1], [0.5, null]]);
  });

  test('labels whole epochs for short runs and lets plotly space the ticks of long ones', () => {
    assert.equal((trainingCurvesFigure(history).layout.xaxis as { dtick?: number }).dtick, 1);
    const long = Array.from({ length: 50 }, (_, epoch) => ({ epoch, loss: 1, accuracy: 0.5 }));
    assert.equal((trainingCurvesFigure(long).layout.xaxis2 as { dtick?: number }).dtick, undefined);
  });

  test('is deterministic', () => {
    assert.deepEqual(trainingCurvesFigure(history), trainingCurvesFigure(history.map((h) => ({ ...h }))));
  });
});

describe('confusionFigure', () => {
  const classes = ['zero', 'one', 'two'];
  const matrix = [[5, 1, 0], [2, 7, 1], [0, 0, 9]];

  test('puts true classes on y (first at the top), predictions on x, and annotates every count', () => {
    const fig = confusionFigure(matrix, classes);
    assertPlainJson(fig);
    const [heat] = fig.data;
    assert.equal(heat.type, 'heatmap');
    assert.deepEqual(heat.z, matrix);
    assert.deepEqual([heat.x, heat.y], [classes, classes]);
    const yaxis = fig.layout.yaxis as { autorange: string; title: { text: string } };
    assert.equal(yaxis.autorange, 'reversed');
    assert.equal(yaxis.title.text, 'true');
    assert.equal((fig.layout.xaxis as { title: { text: string } }).title.text, 'predicted');
    const notes = fig.layout.annotations as { x: string; y: string; text: string; font: { color: string } }[];
    assert.equal(notes.length, 9);
    for (const [t, row] of matrix.entries()) {
      for (const [p, count] of row.entries()) {
        const note = notes.find((a) => a.y === classes[t] && a.x === classes[p]);
        assert.equal(note?.text, String(count), `cell true=${classes[t]} predicted=${classes[p]}`);
      }
    }
    assert.deepEqual((heat.colorscale as [number, string][]).map(([, c]) => c).slice(0, 1), ['#f7fbff'], 'zero is white');
    const darkest = notes.find((a) => a.text === '9')!;
    const lightest = notes.find((a) => a.text === '0')!;
    assert.notEqual(darkest.font.color, lightest.font.color, 'text stays readable on dark and light cells');
  });

  test('grows with the number of classes and leaves the width to the container', () => {
    const small = confusionFigure([[1]], ['a']).layout;
    const n = 12;
    const large = confusionFigure(Array.from({ length: n }, () => new Array<number>(n).fill(1)), Array.from({ length: n }, (_, i) => `c${i}`)).layout;
    assert.ok((large.height as number) > (small.height as number));
    assert.equal(large.width, undefined);
    assert.equal((large.yaxis as { scaleanchor: string }).scaleanchor, 'x', 'square cells');
  });

  test('treats numeric class names as categories', () => {
    const fig = confusionFigure([[1, 0], [0, 1]], ['0', '1']);
    assert.equal((fig.layout.xaxis as { type: string }).type, 'category');
    assert.equal((fig.layout.yaxis as { type: string }).type, 'category');
  });

  test('writes angle brackets in class names as entities, so plotly shows them instead of reading tags', () => {
    const fig = confusionFigure([[1]], ['<b>x</b> & y']);
    assert.deepEqual(fig.data[0].x, ['&lt;b&gt;x&lt;/b&gt; &amp; y']);
    assert.equal(plotlyText('a<b>&c'), 'a&lt;b&gt;&amp;c');
  });

  test('rejects a matrix that does not match the class names', () => {
    assert.throws(() => confusionFigure([[1, 2], [3, 4]], classes), (e: unknown) => e instanceof ConfigError && /3 x 3/.test(e.message));
    assert.throws(() => confusionFigure([[1, 2, 3], [3, 4], [1, 1, 1]], classes), ConfigError);
    assert.throws(() => confusionFigure([], []), ConfigError);
  });
});

describe('perGroupAccuracyFigure', () => {
  const perGroup = { theo: { accuracy: 0.9, count: 10 }, george: { accuracy: 0.5, count: 30 }, jackson: { accuracy: 1, count: 20 } };

  test('draws one bar per group in name order with counts on hover and the title given', () => {
    const fig = perGroupAccuracyFigure(perGroup, 'Test accuracy per speaker');
    assertPlainJson(fig);
    const [bars] = fig.data;
    assert.equal(bars.type, 'bar');
    assert.deepEqual(bars.x, ['george', 'jackson', 'theo']);
    assert.deepEqual(bars.y, [0.5, 1, 0.9]);
    assert.deepEqual(bars.customdata, [30, 20, 10]);
    assert.deepEqual(bars.text, ['50.0%', '100.0%', '90.0%']);
    assert.equal((fig.layout.title as { text: string }).text, 'Test accuracy per speaker');
  });

  test('marks the overall accuracy, weighted by clip counts', () => {
    const fig = perGroupAccuracyFigure(perGroup, 't');
    const [line] = fig.layout.shapes as { y0: number; y1: number }[];
    const expected = (0.9 * 10 + 0.5 * 30 + 1 * 20) / 60;
    assert.ok(Math.abs(line.y0 - expected) < 1e-12 && line.y0 === line.y1);
    assert.match((fig.layout.annotations as { text: string }[])[0].text, new RegExp(`${(expected * 100).toFixed(1)}%`));
  });

  test('names the groups on the x axis', () => {
    assert.equal((perGroupAccuracyFigure(perGroup, 't').layout.xaxis as { title: { text: string } }).title.text, 'group');
    assert.equal((perGroupAccuracyFigure(perGroup, 't', { groupLabel: 'speaker' }).layout.xaxis as { title: { text: string } }).title.text, 'speaker');
  });

  test('has no overall line without clips', () => {
    assert.equal(perGroupAccuracyFigure({}, 'empty').layout.shapes, undefined);
  });
});

describe('classBalanceFigure', () => {
  test('draws grouped bars, one trace per split in the split colours, classes in the order given', () => {
    const rows = [
      { class: '1', train: 200, validation: 20, test: 50, total: 270 },
      { class: '0', train: 180, validation: 22, test: 50, total: 252 },
    ];
    const fig = classBalanceFigure(rows);
    assertPlainJson(fig);
    assert.equal(fig.layout.barmode, 'group');
    assert.deepEqual(fig.data.map((t) => t.name), ['train', 'validation', 'test']);
    assert.deepEqual(fig.data.map((t) => t.y), [[200, 180], [20, 22], [50, 50]]);
    for (const t of fig.data) assert.deepEqual(t.x, ['1', '0']);
    assert.deepEqual(fig.data.map((t) => (t.marker as { color: string }).color), [SPLIT_COLORS.train, SPLIT_COLORS.validation, SPLIT_COLORS.test]);
  });
});
