import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { parseConfigText, applyOverrides } from '../../src/config/load';
import { DataSchema, SplitSchema, TrainingSchema } from '../../src/config/schema';
import { ConfigError } from '../../src/errors';

const Schema = z.object({ data: DataSchema.default({}), split: SplitSchema.default({}), training: TrainingSchema.default({}) }).strict();

test('defaults fill every key that the YAML leaves out', () => {
  const config = parseConfigText('data:\n  durationS: 0.8\n', Schema);
  assert.equal(config.data.durationS, 0.8);
  assert.equal(config.data.sampleRateHz, 8000);
  assert.equal(config.split.mode, 'official');
  assert.equal(config.training.batchSize, 32);
});

test('an unknown key fails with its YAML path, line and a hint', () => {
  assert.throws(() => parseConfigText('data:\n  sampleRate: 8000\n', Schema, { file: 'c.yaml' }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.path, 'data');
    assert.match(err.message, /^c\.yaml:\d+: data: .*unknown key "sampleRate"/);
    return true;
  });
});

test('a wrong type names the path, the value and the expected type', () => {
  assert.throws(() => parseConfigText('training:\n  epochs: many\n', Schema), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.path, 'training.epochs');
    assert.equal(err.value, 'many');
    assert.match(err.message, /training\.epochs: got "many"; expected number/);
    return true;
  });
});

test('an impossible value says what is allowed', () => {
  assert.throws(() => parseConfigText('training:\n  batchSize: -4\n', Schema), /training\.batchSize: got -4; must be > 0/);
  assert.throws(() => parseConfigText('split:\n  mode: sometimes\n', Schema), /allowed: "official", "speaker", "random"/);
});

test('--set overrides parse their values as YAML and reach nested keys', () => {
  const config = parseConfigText('training:\n  epochs: 15\n', Schema, { overrides: ['training.epochs=3', 'split.mode=speaker', 'split.testSpeaker=theo', 'data.durationS=0.5'] });
  assert.equal(config.training.epochs, 3);
  assert.equal(config.split.testSpeaker, 'theo');
  assert.equal(config.data.durationS, 0.5);
});

test('an override of an unknown key is caught by validation like a YAML key', () => {
  assert.throws(() => parseConfigText('', Schema, { overrides: ['training.epoch=3'] }), /unknown key "epoch"/);
});

test('a malformed override is a ConfigError with an example', () => {
  assert.throws(() => applyOverrides({}, ['training.epochs']), /key\.path=value/);
  assert.throws(() => applyOverrides({}, ['__proto__.x=1']), ConfigError);
});

test('invalid YAML is a ConfigError, not a crash', () => {
  assert.throws(() => parseConfigText('data: [1, 2\n', Schema), ConfigError);
});
