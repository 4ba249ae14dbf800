import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import * as vm from 'node:vm';
import { decodeWav } from '../../src/audio/wav';
import { MelbookError } from '../../src/errors';
import { executeNotebook } from '../../src/runner/execute';
import type { CodeCell, DisplayDataOutput, Notebook } from '../../src/nbformat';
import { writeNotebook } from '../../src/runner/notebook-io';
import {
  PLOTLY_MIME, audioBundle, figureBundle, figureHtml, pngBundle, setDisplaySink, showAudio, showFigure, showPng,
  showSpectrogram, showTable, tableBundle, tslabSink, type DisplayMessage,
} from '../../src/viz/display';
import { escapeAttr, escapeHtml, scriptJson, scriptText } from '../../src/viz/html-escape';
import { classBalanceFigure, type PlotlyFigure } from '../../src/viz/plots';
import { renderSpectrogramPng } from '../../src/viz/spectrogram';

const HOSTILE = '</script><script>alert(1)</script><!-- "quoted" \'single\' & more';

function capture(): DisplayMessage[] {
  const sent: DisplayMessage[] = [];
  setDisplaySink((m) => sent.push(m));
  return sent;
}
after(() => setDisplaySink(null));

const figure = (title = 'balance'): PlotlyFigure => classBalanceFigure([{ class: 'a', train: 3, validation: 1, test: 2 }], { title });

/** The text of every `<script>` element, split the way an HTML parser does it (at the first `</script`). */
function scripts(html: string): string[] {
  return [...html.matchAll(/<script>([\s\S]*?)<\/script/gi)].map((m) => m[1]);
}

/** Runs a figure's drawing script against a fake page; returns what it passed to Plotly.newPlot. */
function drawnSpec(html: string): { id: string; data: unknown; layout: unknown; config: unknown } {
  const calls: { id: string; data: unknown; layout: unknown; config: unknown }[] = [];
  const el = { id: '', dataset: {} as Record<string, string>, textContent: 'note' };
  const window = {
    Plotly: { newPlot: (target: typeof el, data: unknown, layout: unknown, config: unknown) => calls.push({ id: target.id, data, layout, config }) },
    addEventListener: () => undefined,
  };
  const document = { getElementById: (id: string) => Object.assign(el, { id }) };
  const draw = scripts(html).at(-1)!;
  vm.runInNewContext(draw, { window, document });
  assert.equal(calls.length, 1, 'newPlot is called once');
  assert.equal(el.textContent, '', 'the note is removed before drawing');
  return JSON.parse(JSON.stringify(calls[0])); // plain objects of this realm
}

