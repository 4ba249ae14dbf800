import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACTIVATIONS, CnnSpecSchema, CompileSchema, ModelSpecSchema, OptimizerSchema, OPTIMIZER_TYPES,
  formatSpecPath, parseSpec, validateCnnSpecForInput, type CnnSpecInput,
} from '../../src/model/spec';
import { ModelSpecError } from '../../src/errors';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

/** The seed network's model section, as written in YAML. */
const seedBlock = { type: 'conv2d', filters: 32, kernelSize: 3, activation: 'relu', pool: { type: 'max', size: 2 }, batchNorm: true } as const;
const seedSpec: CnnSpecInput = {
  type: 'cnn',
  blocks: [seedBlock, seedBlock, seedBlock],
  dense: [{ units: 64, activation: 'relu', dropout: 0.3 }],
};

const block = (overrides: Record<string, unknown>) => ({ ...seedBlock, ...overrides });
const withBlocks = (...blocks: Record<string, unknown>[]) => ({ ...seedSpec, blocks });

/** Asserts `fn` throws ModelSpecError at `path` with a message matching `pattern`. */
function assertSpecError(fn: () => unknown, path: string, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ModelSpecError, `expected ModelSpecError, got ${String(err)}`);
    assert.equal(err.path, path);
    assert.match(err.message, pattern);
    assert.ok(err.message.startsWith(`${path}: `), err.message);
    return true;
  });
}

test('the seed spec parses with defaults resolved and sizes as [height, width] pairs', () => {
  const spec = CnnSpecSchema.parse(seedSpec);
  assert.equal(spec.blocks.length, 3);
  const b = spec.blocks[0];
  assert.deepEqual(b.kernelSize, [3, 3]);
  assert.deepEqual(b.strides, [1, 1]);
  assert.equal(b.padding, 'same');
  assert.equal(b.batchNormPosition, 'afterPool');
  assert.equal(b.dropout, 0);
  assert.deepEqual(b.pool, { type: 'max', size: [2, 2], strides: [2, 2], padding: 'valid' });
  assert.equal(spec.globalPool, null);
  assert.deepEqual(spec.dense, [{ type: 'dense', units: 64, activation: 'relu', dropout: 0.3 }]);
});

test('the seed network YAML documented in spec.ts parses to the seed spec', () => {
  const source = readFileSync(path.resolve(__dirname, '../../src/model/spec.ts'), 'utf8');
  const block = source.match(/The seed network in YAML[^\n]*\n \*\n((?: \*   .*\n)+)/);
  assert.ok(block, 'YAML example found in the spec.ts header');
  const yamlText = block[1].split('\n').map((line) => line.replace(/^ \*   /, '')).join('\n');
  const doc = parseYaml(yamlText) as { model: unknown; training: unknown };
  assert.deepEqual(ModelSpecSchema.parse(doc.model), CnnSpecSchema.parse(seedSpec));
  const compile = CompileSchema.parse(doc.training);
  assert.equal(compile.optimizer.type, 'rmsprop');
  assert.equal(compile.optimizer.learningRate, 0.001);
  assert.equal(compile.loss, 'sparseCategoricalCrossentropy');
});

test('parsing a parsed spec again gives the same spec', () => {
  const once = CnnSpecSchema.parse(seedSpec);
  assert.deepEqual(CnnSpecSchema.parse(once), once);
});

test('rectangular kernels, strides and pools keep their [height, width] order', () => {
  const spec = CnnSpecSchema.parse(withBlocks(block({ kernelSize: [5, 3], strides: [2, 1], pool: { type: 'avg', size: [4, 2], strides: [2, 1] } })));
  assert.deepEqual(spec.blocks[0].kernelSize, [5, 3]);
  assert.deepEqual(spec.blocks[0].strides, [2, 1]);
  assert.deepEqual(spec.blocks[0].pool, { type: 'avg', size: [4, 2], strides: [2, 1], padding: 'valid' });
});

test('an unknown key is rejected with the path of the key', () => {
  const bad = withBlocks(seedBlock, block({ kernel: 3 }));
  const issue = CnnSpecSchema.safeParse(bad).error?.issues[0];
  assert.equal(issue?.code, 'unrecognized_keys');
  assert.deepEqual(issue?.path, ['blocks', 1]);
  assertSpecError(() => parseSpec(CnnSpecSchema, bad), 'model.blocks[1].kernel', /unknown key "kernel"/);
  assertSpecError(() => parseSpec(CnnSpecSchema, { ...seedSpec, optimizer: 'adam' }), 'model.optimizer', /unknown key/);
  assertSpecError(() => parseSpec(CnnSpecSchema, withBlocks(block({ pool: { type: 'max', size: 2, stride: 2 } }))), 'model.blocks[0].pool.stride', /unknown key/);
});

