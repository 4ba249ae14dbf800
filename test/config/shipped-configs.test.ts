import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadPipelineConfig, pipelineConfig } from '../../src/config/pipeline';

const CONFIG_DIR = join(__dirname, '../../config');

/** Dotted paths of every leaf an object holds (arrays count as leaves). */
function leaves(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
}

test('every shipped config loads against the schema', () => {
  const files = readdirSync(CONFIG_DIR).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.includes('default.yaml'));
  for (const f of files) assert.doesNotThrow(() => loadPipelineConfig(join(CONFIG_DIR, f)), f);
});

test('config/default.yaml writes out every key with its schema default', () => {
  const written = parse(readFileSync(join(CONFIG_DIR, 'default.yaml'), 'utf8')) as Record<string, unknown>;
  const defaults = pipelineConfig({}) as unknown as Record<string, unknown>;
  const loaded = loadPipelineConfig(join(CONFIG_DIR, 'default.yaml')) as unknown as Record<string, unknown>;
  const have = leaves(written);
  const missing = leaves(defaults).filter((p) => !have.some((w) => w === p || p.startsWith(`${w}.`) || w.startsWith(`${p}.`)));
  // Derived defaults (winLength, fMaxHz, testSpeaker, runName) are documented as comments; the
  // optimizer's own fields depend on its type (src/model/spec.ts).
  assert.deepEqual(missing.filter((p) => !/winLength|fMaxHz|testSpeaker|runName|^training\.optimizer\./.test(p)), [], 'keys the file leaves out');
  for (const section of ['features', 'split', 'preprocess']) {
    assert.deepEqual(loaded[section], defaults[section], `${section} in default.yaml differs from the schema defaults`);
  }
});

test('evaluation.seeds: robust.yaml ships its four-seed recipe; a seed twice or a negative seed is refused', () => {
  assert.deepEqual(loadPipelineConfig(join(CONFIG_DIR, 'robust.yaml')).evaluation.seeds, [0, 1, 2, 3]);
  assert.deepEqual(loadPipelineConfig(join(CONFIG_DIR, 'default.yaml')).evaluation.seeds, []);
  assert.throws(() => pipelineConfig({ evaluation: { seeds: [1, 1] } }), /each seed at most once/);
  assert.throws(() => loadPipelineConfig(join(CONFIG_DIR, 'default.yaml'), { overrides: ['evaluation.seeds=[-1]'] }), /evaluation\.seeds\.0: got -1/);
});
