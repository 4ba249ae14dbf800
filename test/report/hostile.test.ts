/**
 * The report of a hostile run (helpers/hostile-run.ts), read as text: every string from data is
 * escaped where it lands, markup from data exists only inside sandboxed frames, and the page's
 * policy allows exactly the scripts the page and its frames were built with. The same report
 * opened in Chromium: hostile-browser.test.ts.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { renderRunReport } from '../../src/report/html';
import { renderNotebookSection } from '../../src/report/notebook';
import { PageContext } from '../../src/report/page';
import { metricsSection, paramsSection } from '../../src/report/run-sections';
import type { Notebook } from '../../src/nbformat';
import type { Run } from '../../src/tracking';
import { escapeHtml } from '../../src/viz/html-escape';
import { HOSTILE_HTML, attack, createHostileRun, type HostileRun } from './helpers/hostile-run';

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', quot: '"', amp: '&', '#39': "'", '#96': '`' };
const unescapeAttr = (s: string) => s.replace(/&(lt|gt|quot|amp|#39|#96);/g, (_e, k: string) => ENTITIES[k]);
const scripts = (html: string) => [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script/gi)].map((m) => m[1]);
const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
/** The page's markup: script bodies and frame documents emptied. */
const markup = (html: string) => html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '<script></script>').replace(/ srcdoc="[^"]*"/g, ' srcdoc=""');
const frameDocs = (html: string) => [...html.matchAll(/<iframe [^>]*srcdoc="([^"]*)"/g)].map((m) => unescapeAttr(m[1]));

describe('the report of a hostile run', () => {
  let run: HostileRun;
  let html: string;
  before(async () => {
    run = await createHostileRun();
    html = await renderRunReport(run);
  });
  after(() => rmSync(run.root, { recursive: true, force: true }));

  test('holds no markup from data outside its frames: no script, handler attribute or script URL', () => {
    const page = markup(html);
    const tags = [...page.matchAll(/<[a-z][a-z0-9-]*((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*\/?>/gi)];
    const attributes = tags.flatMap((t) => t[1].replace(/=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+)/g, '').trim().split(/\s+/).filter(Boolean));
    assert.ok(attributes.length > 100 && attributes.includes('srcdoc'), `attributes read (${attributes.length})`);
    assert.deepEqual(attributes.filter((a) => /^on/i.test(a)), [], 'no element with an event handler');
    assert.doesNotMatch(page, /<(img|svg|iframe|form|link|base|meta http-equiv="refresh")\b[^>]*(src="x"|example\.com)/i);
    assert.doesNotMatch(page, /(href|src|action)\s*=\s*"\s*javascript:/i);
    assert.ok(scripts(html).every((s) => s.startsWith('if (!window.Plotly)') || s.startsWith('(function () {\n  var fig = ')), 'only plotly.js and figure draws');
  });

  test('shows every hostile string as text where it lands', () => {
    const img = `&lt;img src=x onerror=&quot;alert(&#39;key&#39;)&quot;&gt;`;
    assert.ok(html.includes(`<tr><td class="key">${img}</td><td class="num">0.5</td><td class="num">0</td></tr>`), 'a metric key');
    assert.ok(html.includes(`<summary>${escapeHtml('<img src=x onerror="alert(\'metric-group\')">')}/… (1)</summary>`), 'a metric group');
    assert.ok(html.includes(`<td class="key">${img}</td><td class="value">${escapeHtml(attack('param-by-key'))}</td>`), 'a param key and value');
    assert.ok(html.includes(`<h1>${escapeHtml(attack('run-name'))} <span class="badge FAILED">FAILED</span></h1>`), 'the run name');
    assert.ok(html.includes(`<title>${escapeHtml(attack('run-name'))} · melbook run</title>`));
    assert.ok(html.includes(`<h2>Notebook 3-${escapeHtml('<img src=x onerror="alert(\'file-name\')">')}</h2>`), 'a notebook file name');
    for (const where of ['source', 'stream', 'ename', 'evalue', 'traceback', 'plain', 'engine', 'param-key', 'param', 'tag', 'status', 'raw', 'error']) {
      assert.ok(html.includes(escapeHtml(attack(where)).replace(/&#39;/g, '&#39;')), where);
    }
  });

  test('refuses the notebook whose execution count is markup, naming the file and the cell', () => {
    assert.match(html, /<h2>Notebook 2-bad-count<\/h2><div class="run-error"><pre>notebooks\/2-bad-count\.ipynb: cannot be read: \S*2-bad-count\.ipynb: cells\.0\.execution_count: got &quot;&lt;img src=x/);
  });

  test('renders HTML outputs only in sandboxed frames, and allows exactly the scripts of the page and its frames', () => {
    const frames = [...html.matchAll(/<iframe\b[^>]*>/g)].map((m) => m[0]);
    assert.equal(frames.length, 3);
    for (const f of frames) assert.match(f, /^<iframe class="html-output" sandbox="allow-scripts" title="HTML output" height="\d+" srcdoc="/);
    const docs = frameDocs(html);
    assert.ok(docs[0].includes(`<body>\n${HOSTILE_HTML}\n</body>`), 'the hostile output, whole, inside its frame');
    const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)![1];
    const allowed = /script-src ([^;]*);/.exec(policy)![1].split(' ').sort();
    assert.deepEqual(allowed, [...new Set([...scripts(html), ...docs.flatMap(scripts)].map(sha256))].sort());
  });
});

describe('escaping without the reader\'s checks', () => {
  test('a notebook built in code with a markup execution count shows an empty prompt', () => {
    const nb = {
      nbformat: 4, nbformat_minor: 5, metadata: {},
      cells: [{
        cell_type: 'code', source: '', metadata: { tags: 'not-a-list' }, execution_count: '<img src=x onerror=alert(1)>',
        outputs: [{ output_type: 'execute_result', execution_count: '<b>3</b>', data: { 'text/plain': 'x' }, metadata: {} }],
      }],
    } as unknown as Notebook;
    const html = renderNotebookSection(nb, new PageContext());
    assert.ok(html.includes('<div class="cell-head"><span class="prompt">In [ ]:</span><span class="spacer"></span></div>'));
    assert.ok(html.includes('<div class="output result"><pre>x</pre></div>'), 'no Out prompt');
    assert.doesNotMatch(html, /<img|<b>/);
  });

  test('param and metric keys are escaped in their tables', () => {
    const key = '<img src=x onerror=alert(1)>';
    const metric = { key: `${key}/${key}`, value: 1, timestamp: 0, step: 0 };
    const run = { info: {}, data: { params: { [key]: key, [`${key}.${key}`]: key }, tags: { [key]: key }, metrics: { [metric.key]: metric }, metricHistory: {} } } as unknown as Run;
    const out = paramsSection(run) + metricsSection(run);
    assert.doesNotMatch(out, /<img/);
    assert.equal(out.split(escapeHtml(key)).length - 1, 9, 'key and value of a param, group, key and value of a grouped one, tag key and value, metric group and key');
  });
});
