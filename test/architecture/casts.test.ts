import assert from 'node:assert/strict';
import { test } from 'node:test';
import { doubleCasts } from './source-checks';
import { readSources } from './src-files';

// tfjs keeps the kernel and backend internals melbook patches out of its public types, so only
// src/model/ may need `as unknown as`; everywhere else a type guard or a proper type does the job.
const sources = readSources();

test('`as unknown as` appears only under src/model/', () => {
  const outside = [...sources]
    .filter(([file]) => !file.startsWith('model/'))
    .flatMap(([file, text]) => doubleCasts(file, text).map((cast) => `${file}:${cast.line}`));
  assert.deepEqual(outside, [], 'replace these casts with a type guard or a precise type');
});

test('every `as unknown as` under src/model/ has a comment giving its reason', () => {
  const unexplained = [...sources]
    .filter(([file]) => file.startsWith('model/'))
    .flatMap(([file, text]) => doubleCasts(file, text).filter((cast) => !cast.explained).map((cast) => `${file}:${cast.line}`));
  assert.deepEqual(unexplained, [], 'say on the line or the line above why the cast is needed');
});
