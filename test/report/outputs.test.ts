import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MIME_ORDER, renderBundle, renderOutput, terminalText } from '../../src/report/outputs';
import { PageContext } from '../../src/report/page';
import { PLOTLY_MIME } from '../../src/viz/display';

describe('terminalText', () => {
  test('drops ANSI codes and keeps what followed the last carriage return of each line', () => {
    assert.equal(terminalText('\u001b[1;31mred\u001b[0m\n 10%\r 50%\r100%\ndone\r\n'), 'red\n100%\ndone\n');
  });
});

describe('renderBundle', () => {
  test('prefers plotly, then HTML, then images, then text', () => {
    const ctx = new PageContext();
    const plot = renderBundle({ [PLOTLY_MIME]: { data: [{ type: 'bar', y: [1] }] }, 'text/html': '<b>h</b>', 'text/plain': 'p' }, {}, ctx);
    assert.match(plot, /class="melbook-figure"/);
    assert.ok(ctx.usesPlotly);
    assert.match(renderBundle({ 'text/html': ['<b>', 'h</b>'], 'image/png': 'AAAA', 'text/plain': 'p' }, {}, ctx), /^<iframe class="html-output" sandbox="allow-scripts" [^>]*srcdoc="[^"]*&lt;body&gt;\n&lt;b&gt;h&lt;\/b&gt;\n&lt;\/body&gt;/);
    assert.equal(renderBundle({ 'image/png': 'AA\nAA', 'text/plain': 'p' }, {}, ctx), '<img src="data:image/png;base64,AAAA" alt="">');
    assert.equal(renderBundle({ 'text/plain': '<p>' }, {}, ctx), '<pre>&lt;p&gt;</pre>');
    assert.equal(MIME_ORDER[0], PLOTLY_MIME);
  });

  test("keeps only the display keys of a notebook figure's plotly config, none that talk to a server", () => {
    const html = renderBundle({ [PLOTLY_MIME]: { data: [], config: { scrollZoom: true, showLink: true, sendData: true, plotlyServerURL: 'https://example.com', showEditInChartStudio: true } } }, {}, new PageContext());
    const spec = /var fig = (\{.*\});\n/.exec(html);
    assert.ok(spec);
    assert.deepEqual((JSON.parse(spec[1]) as { config: unknown }).config, { responsive: true, displaylogo: false, scrollZoom: true });
  });

  test('shows SVG as an image data URI, so scripts in it cannot run', () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><script>alert(1)</script></svg>';
    const html = renderBundle({ 'image/svg+xml': svg }, { 'image/svg+xml': { width: 40 } }, new PageContext());
    assert.equal(html, `<img src="data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}" width="40" alt="">`);
  });

  test('falls back to the next mime when data has the wrong shape, and to a note when none fits', () => {
    const ctx = new PageContext();
    assert.equal(renderBundle({ [PLOTLY_MIME]: { data: 'x' }, 'image/png': 'not base64!', 'text/plain': 'ok' }, {}, ctx), '<pre>ok</pre>');
    assert.equal(ctx.usesPlotly, false);
    assert.equal(renderBundle({ 'application/x-widget': {} }, {}, ctx), '<p class="note">output not shown (application/x-widget)</p>');
    assert.equal(renderBundle({ 'application/json': { a: '<b>' } }, {}, ctx), '<pre>{\n  &quot;a&quot;: &quot;&lt;b&gt;&quot;\n}</pre>');
  });
});

describe('renderOutput', () => {
  test('escapes error names, values and tracebacks', () => {
    const html = renderOutput({ output_type: 'error', ename: '<E>', evalue: '"v"', traceback: ['\u001b[31m<tb>\u001b[0m'] }, new PageContext());
    assert.equal(html, '<div class="output error"><pre>&lt;E&gt;: &quot;v&quot;\n&lt;tb&gt;</pre></div>');
  });
});
