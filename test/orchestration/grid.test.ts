import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGrid, gridPoints } from '../../src/orchestration/grid';
import { pipelineConfig } from '../../src/config/pipeline';
import { ConfigError } from '../../src/errors';

const base = pipelineConfig({});

function refused(specs: string[], pattern: RegExp): void {
  assert.throws(() => parseGrid(specs, base), (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.match(e.message, pattern);
    return true;
  });
}

test('grids parse as YAML scalars and cross into points, first axis slowest', () => {
  const axes = parseGrid(['training.optimizer.learningRate=0.001,0.0003', 'features.nMels=40,64', 'training.earlyStopping=null'], base);
  assert.deepEqual(axes[0], { key: 'training.optimizer.learningRate', values: [0.001, 0.0003] });
  assert.deepEqual(gridPoints(axes), [
    { 'training.optimizer.learningRate': 0.001, 'features.nMels': 40, 'training.earlyStopping': null },
    { 'training.optimizer.learningRate': 0.001, 'features.nMels': 64, 'training.earlyStopping': null },
    { 'training.optimizer.learningRate': 0.0003, 'features.nMels': 40, 'training.earlyStopping': null },
    { 'training.optimizer.learningRate': 0.0003, 'features.nMels': 64, 'training.earlyStopping': null },
  ]);
});

test('an unknown key is refused with the settings that exist there', () => {
  refused(['training.learningRate=0.1'], /training\.learningRate.*training\.epochs, training\.batchSize/s);
  refused(['nope=1'], /nope.*data, features/s);
});

test('a value the schema rejects is refused with the YAML path and what is allowed', () => {
  refused(['features.kind=mel,wavelets'], /features\.kind.*mel.*mfcc.*meyda/s);
  refused(['training.epochs=3,-1'], /training\.epochs/);
});

test('an empty grid, a grid without values, a key given twice and a malformed option are refused', () => {
  refused([], /--grid/);
  refused(['training.epochs='], /at least one value/);
  refused(['training.epochs=1', 'training.epochs=2'], /each key in one --grid only/);
  refused(['training.epochs'], /key\.path=v1,v2/);
  refused(['training.epochs=[1,2]'], /scalar/);
});
