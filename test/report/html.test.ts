import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPORT_ARTIFACT, renderRunReport, writeRunReport } from '../../src/report/html';
import { renderNotebookHtml } from '../../src/report/notebook';
import { reportCsp } from '../../src/report/csp';
import { formatSeconds } from '../../src/report/tables';
import { Tracker } from '../../src/tracking';
import { escapeHtml } from '../../src/viz/html-escape';
import { HOSTILE, SPECTROGRAM_PNG, createFixtureRun, preprocessNotebook, removeFixtureRuns, trainNotebook, type FixtureRun } from './helpers/fixture-run';

after(removeFixtureRuns);

/** The contents of every script element, as an HTML parser splits them. */
const scripts = (html: string) => [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script/gi)].map((m) => m[1]);
/** The markup outside script elements. */
const markup = (html: string) => html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '<script></script>');
const isBundle = (s: string) => s.startsWith('if (!window.Plotly)');
const isFigureDraw = (s: string) => s.startsWith('(function () {\n  var fig = ');
const count = (text: string, needle: string) => text.split(needle).length - 1;
/** The page's Content-Security-Policy, from its meta element. */
const policyOf = (html: string) => /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1] ?? '';
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', quot: '"', amp: '&', '#39': "'", '#96': '`' };
/** The documents of the page's frames: their srcdoc attributes, unescaped. */
const frameDocs = (html: string) =>
  [...html.matchAll(/<iframe [^>]*srcdoc="([^"]*)"/g)].map((m) => m[1].replace(/&(lt|gt|quot|amp|#39|#96);/g, (_e, k: string) => ENTITIES[k]));
/** CSP hash source of a script's text, computed here independently of the report's code. */
const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

