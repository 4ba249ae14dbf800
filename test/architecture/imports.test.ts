import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildGraph, climbingImports, findCycles, unitGraph, unplacedUnits } from './import-graph';
import { LAYERS } from './layers';
import { readSources } from './src-files';

const graph = buildGraph(readSources());

test('every folder and root file of src/ has a place in the layer order', () => {
  assert.deepEqual(unplacedUnits(graph, LAYERS), [], 'add these to test/architecture/layers.ts');
});

test('no two files of src/ import each other in a circle', () => {
  assert.deepEqual(findCycles(graph), [], 'these files import each other, directly or through others');
});

test('no two folders of src/ import each other in a circle', () => {
  assert.deepEqual(findCycles(unitGraph(graph)), [], 'these folders import each other, directly or through others');
});

test('no import climbs the layer order', () => {
  assert.deepEqual(climbingImports(graph, LAYERS), [], 'these imports reach a layer above their own (test/architecture/layers.ts)');
});