test('invalid fields name the block index and the field', () => {
  const cases: [unknown, string, RegExp][] = [
    [withBlocks(seedBlock, block({ filters: -4 })), 'model.blocks[1].filters', /greater than or equal to 1 \(got -4\)/],
    [withBlocks(block({ kernelSize: 'x' })), 'model.blocks[0].kernelSize', /an integer >= 1 or \[height, width\] \(got "x"\)/],
    [withBlocks(block({ filters: 2.5 })), 'model.blocks[0].filters', /integer/],
    [withBlocks(block({ kernelSize: [3, 0] })), 'model.blocks[0].kernelSize[1]', /greater than or equal to 1/],
    [withBlocks(seedBlock, seedBlock, block({ dropout: 1.0 })), 'model.blocks[2].dropout', /\[0, 1\)/],
    [withBlocks(block({ activation: 'leakyRelu' })), 'model.blocks[0].activation', /'relu'.*received 'leakyRelu'/],
    [withBlocks(block({ activation: 'softmax' })), 'model.blocks[0].activation', /received 'softmax'/],
    [withBlocks(block({ padding: 'causal' })), 'model.blocks[0].padding', /'same' \| 'valid'/],
    [withBlocks(block({ pool: { type: 'min', size: 2 } })), 'model.blocks[0].pool.type', /'max' \| 'avg'/],
    [withBlocks(block({ type: 'conv1d' })), 'model.blocks[0].type', /'conv2d'/],
    [withBlocks(block({ batchNormPosition: 'first' })), 'model.blocks[0].batchNormPosition', /'afterPool'/],
    [{ ...seedSpec, dense: [{ units: 0 }] }, 'model.dense[0].units', /greater than or equal to 1/],
    [{ ...seedSpec, dense: [{ units: 8, dropout: 1 }] }, 'model.dense[0].dropout', /\[0, 1\)/],
    [{ ...seedSpec, globalPool: 'sum' }, 'model.globalPool', /'avg' \| 'max'/],
  ];
  for (const [input, path, pattern] of cases) assertSpecError(() => parseSpec(CnnSpecSchema, input), path, pattern);
});

test('every listed activation is accepted for blocks and dense layers', () => {
  for (const activation of ACTIVATIONS) {
    const spec = CnnSpecSchema.parse({ ...withBlocks(block({ activation })), dense: [{ units: 4, activation }] });
    assert.equal(spec.blocks[0].activation, activation);
    assert.equal(spec.dense[0].activation, activation);
  }
});

test('an empty block list is allowed (a dense network on the flattened input)', () => {
  const spec = CnnSpecSchema.parse({ type: 'cnn' });
  assert.deepEqual(spec.blocks, []);
  assert.deepEqual(spec.dense, []);
  assert.equal(validateCnnSpecForInput(spec, [64, 63, 1], 10).featureSize, 64 * 63);
});

test('the model section is keyed by type', () => {
  assert.equal(ModelSpecSchema.parse(seedSpec).type, 'cnn');
  assertSpecError(() => parseSpec(ModelSpecSchema, { ...seedSpec, type: 'transformer' }), 'model.type', /'cnn'/);
});

test('the seed network over [64, 63, 1] floors every pool, as PyTorch does', () => {
  const trace = validateCnnSpecForInput(CnnSpecSchema.parse(seedSpec), [64, 63, 1], 10);
  let [h, w] = [64, 63];
  const expected: number[][] = [];
  for (let i = 0; i < 3; i++) {
    [h, w] = [Math.floor(h / 2), Math.floor(w / 2)];
    expected.push([h, w, 32]);
  }
  assert.deepEqual(trace.blockOutputShapes, expected);
  assert.deepEqual(expected[2], [8, 7, 32]);
  assert.equal(trace.featureSize, 32 * Math.floor(64 / 8) * Math.floor(63 / 8));
});

test('strides, valid padding and same pooling follow TensorFlow output sizes', () => {
  const spec = CnnSpecSchema.parse(withBlocks(
    block({ kernelSize: [5, 3], strides: [2, 2], padding: 'valid', pool: { type: 'max', size: 3, strides: 2, padding: 'same' } }),
  ));
  // conv valid: floor((in - k) / s) + 1; pool same: ceil(in / s).
  const h = Math.ceil((Math.floor((64 - 5) / 2) + 1) / 2);
  const w = Math.ceil((Math.floor((63 - 3) / 2) + 1) / 2);
  assert.deepEqual(validateCnnSpecForInput(spec, [64, 63, 1], 10).blockOutputShapes, [[h, w, 32]]);
});

