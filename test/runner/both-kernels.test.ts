/**
 * One fixture notebook, unchanged, under tslab and under Deno's kernel: parameters injected
 * papermill-style, printed lines, and melbook's display helpers (PNG, table, audio player,
 * plotly figure) arrive as the same display_data bundles. Needs the built package (dist/).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { CodeCell, DisplayDataOutput, Output } from '../../src/nbformat';
import { denoEngine, tslabEngine } from '../../src/runner/engine';
import { DENO_KERNEL_NAME, DenoMissingError, resolveDenoBinary } from '../../src/runner/deno';
import { executeNotebook } from '../../src/runner/execute';
import { requireDeno } from '../helpers/skip';

const FIXTURE = path.resolve(__dirname, '../fixtures/notebooks/both-kernels.ipynb');
const displays = (outputs: Output[]) => outputs.filter((o): o is DisplayDataOutput => o.output_type === 'display_data');

describe('the both-kernels fixture runs unchanged on each kernel', () => {
  for (const kernel of ['tslab', 'deno'] as const) {
    test(kernel, { timeout: 180_000 }, async (t) => {
      if (kernel === 'deno' && !requireDeno(t)) return;
      const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'melbook-kernels-')), 'out.ipynb');
      const nb = await executeNotebook(FIXTURE, out, {
        engine: kernel === 'deno' ? denoEngine() : tslabEngine(),
        parameters: { greeting: 'hej', repeat: 2, sizes: [1, 2, 3] },
      });
      assert.equal((nb.metadata.melbook as { engine: string }).engine, kernel === 'deno' ? DENO_KERNEL_NAME : 'tslab');
      const code = nb.cells.filter((c): c is CodeCell => c.cell_type === 'code');
      assert.deepEqual(code.map((c) => (c.metadata.melbook as { status: string }).status), code.map(() => 'completed'));
      assert.deepEqual(code[1].outputs, [], 'the injected parameters cell echoes nothing');
      assert.deepEqual(code[2].outputs, [
        { output_type: 'stream', name: 'stdout', text: 'hej hej 3\n' },
        { output_type: 'stream', name: 'stderr', text: 'note on stderr\n' },
      ], 'the injected values (a string, a number, a typed array literal) reached the code');
      const [png] = displays(code[3].outputs);
      assert.match(String(png?.data['image/png']), /^iVBORw0KGgo/, 'a PNG, base64');
      assert.deepEqual(png.metadata, { 'image/png': { width: 120, height: 80 } });
      const [table, audio] = displays(code[4].outputs);
      assert.match(String(table?.data['text/html']), /<table/);
      assert.match(String(audio?.data['text/html']), /<audio/);
      const [figure] = displays(code[5].outputs);
      assert.ok(figure?.data['application/vnd.plotly.v1+json'], 'the plotly spec');
      assert.match(String(figure.data['text/html']), /Plotly\.newPlot/);
      // The value of a last expression: tslab prints it, Deno returns it as a result (plain text, no colour).
      const [last] = code[6].outputs;
      const shown = last?.output_type === 'stream' ? last.text : last?.output_type === 'execute_result' ? last.data['text/plain'] : undefined;
      assert.equal(String(shown).trim(), '42');
    });
  }
});

test('a missing deno binary is named with the way to install it', () => {
  assert.throws(() => resolveDenoBinary({ MELBOOK_DENO: '/nonexistent/deno' }), (e: unknown) =>
    e instanceof DenoMissingError && /MELBOOK_DENO=\/nonexistent\/deno: no such file/.test(e.message));
});
