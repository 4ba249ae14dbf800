import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lineCount, longFunctions } from './source-checks';
import { readSources } from './src-files';

const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 60;
const sources = readSources();

test(`no file in src/ is over ${MAX_FILE_LINES} lines`, () => {
  const long = [...sources].filter(([, text]) => lineCount(text) > MAX_FILE_LINES).map(([file, text]) => `${file} (${lineCount(text)} lines)`);
  assert.deepEqual(long, [], 'split these files by job');
});

test(`no function in src/ is over ${MAX_FUNCTION_LINES} lines`, () => {
  const long = [...sources].flatMap(([file, text]) => longFunctions(file, text, MAX_FUNCTION_LINES));
  assert.deepEqual(long, [], 'split these functions into named helpers');
});
