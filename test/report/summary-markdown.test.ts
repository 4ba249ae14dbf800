import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Tracker } from '../../src/tracking';
import { SUMMARY_MAX_BYTES, markdownText, renderRunSummaryMarkdown } from '../../src/report/summary-markdown';

const roots: string[] = [];
after(() => { for (const r of roots) rmSync(r, { recursive: true, force: true }); });

const LINKY = 'see [here](https://evil.example/x) <https://a.b> www.evil.com mail@evil.com ![i](http://x/y.png)';

/** A finished run as the pipeline logs it: test metrics, per-class F1, per-speaker accuracy, test.json. */
async function pipelineRun(opts: { speakers?: number; runName?: string; loso?: boolean } = {}) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'melbook-summary-'));
  roots.push(root);
  const tracker = new Tracker({ root, gitCommit: null, user: 't', sourceName: 'test' });
  const run = await tracker.startRun({ experimentName: 'summary', runName: opts.runName ?? 'digits-cnn' });
  const speakers = Array.from({ length: opts.speakers ?? 3 }, (_, i) => (i === 1 ? 'www.evil.com' : `spk${i}`));
  const metrics: Record<string, number> = { test_accuracy: 0.9125, test_macro_f1: 0.9071 };
  speakers.forEach((s, i) => (metrics[`test_speaker_accuracy/${s}`] = 0.95 - i * 0.0001 - (s === 'spk2' ? 0.2 : 0)));
  metrics['test_class_f1/0'] = 0.9;
  if (opts.loso) Object.assign(metrics, { loso_mean_accuracy: 0.81, loso_std_accuracy: 0.05, 'loso_accuracy/jackson': 0.88, 'loso_accuracy/theo': 0.72 });
  await run.logMetrics(metrics);
  await run.logJson({
    perClass: [{ class: '0', precision: 0.8, recall: 1, f1: 0.889, support: 8 }, { class: LINKY, precision: 1, recall: 0.75, f1: 0.857, support: 8 }],
    perGroup: Object.fromEntries(speakers.map((s) => [s, { accuracy: 0.9, count: 10 }])),
  }, 'evaluation/test.json');
  await run.endRun('FINISHED');
  return { root, runId: run.runId };
}

describe('melbook report --format markdown', () => {
  test('opens on the run and its headline metrics, then per-class and per-speaker tables', async () => {
    const { root, runId } = await pipelineRun();
    const md = await renderRunSummaryMarkdown({ root, runId });
    assert.match(md.split('\n')[0], /^## melbook run digits\\-cnn: FINISHED$/);
    assert.match(md, /\| test accuracy \| 91\.3 % \|/);
    assert.match(md, /\| macro F1 \| 0\.907 \|/);
    assert.match(md, /\| per-speaker minimum \| 75\.0 % \| speaker spk2 \|/);
    assert.ok(md.indexOf('test accuracy') < md.indexOf('### Per class (test)'));
    assert.ok(md.indexOf('### Per class (test)') < md.indexOf('### Per speaker (test)'));
    assert.match(md, /\| 0 \| 0\.800 \| 1\.000 \| 0\.889 \| 8 \|/, 'per-class row from evaluation/test.json');
    assert.match(md, /\| spk0 \| 95\.0 % \| 10 \|/, 'per-speaker row with its clip count');
    assert.doesNotMatch(md, /LOSO/);
  });

  test('a LOSO run shows the mean and the weakest speaker, and its folds', async () => {
    const { root, runId } = await pipelineRun({ loso: true });
    const md = await renderRunSummaryMarkdown({ root, runId });
    assert.match(md, /\| LOSO mean accuracy \| 81\.0 % \| ± 5\.0 % \|/);
    assert.match(md, /\| LOSO weakest speaker \| 72\.0 % \| speaker theo \|/);
    assert.match(md, /### Per speaker \(LOSO folds\)\n\n\| speaker \| accuracy \|/);
  });

  test('is link-free and markup-free whatever the names hold', async () => {
    const { root, runId } = await pipelineRun({ runName: LINKY });
    const md = await renderRunSummaryMarkdown({ root, runId });
    assert.ok(md.includes('evil'), 'the hostile names are shown, as text');
    // What GitHub would turn into a link or markup: a scheme, www.host, user@host, [text](url), <...>.
    for (const bad of [/https?:\/\//, /www\.[a-z]/i, /\w@\w/, /(^|[^\\])[[\]()<>!]/]) {
      for (const line of md.split('\n').filter((l) => l.includes('evil'))) assert.doesNotMatch(line, bad);
    }
    assert.equal(markdownText('a|b\nc'), 'a\\|b c', 'a cell cannot break its table row');
  });

  test('stays under 64 KB for a run with thousands of speakers, saying rows were left out', async () => {
    const { root, runId } = await pipelineRun({ speakers: 3000 });
    const md = await renderRunSummaryMarkdown({ root, runId });
    assert.ok(Buffer.byteLength(md) <= SUMMARY_MAX_BYTES, `${Buffer.byteLength(md)} bytes`);
    assert.match(md, /2900 more rows not shown\./);
  });

  test('the CLI prints it to stdout', async () => {
    const { root, runId } = await pipelineRun();
    const bin = path.resolve(__dirname, '../../bin/melbook.js');
    const r = spawnSync(process.execPath, [bin, 'report', runId, '--root', root, '--format', 'markdown'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^## melbook run digits\\-cnn: FINISHED\n/);
    assert.match(r.stdout, /\| test accuracy \| 91\.3 % \|/);
  });
});
