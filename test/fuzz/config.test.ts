/**
 * Fuzzing the YAML config loader: mutated shipped configs, random YAML documents and random
 * `--set` overrides give a validated config or a ConfigError, never another exception.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseConfigText } from '../../src/config/load';
import { PipelineConfigSchema } from '../../src/config/pipeline';
import { ConfigError } from '../../src/errors';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParameters, mutated, valueOrMelbookError } from './harness';

const CONFIGS = ['default.yaml', 'robust.yaml', 'seed-cnn.yaml'].map((f) => readFileSync(join(__dirname, '../../config', f)));

function loadsOrRefuses(text: string, overrides: string[] = []): void {
  const r = valueOrMelbookError(() => parseConfigText(text, PipelineConfigSchema, { file: 'fuzz.yaml', overrides }));
  if (r instanceof Error) assert.ok(r instanceof ConfigError, `${r.name}: ${r.message}`);
}

/** YAML fragments that stress the parser: anchors, aliases, merge keys, tags, odd scalars. */
const yamlBits = fc.constantFrom(
  '&a [*a]', '*nope', '<<: *x', '!!binary aGk=', '!!python/object:os.system', '? [a, b]\n: c', '{a: 1, a: 2}', '- - - -', '"\\u00"',
  '|\n  text', '0x1F', '.inf', '-.NaN', '~', '2001-12-14', "'", '---\n...\n---', '%YAML 1.1\n---', '&x {a: *x}', 'data: &d {x: 1}\nsplit: *d',
);

test('mutated shipped configs load or throw ConfigError', { timeout: FUZZ_TEST_TIMEOUT_MS }, () => {
  fc.assert(fc.property(mutated(fc.constantFrom(...CONFIGS), 3), (bytes) => loadsOrRefuses(Buffer.from(bytes).toString('utf8'))), fuzzParameters(0.5));
});

test('random YAML documents and stress fragments load or throw ConfigError', { timeout: FUZZ_TEST_TIMEOUT_MS }, () => {
  const section = fc.constantFrom('data', 'features', 'split', 'preprocess', 'model', 'training', 'evaluation', 'tracking', 'other');
  const doc = fc.oneof(
    fc.dictionary(section, fc.jsonValue({ maxDepth: 3 })).map((o) => stringify(o)),
    fc.array(fc.oneof(yamlBits, fc.string({ maxLength: 20 })), { maxLength: 4 }).map((parts) => parts.join('\n')),
    fc.tuple(section, yamlBits).map(([s, bit]) => `${s}: ${bit}`),
    fc.string({ maxLength: 80 }),
  );
  fc.assert(fc.property(doc, (text) => loadsOrRefuses(text)), fuzzParameters(0.5));
});

test('random --set overrides load or throw ConfigError', { timeout: FUZZ_TEST_TIMEOUT_MS }, () => {
  const key = fc.array(fc.oneof(fc.constantFrom('data', 'durationS', 'training', 'epochs', 'model', 'blocks', '0', '__proto__', 'constructor', ''), fc.string({ maxLength: 5 })), { minLength: 1, maxLength: 4 }).map((ks) => ks.join('.'));
  const value = fc.oneof(yamlBits, fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v) ?? ''));
  const override = fc.oneof(fc.tuple(key, value).map(([k, v]) => `${k}=${v}`), fc.string({ maxLength: 20 }));
  fc.assert(fc.property(fc.array(override, { maxLength: 3 }), (overrides) => loadsOrRefuses(CONFIGS[0].toString('utf8'), overrides)), fuzzParameters(0.5));
});

test('inputs fuzzing found: an alias without its anchor, an alias bomb and an unparsable --set value are ConfigErrors', () => {
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${'bcdefghi'[i]}: &${'bcdefghi'[i]} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(', ')}]`)].join('\n');
  for (const [text, overrides, message] of [
    ['*nope', [], /valid YAML \(Unresolved alias/],
    ['data: *nope', [], /valid YAML \(Unresolved alias/],
    [bomb, [], /valid YAML \(Excessive alias count/],
    ['', ["training.epochs='"], /--set: got "training.epochs='"; a YAML value after "="/],
  ] as const) {
    assert.throws(() => parseConfigText(text, PipelineConfigSchema, { file: 'found.yaml', overrides: [...overrides] }), (e: unknown) => e instanceof ConfigError && message.test(e.message), text);
  }
});