describe('renderRunReport', () => {
  let finished: FixtureRun;
  let failed: FixtureRun;
  let html: string;
  let failedHtml: string;
  before(async () => {
    finished = await createFixtureRun();
    failed = await createFixtureRun({ failed: true });
    html = await renderRunReport({ root: finished.root, runId: finished.runId });
    failedHtml = await renderRunReport({ root: failed.root, runId: failed.runId });
  });

  test('opens with the run: name, id, status, times, duration and backend', async () => {
    const { info } = await new Tracker({ root: finished.root }).getRun(finished.runId);
    const duration = formatSeconds((info.endTime! - info.startTime) / 1000);
    assert.match(html, /^<!DOCTYPE html>/);
    assert.ok(html.includes(`<h1>${escapeHtml(HOSTILE.runName)} <span class="badge FINISHED">FINISHED</span></h1>`));
    for (const [k, v] of [['run id', finished.runId], ['status', 'FINISHED'], ['started', '2024-05-01 10:00:03 UTC'], ['backend', 'wasm'], ['duration', duration]]) {
      assert.ok(html.includes(`<td class="key">${k}</td><td class="value">${v}</td>`), `${k}: ${v}`);
    }
  });

  test('lists parameters grouped by their first dotted segment, and final metrics with per-speaker ones grouped', () => {
    const params = html.slice(html.indexOf('<section id="params">'), html.indexOf('</section>', html.indexOf('<section id="params">')));
    const groups = [...params.matchAll(/<thead><tr><th>([^<]*)<\/th><th>value<\/th><\/tr><\/thead><tbody>\n([\s\S]*?)\n<\/tbody>/g)]
      .map(([, group, rows]) => [group, [...rows.matchAll(/<td class="key">([^<]*)<\/td><td class="value">([^<]*)<\/td>/g)].map((m) => `${m[1]}=${m[2]}`)]);
    assert.deepEqual(groups.slice(0, 3), [
      ['features', ['nMels=64']],
      ['parameter', [`note=${escapeHtml(HOSTILE.param)}`]],
      ['training', ['epochs=4']],
    ]);
    assert.ok(html.includes('<tr><td class="key">val_accuracy</td><td class="num">0.7</td><td class="num">3</td></tr>'));
    assert.ok(html.includes('<summary>test_speaker_accuracy/… (2)</summary>'));
    assert.ok(html.includes('<tr><td class="key">theo</td><td class="num">0.9</td><td class="num">0</td></tr>'));
  });

  test('draws the metric history, the evaluation files and the notebook figure, with plotly.js inlined once', () => {
    const all = scripts(html);
    const figures = count(html, 'class="melbook-figure"');
    assert.equal(figures, 4, 'training curves, confusion, per-speaker accuracy, the notebook figure');
    assert.equal(all.filter(isBundle).length, 1);
    assert.ok(isBundle(all[0]), 'plotly.js comes before the figures');
    assert.equal(all.filter(isFigureDraw).length, figures);
    assert.equal(all.length, 1 + figures, 'no other script element');
    assert.equal(count(html, 'plotly.js v2'), 1, 'the notebook figure is drawn from its plotly spec, not its HTML copy of plotly.js');
    const curves = /var fig = (\{.*\});\n {2}var id = "fig-1"/.exec(html);
    assert.ok(curves, 'the training curves come first');
    const spec = JSON.parse(curves[1]) as { data: { y: number[]; xaxis: string }[] };
    assert.deepEqual(spec.data.filter((d) => d.xaxis === 'x').map((d) => d.y), [[2, 1, 2 / 3, 0.5], [2.3, 1.15, 2.3 / 3, 0.575]]);
  });

  test('renders each notebook in stage order, by file name with numbers compared as numbers', () => {
    const order = ['Notebook 1-preprocess', 'Notebook 2-train', 'Notebook 10-summary'].map((t) => html.indexOf(`<h2>${t}</h2>`));
    assert.ok(order.every((i) => i > 0), `every notebook has a heading (${order})`);
    assert.deepEqual([...order].sort((a, b) => a - b), order);
  });

  test('renders every kind of cell and output', () => {
    assert.ok(html.includes('<h1>Preprocess</h1>'), 'markdown');
    assert.ok(html.includes('<span class="prompt">In [1]:</span><span class="tag">parameters</span>'), 'prompt and tags');
    assert.ok(html.includes('<span class="duration">0.25 s</span><span class="badge completed">completed</span>'), 'status and duration');
    assert.ok(html.includes('<div class="output stream stdout"><pre>hello\nprogress 100%\n</pre></div>'), 'stdout, with the progress line as a terminal shows it');
    assert.ok(html.includes(`<div class="output stream stderr"><pre>${escapeHtml(HOSTILE.stderr)}\n</pre></div>`), 'stderr, escaped and styled');
    assert.ok(html.includes('<iframe class="html-output" sandbox="allow-scripts" title="HTML output" height="'), 'text/html in a sandboxed frame');
    assert.ok(frameDocs(html).some((d) => d.includes('<body>\n<b class="from-cell">made on purpose</b>\n</body>')), 'text/html as HTML, inside the frame');
    assert.doesNotMatch(markup(html), /<b class="from-cell"/, 'never in the page itself');
    const png = Buffer.from(SPECTROGRAM_PNG).toString('base64');
    assert.ok(html.includes(`<img src="data:image/png;base64,${png}" width="480" height="240" alt="">`), 'the PNG as a data URI');
    assert.ok(html.includes('<div class="prompt">Out[6]:</div><pre>2</pre>'), 'an execute result');
  });

  test('shows a failed notebook: the banner links to the failed cell, the error is escaped without colour codes', () => {
    const section = html.slice(html.indexOf('<section class="notebook" id="nb-2">'), html.indexOf('<section class="notebook" id="nb-3">'));
    assert.match(section, /<div class="error-banner">An Exception was encountered at &#39;In \[2\]&#39;: Error: boom &lt;\/script&gt;.*<a href="#nb-2-cell-4">Go to the failed cell\.<\/a><\/div>/);
    assert.ok(section.includes('<div class="error-marker">Execution using melbook encountered an exception here and stopped:</div>\n<div class="cell code failed" id="nb-2-cell-4">'));
    assert.ok(section.includes(`<div class="output error"><pre>Error: ${escapeHtml(HOSTILE.error)}\nError: boom\n    at train (cell:1:1)</pre></div>`));
    assert.ok(section.includes('<span class="prompt">In [ ]:</span><span class="spacer"></span><span class="badge pending">pending</span>'), 'the cell that never ran');
    assert.ok(!html.includes('<section class="run-error"'), 'the run itself finished');
  });

  test('shows the error of a failed run from its tag and error.txt', () => {
    assert.ok(failedHtml.includes('<span class="badge FAILED">FAILED</span>'));
    const section = failedHtml.slice(failedHtml.indexOf('<section class="run-error" id="error">'));
    assert.ok(section.startsWith('<section class="run-error" id="error"><h2>The run failed</h2>'));
    assert.ok(section.includes(`<p class="mono">Error: ${escapeHtml(HOSTILE.error)}</p>`));
    assert.match(section, /<details open><summary>error\.txt<\/summary><pre>Error: boom &lt;\/script&gt;.*\n\s+at createFixtureRun/);
  });

  test('escapes every string from data: no markup from params, names, streams, markdown or errors', () => {
    for (const doc of [html, failedHtml]) {
      const outside = markup(doc);
      for (const s of Object.values(HOSTILE)) assert.ok(!outside.includes(s), `raw ${JSON.stringify(s)}`);
      assert.ok(!/<script>alert|<img src=x|<i>seven/.test(outside));
      assert.ok(outside.includes(`Raw HTML stays text: ${escapeHtml(HOSTILE.markdown)}`), 'raw HTML in markdown is shown as text');
      for (const s of scripts(doc)) assert.ok(isBundle(s) || isFigureDraw(s), `unexpected script: ${s.slice(0, 80)}`);
    }
  });

  test('loads nothing from the network: no remote src or stylesheet, remote markdown images become links, and a CSP says so', () => {
    assert.match(policyOf(html), /^default-src 'none'; script-src 'sha256-/);
    assert.match(policyOf(html), /connect-src 'none'; frame-src 'none'/);
    const tags = [...markup(html).matchAll(/<([a-z][a-z0-9-]*)\b([^>]*)>/gi)];
    for (const [tag, name, attrs] of tags) {
      for (const [, attr, value] of attrs.matchAll(/\b(src|href|srcset|poster|data|action|background)\s*=\s*"([^"]*)"/gi)) {
        const remote = /^\s*(https?:)?\/\//i.test(value);
        if (remote) assert.ok(name.toLowerCase() === 'a' && attr === 'href', `${tag} loads a remote resource`);
      }
    }
    assert.ok(html.includes('<a class="remote-image" href="https://example.com/x.png" rel="noopener noreferrer">[image: remote]</a>'));
    assert.doesNotMatch(markup(html), /<link\b|@import|url\(/i);
  });

  test('runs only the scripts it was built with: the policy lists the sha256 of each, page and frames, and nothing unsafe', () => {
    for (const doc of [html, failedHtml]) {
      const policy = policyOf(doc);
      const allowed = /script-src ([^;]*);/.exec(policy)![1].split(' ');
      assert.ok(allowed.every((source) => /^'sha256-[A-Za-z0-9+/]{43}='$/.test(source)), `only hashes: ${allowed.join(' ')}`);
      assert.doesNotMatch(policy, /'unsafe-eval'|default-src [^;]*'unsafe/);
      const inFrames = frameDocs(doc).flatMap(scripts);
      const expected = [...new Set([...scripts(doc), ...inFrames].map(sha256))];
      assert.deepEqual([...allowed].sort(), [...expected].sort());
      assert.equal(allowed.length, scripts(doc).length, 'one hash per page script (the fixture frames hold none)');
    }
  });

  test('gives each frame a policy of its own that allows its scripts by hash and loads nothing', () => {
    const docs = frameDocs(html);
    assert.ok(docs.length >= 1);
    for (const doc of docs) {
      const policy = policyOf(doc);
      const own = scripts(doc).map(sha256);
      assert.ok(policy.includes(own.length ? `script-src ${[...new Set(own)].sort().join(' ')};` : "script-src 'none';"), policy);
      assert.match(policy, /^default-src 'none';.* img-src data:; media-src data:; font-src data:; connect-src 'none'; frame-src 'none'/);
    }
  });

  test('is deterministic', async () => {
    assert.equal(await renderRunReport({ root: finished.root, runId: finished.runId }), html);
  });
});

describe('writeRunReport', () => {
  test('writes artifacts/report.html atomically and returns its path', async () => {
    const run = await createFixtureRun();
    const file = await writeRunReport({ root: run.root, runId: run.runId });
    assert.equal(file, path.join(run.artifacts, REPORT_ARTIFACT));
    assert.equal(await fs.readFile(file, 'utf8'), await renderRunReport({ root: run.root, runId: run.runId }));
    assert.deepEqual((await fs.readdir(run.artifacts)).filter((n) => n.endsWith('.tmp')), [], 'no temporary file left');
    const other = path.join(run.root, 'elsewhere', 'r.html');
    assert.equal(await writeRunReport({ root: run.root, runId: run.runId, output: other }), other);
  });

  test('a run with nothing logged still gets a report, without plotly.js', async () => {
    const run = await createFixtureRun({ bare: true });
    const html = await fs.readFile(await writeRunReport({ root: run.root, runId: run.runId }), 'utf8');
    assert.equal(scripts(html).length, 0);
    assert.ok(html.includes('No metrics were logged.'));
    assert.ok(html.includes('No notebooks under artifacts/notebooks/.'));
  });

  test('unreadable notebooks and evaluation files are reported, not fatal', async () => {
    const run = await createFixtureRun();
    await fs.writeFile(path.join(run.artifacts, 'notebooks', '3-<broken>.ipynb'), 'not json');
    await fs.writeFile(path.join(run.artifacts, 'evaluation', 'val_confusion.json'), JSON.stringify({ classNames: ['a'], matrix: [[1, 2]] }));
    await fs.writeFile(path.join(run.artifacts, 'evaluation', 'val_per_speaker.json'), '{');
    const html = await renderRunReport({ root: run.root, runId: run.runId });
    assert.match(html, /<h2>Notebook 3-&lt;broken&gt;<\/h2><div class="run-error"><pre>notebooks\/3-&lt;broken&gt;\.ipynb: cannot be read: /);
    assert.ok(html.includes('<h2>Notebook 10-summary</h2>'), 'later notebooks still render');
    assert.ok(html.includes('<li>evaluation/val_confusion.json: not shown, expected { classNames: string[], matrix: number[][] } with one row and column per class</li>'));
    assert.match(html, /<li>evaluation\/val_per_speaker\.json: not shown, it is not JSON \(/);
    assert.equal(count(html, 'class="melbook-figure"'), 4, 'the test split figures are still drawn');
  });

  test('an unknown run id fails with a tracking error', async () => {
    const run = await createFixtureRun({ bare: true });
    await assert.rejects(renderRunReport({ root: run.root, runId: 'f'.repeat(32) }), /f{32}/);
  });
});

describe('renderNotebookHtml', () => {
  test('renders one notebook as a complete page, with plotly.js only when a figure needs it', () => {
    const withFigure = renderNotebookHtml(preprocessNotebook(), { title: 'Stage <1>' });
    assert.match(withFigure, /^<!DOCTYPE html>[\s\S]*<title>Stage &lt;1&gt;<\/title>[\s\S]*<h1>Stage &lt;1&gt;<\/h1>/);
    assert.equal(policyOf(withFigure), reportCsp(scripts(withFigure).map(sha256)));
    assert.equal(scripts(withFigure).filter(isBundle).length, 1);
    assert.equal(scripts(withFigure).filter(isFigureDraw).length, 1);
    const without = renderNotebookHtml(trainNotebook());
    assert.equal(scripts(without).length, 0);
    assert.ok(without.includes('<div class="cell code failed" id="nb-cell-4">'));
  });
});