test('global pooling feeds one value per channel to the dense layers', () => {
  const spec = CnnSpecSchema.parse({ ...withBlocks(block({ filters: 48 })), globalPool: 'avg' });
  assert.equal(validateCnnSpecForInput(spec, [64, 63, 1], 10).featureSize, 48);
});

test('a kernel larger than its input is rejected, naming the block and both sizes', () => {
  const spec = CnnSpecSchema.parse(withBlocks(seedBlock, seedBlock, block({ kernelSize: 5 })));
  assertSpecError(
    () => validateCnnSpecForInput(spec, [16, 16, 1], 10),
    'model.blocks[2].kernelSize',
    /kernel 5x5 is larger than its input 4x4 \(the output of model\.blocks\[1\]\)/,
  );
  const valid = CnnSpecSchema.parse(withBlocks(block({ kernelSize: [3, 9], padding: 'valid', pool: null })));
  assertSpecError(() => validateCnnSpecForInput(valid, [64, 8, 1], 10), 'model.blocks[0].kernelSize', /3x9 .* 64x8 \(the input\)/);
});

test('pooling that reduces an axis to zero is rejected, naming the axis', () => {
  const spec = CnnSpecSchema.parse(withBlocks(block({ kernelSize: 1 }), block({ kernelSize: 1 })));
  assertSpecError(
    () => validateCnnSpecForInput(spec, [64, 2, 1], 10),
    'model.blocks[1].pool.size',
    /pool 2x2 .* reduces the time axis \(width\) from 1 to 0/,
  );
  const tall = CnnSpecSchema.parse(withBlocks(block({ kernelSize: 1, pool: { type: 'avg', size: [8, 1] } })));
  assertSpecError(() => validateCnnSpecForInput(tall, [4, 63, 1], 10), 'model.blocks[0].pool.size', /frequency axis \(height\) from 4 to 0/);
  const same = CnnSpecSchema.parse(withBlocks(block({ kernelSize: 1, pool: { type: 'avg', size: [8, 1], padding: 'same' } })));
  assert.deepEqual(validateCnnSpecForInput(same, [4, 63, 1], 10).blockOutputShapes, [[1, 63, 32]]);
});

test('a bad input shape or class count is rejected', () => {
  const spec = CnnSpecSchema.parse(seedSpec);
  assertSpecError(() => validateCnnSpecForInput(spec, [64, 63], 10), 'inputShape', /\[height, width, channels\]/);
  assertSpecError(() => validateCnnSpecForInput(spec, [64, 0, 1], 10), 'inputShape', /positive integers/);
  assertSpecError(() => validateCnnSpecForInput(spec, [64, 63, 1], 1), 'nClasses', />= 2/);
});

test('spec paths are written as YAML paths with array indices', () => {
  assert.equal(formatSpecPath('model', ['blocks', 2, 'pool', 'size']), 'model.blocks[2].pool.size');
  assert.equal(formatSpecPath('model', []), 'model');
  assert.equal(formatSpecPath('', ['blocks', 0]), 'blocks[0]');
});

test('optimizer specs take Keras defaults and only their own keys', () => {
  assert.deepEqual(OptimizerSchema.parse({ type: 'rmsprop' }), { type: 'rmsprop', learningRate: 0.001, rho: 0.9, momentum: 0, centered: false });
  assert.deepEqual(OptimizerSchema.parse({ type: 'adam', learningRate: 0.01 }), { type: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999 });
  for (const type of OPTIMIZER_TYPES) assert.equal(OptimizerSchema.parse({ type }).type, type);
  assertSpecError(() => parseSpec(OptimizerSchema, { type: 'rmsprop', beta1: 0.9 }, 'training.optimizer'), 'training.optimizer.beta1', /unknown key/);
  assertSpecError(() => parseSpec(OptimizerSchema, { type: 'adamw' }, 'training.optimizer'), 'training.optimizer.type', /'adam' \| 'adamax'/);
  assertSpecError(() => parseSpec(OptimizerSchema, { type: 'sgd', learningRate: 0 }, 'training.optimizer'), 'training.optimizer.learningRate', /greater than 0/);
});

test('compile specs default to RMSprop, sparse categorical cross-entropy and accuracy', () => {
  assert.deepEqual(CompileSchema.parse({}), {
    optimizer: { type: 'rmsprop', learningRate: 0.001, rho: 0.9, momentum: 0, centered: false },
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  });
  assertSpecError(() => parseSpec(CompileSchema, { loss: 'mse' }, 'training'), 'training.loss', /sparseCategoricalCrossentropy/);
  assertSpecError(() => parseSpec(CompileSchema, { metrics: ['f1'] }, 'training'), 'training.metrics[0]', /'accuracy'/);
});
