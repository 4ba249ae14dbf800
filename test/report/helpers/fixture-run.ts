/**
 * A tracked run built with the real Tracker in a temporary store, with executed stage notebooks
 * made in code: markdown, code cells with stdout/stderr, HTML, a PNG spectrogram, a plotly
 * figure (as showFigure sends it), a result, an error and the runner's error banner. Hostile
 * strings sit everywhere data can reach the report.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { addErrorCells } from '../../../src/runner/error-cells';
import type { Cell, CellRunMetadata, CodeCell, Notebook, Output } from '../../../src/nbformat';
import { formatNotebook } from '../../../src/runner/notebook-io';
import { Tracker } from '../../../src/tracking';
import { figureBundle, pngBundle } from '../../../src/viz/display';
import { classBalanceFigure } from '../../../src/viz/plots';
import { renderSpectrogramPng } from '../../../src/viz/spectrogram';

export const HOSTILE = {
  param: '<script>alert("param")</script>',
  stderr: '<script>alert("stderr")</script> & "quotes"',
  markdown: '<script>alert("markdown")</script>',
  runName: 'demo <img src=x onerror=alert(1)>',
  error: 'boom </script><script>alert("error")</script>',
  className: '<i>seven</i>',
} as const;

/** The spectrogram PNG placed in the first notebook. */
export const SPECTROGRAM_PNG = renderSpectrogramPng(
  Float32Array.from({ length: 16 * 40 }, (_, i) => Math.sin(i / 7) * Math.cos(i / 31)),
  [16, 40],
  { hopLength: 128, sampleRateHz: 8000, yAxis: 'mel', title: 'mel spectrogram', colorbarLabel: 'dB', width: 480, height: 240 },
);

const meta = (status: CellRunMetadata['status'], duration: number | null): CellRunMetadata => ({
  start: duration === null ? null : '2024-05-01T10:00:00.000Z',
  end: duration === null ? null : '2024-05-01T10:00:00.250Z',
  duration,
  status,
  exception: status === 'failed' ? true : status === 'completed' ? false : null,
});

function code(source: string, count: number | null, outputs: Output[], status: CellRunMetadata['status'] = 'completed', tags?: string[]): CodeCell {
  return { cell_type: 'code', source, metadata: { melbook: meta(status, status === 'pending' ? null : 0.25), ...(tags ? { tags } : {}) }, execution_count: count, outputs };
}

const markdown = (source: string): Cell => ({ cell_type: 'markdown', source, metadata: {} });

function notebook(cells: Cell[], exception: boolean): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' },
      melbook: { start_time: '2024-05-01T10:00:00.000Z', end_time: '2024-05-01T10:00:03.000Z', duration: 3, exception, engine: 'tslab', parameters: { epochs: 4, note: HOSTILE.param } },
    },
    cells,
  };
}

/** Stage 1: every kind of output, all fine. */
export function preprocessNotebook(): Notebook {
  const png = pngBundle(SPECTROGRAM_PNG);
  const fig = figureBundle(classBalanceFigure([{ class: '0', train: 3, validation: 1, test: 2 }, { class: HOSTILE.className, train: 4, validation: 1, test: 1 }]), { includePlotlyJs: true });
  return notebook([
    markdown(`# Preprocess\n\nRaw HTML stays text: ${HOSTILE.markdown}\n\n![remote](https://example.com/x.png) and a [link](https://example.com/).`),
    code('const config = loadConfig();', 1, [], 'completed', ['parameters']),
    code('console.log("hello"); console.error(...)', 2, [
      { output_type: 'stream', name: 'stdout', text: 'hello\nprogress 10%\rprogress 100%\n' },
      { output_type: 'stream', name: 'stderr', text: `${HOSTILE.stderr}\n` },
    ]),
    code('display.html(...)', 3, [{ output_type: 'display_data', data: { 'text/html': '<b class="from-cell">made on purpose</b>', 'text/plain': 'bold' }, metadata: {} }]),
    code('showPng(spectrogram)', 4, [{ output_type: 'display_data', ...png }]),
    code('showFigure(classBalanceFigure(rows))', 5, [{ output_type: 'display_data', ...fig }]),
    code('1 + 1', 6, [{ output_type: 'execute_result', execution_count: 6, data: { 'text/plain': '2' }, metadata: {} }]),
  ], false);
}

/** Stage 2: the third cell fails; the runner's banner and anchor are in place; the last cell never ran. */
export function trainNotebook(): Notebook {
  const failed = notebook([
    markdown('## Train'),
    code('const model = build()', 1, []),
    code('train(model)', 2, [
      { output_type: 'stream', name: 'stdout', text: 'epoch 1/4\n' },
      { output_type: 'error', ename: 'Error', evalue: HOSTILE.error, traceback: ['\u001b[31mError\u001b[0m: boom', '    at train (cell:1:1)'] },
    ], 'failed'),
    code('evaluate(model)', null, [], 'pending'),
  ], true);
  return addErrorCells(failed, 2, 'In [2]', `Error: ${HOSTILE.error}`);
}

export interface FixtureRun {
  root: string;
  runId: string;
  artifacts: string;
}

const created: string[] = [];

/** Deletes the stores of every run this process created (call from an `after` hook). */
export function removeFixtureRuns(): void {
  for (const root of created.splice(0)) rmSync(root, { recursive: true, force: true });
}

/** Creates the run. `failed`: it ends FAILED with its error recorded; `bare`: no metrics, artifacts or notebooks. */
export async function createFixtureRun(options: { failed?: boolean; bare?: boolean } = {}): Promise<FixtureRun> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'melbook-report-'));
  created.push(root);
  let t = Date.UTC(2024, 4, 1, 10, 0, 0);
  const tracker = new Tracker({ root, gitCommit: null, user: 'tester', sourceName: 'test', now: () => (t += 1000) });
  const run = await tracker.startRun({ experimentName: 'report-test', runName: HOSTILE.runName, tags: { 'melbook.backend': 'wasm' } });
  await run.logParams({ note: HOSTILE.param, 'training.epochs': 4, 'features.nMels': 64 });
  if (!options.bare) {
    for (let epoch = 0; epoch < 4; epoch++) {
      await run.logMetrics({ loss: 2 / (epoch + 1), accuracy: 0.3 + 0.15 * epoch, val_loss: 2.3 / (epoch + 1), val_accuracy: 0.25 + 0.15 * epoch }, epoch);
    }
    await run.logMetrics({ test_accuracy: 0.875, 'test_speaker_accuracy/theo': 0.9, 'test_speaker_accuracy/george': 0.85 });
    await run.logJson({ classNames: ['0', HOSTILE.className], matrix: [[7, 1], [1, 7]] }, 'evaluation/test_confusion.json');
    await run.logJson({ george: { accuracy: 0.85, count: 20 }, theo: { accuracy: 0.9, count: 20 } }, 'evaluation/test_per_speaker.json');
    // Stage order is by file name, numbers compared as numbers: 2 before 10.
    await run.logText(formatNotebook(trainNotebook()), 'notebooks/2-train.ipynb');
    await run.logText(formatNotebook(preprocessNotebook()), 'notebooks/1-preprocess.ipynb');
    await run.logText(formatNotebook(notebook([markdown('Done.')], false)), 'notebooks/10-summary.ipynb');
  }
  if (options.failed) {
    await run.recordError(new Error(HOSTILE.error));
    await run.endRun('FAILED');
  } else {
    await run.endRun('FINISHED');
  }
  return { root, runId: run.runId, artifacts: await run.artifactDir() };
}
