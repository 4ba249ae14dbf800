/**
 * Opens the report of a hostile run (helpers/hostile-run.ts: script in every string a notebook,
 * a run or a file name can carry) in headless Chromium and checks that nothing ran: no dialog,
 * no request beyond the report file itself, no change to the page from a frame; and that what
 * must draw still draws: every plotly figure of the page, the PNG, and the HTML outputs that
 * draw with their own scripts inside their sandboxed frames.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { after, test } from 'node:test';
import { writeRunReport } from '../../src/report/html';
import { launchChromium } from './helpers/chromium';
import { createHostileRun } from './helpers/hostile-run';

const roots: string[] = [];
after(() => { for (const root of roots) rmSync(root, { recursive: true, force: true }); });

test('a hostile run\'s report runs none of its scripts in Chromium, fetches nothing, and still draws its figures', { timeout: 90_000 }, async (t) => {
  const browser = await launchChromium(t, { width: 1200, height: 900 });
  if (!browser) return;
  const run = await createHostileRun();
  roots.push(run.root);
  const report = await writeRunReport({ root: run.root, runId: run.runId });
  const url = pathToFileURL(report).href;
  try {
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    const dialogs: string[] = [];
    const requests: string[] = [];
    const popups: string[] = [];
    page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
    page.on('request', (r) => requests.push(r.url()));
    page.on('popup', (p) => popups.push(p.url()));
    const failures = new Map<string, string>();
    page.on('requestfailed', (r) => failures.set(r.url(), r.failure()?.errorText ?? ''));
    // Anything that reaches the network stack is recorded and aborted: the test itself never goes online.
    const leaked: string[] = [];
    await browser.context.route(/^(https?|wss?|ftp):/i, (route) => { leaked.push(route.request().url()); void route.abort(); });

    await page.goto(url, { waitUntil: 'load' });
    await page.waitForTimeout(500); // let late handlers (an image error, a timer) fire
    assert.deepEqual(dialogs, [], 'no dialog fired');
    assert.deepEqual(popups, [], 'no popup opened');
    const figures = await page.locator('.melbook-figure').count();
    assert.equal(figures, 4, 'training curves, confusion matrix, per-speaker accuracy, the notebook figure');
    await page.waitForFunction((n) => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n, figures, { timeout: 30_000 });
    // Frames are cross-origin (sandboxed, opaque origin); playwright still evaluates inside them.
    // (A frame's console messages may show up more than once: playwright replays them per frame session.)
    const frames = page.frames().filter((f) => f !== page.mainFrame());
    const inFrames = async <T>(fn: () => T | null): Promise<T[]> =>
      (await Promise.all(frames.map((f) => f.evaluate(fn).catch(() => null)))).filter((v): v is Awaited<T> => v !== null) as T[];
    assert.deepEqual(await inFrames(() => document.querySelector('#drawn')?.textContent ?? null), ['drawn by its own script'], 'an HTML output runs its own script inside its frame');
    assert.deepEqual(await inFrames(() => document.body.dataset.parent ?? null), ['blocked'], 'a frame cannot reach the page');
    const holdsFigure = await Promise.all(frames.map((f) => f.evaluate(() => document.getElementById('frame-figure') !== null).catch(() => false)));
    assert.equal(holdsFigure.filter(Boolean).length, 1, 'one frame holds the figure shown only as HTML');
    await frames[holdsFigure.indexOf(true)].waitForFunction(() => document.querySelector('#frame-figure .main-svg') !== null, undefined, { timeout: 20_000 });

    const png = await page.$$eval('.output.display img[src^="data:image/png"]', (els) => els.map((e) => (e as HTMLImageElement).naturalWidth));
    assert.deepEqual(png, [480], 'the PNG decodes');
    assert.equal(await page.evaluate(() => location.href), url, 'the page did not navigate');
    assert.equal(await page.evaluate(() => document.querySelector('main')?.textContent?.includes('Hostile') ?? false), true, 'the page was not replaced');
    assert.equal(await page.locator('[onerror], [onload], a[href^="javascript:" i], main img[src="x"]').count(), 0, 'no element with a handler or script link was created from data');
    assert.deepEqual(dialogs, [], 'no dialog fired, late ones included');
    assert.deepEqual(leaked, [], 'no request reached the network');
    const attempts = [...new Set(requests.filter((u) => u !== url && !u.startsWith('data:') && !u.startsWith('about:')))];
    // Refused: by a policy ('csp'), or, for a relative URL a frame resolved against the report's
    // folder, by the browser (a sandboxed frame's opaque origin may not read local files).
    const refused = (u: string) => failures.get(u) === 'csp' || (u.startsWith('file:') && failures.has(u));
    const left = attempts.filter((u) => !refused(u));
    assert.deepEqual(left.map((u) => `${u} (${failures.get(u) ?? 'not refused'})`), [], 'every other request was refused by the policy before it left');
    t.diagnostic(`refused by the policy: ${attempts.join(', ')}`);
  } finally {
    await browser.close();
  }
});
