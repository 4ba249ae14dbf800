/**
 * Opens a generated report in headless Chromium (Debian's `chromium`, driven by playwright-core,
 * which downloads no browser) and checks what a reader sees: every plotly figure drawn, every
 * image decoded, no console or page errors, nothing requested from the network. Saves a
 * full-page screenshot and prints its path. Skips when chromium is not installed
 * (`apt-get install -y chromium`).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, test } from 'node:test';
import { writeRunReport } from '../../src/report/html';
import { figureBundle } from '../../src/viz/display';
import { classBalanceFigure } from '../../src/viz/plots';
import { launchChromium } from './helpers/chromium';
import { createFixtureRun, removeFixtureRuns } from './helpers/fixture-run';

after(removeFixtureRuns);

test('a report renders in Chromium: figures drawn, images loaded, no errors, nothing fetched', { timeout: 60_000 }, async (t) => {
  const browser = await launchChromium(t, { width: 1200, height: 900 });
  if (!browser) return;
  const { context } = browser;
  const fixture = await createFixtureRun({ failed: true });
  const report = await writeRunReport({ root: fixture.root, runId: fixture.runId });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); void d.dismiss(); });

    await page.goto(pathToFileURL(report).href, { waitUntil: 'load' });
    const figures = await page.locator('.melbook-figure').count();
    await page.waitForFunction((n) => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n, figures, { timeout: 20_000 });

    const drawn = await page.$$eval('.melbook-figure', (els) => els.map((el) => el.classList.contains('js-plotly-plot') && el.querySelector('.main-svg') !== null));
    assert.equal(figures, 4, 'training curves, confusion matrix, per-speaker accuracy, and the notebook figure');
    assert.deepEqual(drawn, drawn.map(() => true), 'every figure is drawn');
    const bars = await page.$$eval('#fig-4 .bars .point', (els) => els.length);
    assert.equal(bars, 6, 'the notebook figure has 3 splits x 2 classes bars');
    const ticks = await page.$$eval('#fig-2 .xtick text', (els) => els.map((e) => e.textContent));
    assert.ok(ticks.includes('<i>seven</i>'), `a class name with angle brackets shows as written (${JSON.stringify(ticks)})`);

    const images = await page.$$eval('img', (els) => els.map((img) => ({ w: (img as HTMLImageElement).naturalWidth, complete: (img as HTMLImageElement).complete })));
    assert.ok(images.length >= 1);
    for (const img of images) assert.ok(img.complete && img.w > 0, 'every image decoded');
    assert.equal(await page.$$eval('.output.display img', (els) => (els[0] as HTMLImageElement).naturalWidth), 480, 'the spectrogram PNG at its size');

    // Parameters are folded at the end of the report: unfold them so their text is rendered.
    await page.$$eval('details', (els) => els.forEach((d) => ((d as HTMLDetailsElement).open = true)));
    const hostile = await page.evaluate(() => ({
      injected: document.querySelectorAll('img[onerror], i').length,
      text: document.body.innerText.includes('<script>alert("param")</script>'),
    }));
    assert.equal(hostile.injected, 0, 'no element was created from data strings');
    assert.ok(hostile.text, 'hostile strings show as text');

    assert.deepEqual(problems, []);
    const remote = requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:') && !u.startsWith('blob:'));
    assert.deepEqual(remote, [], 'nothing requested from the network');

    const dir = path.resolve(__dirname, '../.tmp');
    mkdirSync(dir, { recursive: true });
    const shot = path.join(dir, 'report-screenshot.png');
    await page.screenshot({ path: shot, fullPage: true });
    t.diagnostic(`screenshot: ${shot}`);
    console.log(`report screenshot: ${shot}`);
  } finally {
    await browser.close();
  }
});

test("notebook figure outputs draw offline in output order, even before the output carrying plotly.js and beside RequireJS", { timeout: 60_000 }, async (t) => {
  const browser = await launchChromium(t);
  if (!browser) return;
  const { context } = browser;
  const fig = classBalanceFigure([{ class: '0', train: 3, validation: 1, test: 2 }]);
  const withBundle = String(figureBundle(fig, { id: 'with-bundle', includePlotlyJs: true }).data['text/html']);
  const without = String(figureBundle(fig, { id: 'without' }).data['text/html']);
  // As a classic notebook page shows saved outputs: an AMD loader present, a figure that reuses
  // plotly.js placed above the output that carries it.
  const page = `<!DOCTYPE html><html><head><meta charset="utf-8"><script>window.define = function () {}; window.define.amd = true;</script></head>
<body>${without}\n${withBundle}</body></html>`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'melbook-outputs-'));
  const file = path.join(dir, 'outputs.html');
  writeFileSync(file, page);
  try {
    const tab = context.pages()[0] ?? (await context.newPage());
    const problems: string[] = [];
    tab.on('pageerror', (e) => problems.push(e.message));
    tab.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    await tab.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    await tab.waitForFunction(() => document.querySelectorAll('.main-svg').length >= 2, undefined, { timeout: 20_000 });
    const drawn = await tab.$$eval('.melbook-figure', (els) => els.map((el) => [el.id, el.querySelectorAll('.bars .point').length]));
    assert.deepEqual(drawn, [['without', 3], ['with-bundle', 3]]);
    assert.equal(await tab.evaluate(() => typeof (window as unknown as { Plotly?: unknown }).Plotly), 'object', 'plotly.js defined window.Plotly despite the AMD loader');
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the report opens on the result: the test accuracy is visible in the first 900 px, before the notebooks', { timeout: 60_000 }, async (t) => {
  const browser = await launchChromium(t, { width: 1200, height: 900 });
  if (!browser) return;
  const fixture = await createFixtureRun({ failed: true });
  const report = await writeRunReport({ root: fixture.root, runId: fixture.runId });
  try {
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    await page.goto(pathToFileURL(report).href, { waitUntil: 'load' });
    const seen = await page.$eval('#headline-test-accuracy', (el) => {
      const box = el.getBoundingClientRect();
      return { text: (el as HTMLElement).innerText, top: box.top, bottom: box.bottom, scrollY: window.scrollY, height: window.innerHeight };
    });
    assert.equal(seen.scrollY, 0, 'not scrolled');
    assert.equal(seen.height, 900);
    assert.match(seen.text, /87\.5 %\s+test accuracy/);
    assert.ok(seen.top >= 0 && seen.bottom <= 900, `test accuracy at ${seen.top}-${seen.bottom} px`);
    const order = await page.$$eval('#headline, #evaluation, #curves, #nb-1, #params', (els) => els.map((e) => e.id));
    assert.deepEqual(order, ['headline', 'evaluation', 'curves', 'nb-1', 'params'], 'result first, notebooks next, parameters last');
    assert.equal(await page.$eval('#params details', (d) => (d as HTMLDetailsElement).open), false, 'parameters folded');
  } finally {
    await browser.close();
  }
});
