import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignSplits, countBySplit, type SplitOptions } from '../../src/data/split';
import type { ClipSource } from '../../src/data/labels';
import { ConfigError } from '../../src/errors';

/** A synthetic FSDD: 10 digits x 3 speakers x 20 takes. */
function corpus(speakers = ['ann', 'bob', 'cy'], takes = 20): ClipSource[] {
  const clips: ClipSource[] = [];
  for (let d = 0; d < 10; d++) for (const s of speakers) for (let t = 0; t < takes; t++) {
    clips.push({ file: `${d}_${s}_${t}.wav`, id: `${d}_${s}_${t}.wav`, label: String(d), speaker: s, take: t });
  }
  return clips;
}
const base: SplitOptions = { mode: 'official', officialMaxTestTake: 4, testFraction: 0.1, validationFraction: 0.1, seed: 42 };

test('the official split puts takes 0-4 in test and nothing else', () => {
  const clips = corpus();
  const splits = assignSplits(clips, base);
  clips.forEach((c, i) => assert.equal(splits[i] === 'test', c.take! <= 4));
});

test('validation is carved from train, stratified by class', () => {
  const clips = corpus();
  const splits = assignSplits(clips, base);
  const counts = countBySplit(clips.map((c) => c.label), splits, [...Array(10).keys()].map(String));
  for (let d = 0; d < 10; d++) {
    assert.equal(counts.test[String(d)], 15);
    assert.equal(counts.validation[String(d)], Math.round(0.1 * 45));
    assert.equal(counts.train[String(d)], 45 - Math.round(0.1 * 45));
  }
});

test('every clip lands in exactly one split, and the same seed gives the same split', () => {
  const clips = corpus();
  const a = assignSplits(clips, { ...base, mode: 'random', testFraction: 0.2 });
  const b = assignSplits(clips, { ...base, mode: 'random', testFraction: 0.2 });
  assert.deepEqual(a, b);
  assert.equal(a.length, clips.length);
  const c = assignSplits(clips, { ...base, mode: 'random', testFraction: 0.2, seed: 7 });
  assert.notDeepEqual(a, c, 'another seed gives another split');
});

test('holding out a speaker puts all and only their clips in test', () => {
  const clips = corpus();
  const splits = assignSplits(clips, { ...base, mode: 'speaker', testSpeaker: 'bob' });
  clips.forEach((c, i) => assert.equal(splits[i] === 'test', c.speaker === 'bob'));
  assert.ok(clips.every((c, i) => c.speaker !== 'bob' || splits[i] === 'test'), 'no held-out clip in train or validation');
});

test('an unknown held-out speaker names the speakers found', () => {
  assert.throws(() => assignSplits(corpus(), { ...base, mode: 'speaker', testSpeaker: 'zed' }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.path, 'split.testSpeaker');
    assert.match(err.message, /ann, bob, cy/);
    return true;
  });
});

test('a split that leaves a class empty fails and names the class', () => {
  // Only takes 0-2 exist, so the official split (takes <= 4 are test) leaves train empty.
  assert.throws(() => assignSplits(corpus(['ann'], 3), base), /train split has no clip of class 0/);
});

test('the official split needs a take number', () => {
  const clips = corpus().map((c) => ({ ...c, take: null }));
  assert.throws(() => assignSplits(clips, base), /take/);
});