describe('html escaping', () => {
  test('escapeHtml and escapeAttr leave no markup characters', () => {
    assert.equal(escapeHtml('<a href="x">\'&\'</a>'), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    assert.equal(escapeAttr('" onmouseover=`x`'), '&quot; onmouseover=&#96;x&#96;');
    assert.doesNotMatch(escapeAttr(HOSTILE), /[<>"'`]/);
  });

  test('scriptJson keeps the value but never lets </script> or <!-- appear', () => {
    const value = { text: HOSTILE, line: 'a\u2028b', n: [1, 2.5] };
    const json = scriptJson(value);
    assert.doesNotMatch(json, /<|>|&|\u2028/);
    assert.deepEqual(JSON.parse(json), value);
    assert.deepEqual(JSON.parse(JSON.stringify(vm.runInNewContext(`(${json})`))), value);
    assert.equal(scriptJson(undefined), 'null');
  });

  test('scriptText rewrites closing script tags and comment openers inside code', () => {
    const code = 'var s = "</SCRIPT><!--x";';
    const safe = scriptText(code);
    assert.doesNotMatch(safe, /<\/script|<!--/i);
    assert.equal(vm.runInNewContext(`${safe}; s`), '</SCRIPT><!--x');
  });
});

describe('showFigure', () => {
  test('sends the plotly spec, an HTML version and a plain-text fallback in one bundle', () => {
    const sent = capture();
    const fig = figure();
    showFigure(fig);
    assert.equal(sent.length, 1);
    const { data } = sent[0];
    assert.deepEqual(Object.keys(data).sort(), [PLOTLY_MIME, 'text/html', 'text/plain'].sort());
    assert.deepEqual(data[PLOTLY_MIME], JSON.parse(JSON.stringify(fig)));
    assert.equal(data['text/plain'], '<Figure "balance": 3 traces>');
  });

  test('carries plotly.js in the first figure of a session only, guarded by window.Plotly', () => {
    const sent = capture();
    showFigure(figure());
    showFigure(figure());
    showFigure(figure(), { includePlotlyJs: 'always' });
    const [first, second, third] = sent.map((m) => String(m.data['text/html']));
    assert.equal(scripts(first).length, 2);
    assert.match(scripts(first)[0], /^if \(!window\.Plotly\)/);
    assert.match(scripts(first)[0], /plotly\.js v2/);
    assert.ok(first.length > 3_000_000, `the bundle is inline (${first.length} chars)`);
    assert.equal(scripts(second).length, 1);
    assert.ok(second.length < 10_000);
    assert.equal(scripts(third).length, 2);
  });

  test("a figure shown with includePlotlyJs 'never' does not count as loading plotly.js; a new sink starts a new session", () => {
    const sent = capture();
    showFigure(figure(), { includePlotlyJs: 'never' });
    showFigure(figure());
    const next = capture();
    showFigure(figure());
    assert.deepEqual(sent.map((m) => scripts(String(m.data['text/html'])).length), [1, 2]);
    assert.equal(scripts(String(next[0].data['text/html'])).length, 2);
  });

  test('the drawing script passes the exact spec to Plotly.newPlot, even with hostile strings in it', () => {
    const fig = figure(HOSTILE);
    fig.data[0].name = HOSTILE;
    const html = figureHtml(fig, { id: 'fig-1' });
    assert.equal(scripts(html).length, 1, 'no script element besides the drawing one');
    assert.equal((html.match(/<script/gi) ?? []).length, 1);
    const call = drawnSpec(html);
    assert.equal(call.id, 'fig-1');
    assert.deepEqual(call.data, fig.data);
    assert.deepEqual(call.layout, fig.layout);
    assert.equal((call.config as { displaylogo: boolean }).displaylogo, false);
  });

  test('escapes the div id in its attribute and embeds it in the script as JSON', () => {
    const id = 'x" onclick="alert(1)';
    const html = figureHtml(figure(), { id });
    assert.match(html, /<div id="x&quot; onclick=&quot;alert\(1\)"/);
    assert.equal(drawnSpec(html).id, id);
  });

  test('sizes the div from the layout height', () => {
    assert.match(figureHtml(figure(), { id: 'a' }), /height:360px/);
    assert.match(figureHtml(figure(), { id: 'a', height: 200 }), /height:200px/);
  });

  test('figureBundle is pure: ids differ, the spec does not', () => {
    const a = figureBundle(figure());
    const b = figureBundle(figure());
    assert.deepEqual(a.data[PLOTLY_MIME], b.data[PLOTLY_MIME]);
    assert.notEqual(a.data['text/html'], b.data['text/html']);
  });
});

describe('images, audio and tables', () => {
  const spec = { hopLength: 64, sampleRateHz: 8000, yAxis: 'index' as const, width: 200, height: 120 };
  const spectrogram = Float32Array.from({ length: 8 * 20 }, (_, i) => Math.sin(i));

  test('showPng sends base64 PNG bytes with their size', () => {
    const sent = capture();
    const png = renderSpectrogramPng(spectrogram, [8, 20], spec);
    showPng(png);
    assert.deepEqual(Buffer.from(String(sent[0].data['image/png']), 'base64'), Buffer.from(png));
    assert.deepEqual(sent[0].metadata, { 'image/png': { width: 200, height: 120 } });
    assert.equal(sent[0].data['text/plain'], '<PNG image 200x120>');
  });

  test('showSpectrogram renders with renderSpectrogramPng', () => {
    const sent = capture();
    showSpectrogram(spectrogram, [8, 20], spec);
    assert.equal(sent[0].data['image/png'], pngBundle(renderSpectrogramPng(spectrogram, [8, 20], spec)).data['image/png']);
  });

  test('pngBundle rejects bytes that are not a PNG', () => {
    assert.throws(() => pngBundle(new Uint8Array(40)), (e: unknown) => e instanceof MelbookError && /not a PNG image \(40 bytes/.test(e.message));
  });

  test('showAudio embeds a WAV data URI that decodes to the samples, and escapes the caption', () => {
    const sent = capture();
    const samples = Float32Array.from({ length: 800 }, (_, i) => 0.5 * Math.sin(i / 5));
    showAudio(samples, 8000, { title: HOSTILE });
    const html = String(sent[0].data['text/html']);
    assert.doesNotMatch(html, /<script/i);
    assert.ok(html.includes(escapeHtml(HOSTILE)));
    const uri = /<audio controls preload="metadata" src="data:audio\/wav;base64,([A-Za-z0-9+/=]+)"><\/audio>/.exec(html);
    assert.ok(uri, 'an audio element with a WAV data URI');
    const decoded = decodeWav(Buffer.from(uri[1], 'base64'), 'audio output');
    assert.equal(decoded.sampleRateHz, 8000);
    const back = decoded.samples;
    assert.equal(back.length, 800);
    for (let i = 0; i < 800; i++) assert.ok(Math.abs(back[i] - samples[i]) <= 1 / 32768 + 1e-7);
    assert.equal(audioBundle(samples, 8000).data['text/plain'], '<Audio: 0.10 s at 8000 Hz>');
  });

  test('tables escape headers and cells, right-align numbers and keep a text version', () => {
    const sent = capture();
    showTable([{ name: HOSTILE, score: 0.123456, n: 3 }, { name: 'b', score: 12, n: null }], { caption: 'scores <1>' });
    const html = String(sent[0].data['text/html']);
    assert.doesNotMatch(html, /<script|<!--/i);
    assert.ok(html.includes(`<td>${escapeHtml(HOSTILE)}</td>`));
    assert.ok(html.includes('<caption>scores &lt;1&gt;</caption>'));
    assert.ok(html.includes('<th class="num">score</th>'));
    assert.ok(html.includes('<td class="num">0.1235</td>'));
    const text = String(sent[0].data['text/plain']).split('\n');
    assert.equal(text[0], 'scores <1>');
    assert.match(text[1], /^name +score {2}n$/);
    assert.match(text[4], /^b +12$/);
  });

  test('tables show at most maxRows rows and say how many are left out', () => {
    const rows = Array.from({ length: 7 }, (_, i) => ({ i }));
    const { data } = tableBundle(rows, { maxRows: 5, columns: ['i'] });
    assert.equal((String(data['text/html']).match(/<tr>/g) ?? []).length, 6);
    assert.match(String(data['text/plain']), /2 more rows not shown \(7 in all\)$/);
  });
});

describe('the tslab kernel sink', () => {
  test('outside a kernel it fails with a message that says what to do', () => {
    assert.throws(() => tslabSink(tableBundle([{ a: 1 }])), (e: unknown) => e instanceof MelbookError && /setDisplaySink/.test(e.message));
  });

  test('inside a tslab kernel each show call becomes one display_data output with every mime type', async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'melbook-display-'));
    const register = require.resolve('tsx/cjs/api');
    const display = path.resolve(__dirname, '../../src/viz/display.ts');
    const plots = path.resolve(__dirname, '../../src/viz/plots.ts');
    const cell = (source: string): CodeCell => ({ cell_type: 'code', source, metadata: {}, execution_count: null, outputs: [] });
    const nb: Notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        cell(`require(${JSON.stringify(register)}).register();\nconst d = require(${JSON.stringify(display)});\nconst p = require(${JSON.stringify(plots)});`),
        cell("const fig = p.classBalanceFigure([{ class: 'a', train: 3, validation: 1, test: 2 }]);\nd.showFigure(fig);\nd.showFigure(fig);"),
        cell("d.showTable([{ a: 1, b: '<b>' }]);"),
      ],
    };
    await writeNotebook(path.join(dir, 'in.ipynb'), nb);
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const out = await executeNotebook(path.join(dir, 'in.ipynb'), path.join(dir, 'out.ipynb'), { startupTimeoutMs: 30_000 });
    const outputs = (i: number) => (out.cells[i] as CodeCell).outputs as DisplayDataOutput[];
    const [first, second] = outputs(1);
    assert.equal(outputs(1).length, 2);
    for (const o of [first, second]) {
      assert.equal(o.output_type, 'display_data');
      assert.deepEqual(Object.keys(o.data).sort(), [PLOTLY_MIME, 'text/html', 'text/plain'].sort());
    }
    assert.ok(String(first.data['text/html']).includes('window.Plotly'));
    assert.ok(String(first.data['text/html']).length > 3_000_000, 'the first figure carries plotly.js');
    assert.ok(String(second.data['text/html']).length < 10_000, 'the second reuses it');
    const [table] = outputs(2);
    assert.deepEqual(Object.keys(table.data).sort(), ['text/html', 'text/plain']);
    assert.ok(String(table.data['text/html']).includes('<td>&lt;b&gt;</td>'));
  });
});
