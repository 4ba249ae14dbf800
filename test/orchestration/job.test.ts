import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jobId, trainingJob, resolveJobConfig, type TrainingJob } from '../../src/orchestration/job';
import { foldJob } from '../../src/orchestration/loso';
import { seedConfig } from '../../src/orchestration/seeds';
import { pipelineConfig } from '../../src/config/pipeline';
import { ConfigError } from '../../src/errors';

const base = pipelineConfig({
  data: { recordings: 'recordings' },
  model: { type: 'cnn', blocks: [{ type: 'conv2d', filters: 4, kernelSize: 3, pool: { type: 'max', size: 4 } }], dense: [] },
  preprocess: { augment: { copies: 1 } },
  tracking: { root: 'runs', experiment: 'jobs' },
});

test('a job id is stable for the same parent and content, whatever the key order', () => {
  const a = jobId('parent1', { overrides: { 'split.testSpeaker': 'ann', 'training.seed': 3 }, role: 'loso-fold' });
  const b = jobId('parent1', { role: 'loso-fold', overrides: { 'training.seed': 3, 'split.testSpeaker': 'ann' } });
  assert.equal(a, b);
  assert.match(a, /^parent1-[0-9a-f]{16}$/);
});

test('a job id differs by content and by parent', () => {
  const content = { overrides: { 'split.testSpeaker': 'ann' }, role: 'loso-fold' };
  const id = jobId('parent1', content);
  assert.notEqual(id, jobId('parent2', content));
  assert.notEqual(id, jobId('parent1', { ...content, overrides: { 'split.testSpeaker': 'bob' } }));
  assert.notEqual(id, jobId('parent1', { ...content, role: 'sweep' }));
});

test('resolveJobConfig applies the overrides on top of the job config', () => {
  const job = trainingJob({ role: 'test', config: base, overrides: { 'split.mode': 'speaker', 'split.testSpeaker': 'george', 'training.seed': 3, 'tracking.runName': 'loso-george' }, parentRunId: 'p' });
  const config = resolveJobConfig(job);
  assert.equal(config.split.mode, 'speaker');
  assert.equal(config.split.testSpeaker, 'george');
  assert.equal(config.training.seed, 3);
  assert.equal(config.tracking.runName, 'loso-george');
  assert.equal(job.run.runName, 'loso-george', 'the run is named by the override');
  assert.deepEqual({ ...config.data }, { ...base.data }, 'everything else is the job config');
  assert.equal(base.training.seed, pipelineConfig({}).training.seed, 'the job config itself is left alone');
});

test('resolveJobConfig rejects a bad override value with a ConfigError naming the path', () => {
  const job = trainingJob({ role: 'test', config: base, overrides: { 'training.epochs': -2 }, parentRunId: 'p' });
  assert.throws(() => resolveJobConfig(job), (err: unknown) => err instanceof ConfigError && err.path === 'training.epochs' && /training\.epochs: got -2/.test(err.message));
  const unknown = trainingJob({ role: 'test', config: base, overrides: { 'training.sed': 1 }, parentRunId: 'p' });
  assert.throws(() => resolveJobConfig(unknown), (err: unknown) => err instanceof ConfigError && err.path === 'training' && /"sed"/.test(err.message));
  const proto = trainingJob({ role: 'test', config: base, overrides: { '__proto__.x': 1 }, parentRunId: 'p' });
  assert.throws(() => resolveJobConfig(proto), (err: unknown) => err instanceof ConfigError && err.path === '__proto__.x');
});

test('a job survives a JSON round trip: same id, same resolved config', () => {
  const job = foldJob(base, 'ann', 'parent1');
  const copy = JSON.parse(JSON.stringify(job)) as TrainingJob;
  assert.deepEqual(copy, job);
  assert.equal(copy.id, job.id);
  assert.deepEqual(resolveJobConfig(copy), resolveJobConfig(job));
  assert.deepEqual(copy.run, { parentRunId: 'parent1', runName: 'loso-ann', tags: { 'melbook.loso.speaker': 'ann' } });
});

test('a seed config sets the training seed, the augmentation seed and the run name', () => {
  const config = seedConfig(base, 7, 'train');
  assert.equal(config.training.seed, 7);
  assert.equal(config.preprocess.augment.seed, 7);
  assert.equal(config.preprocess.augment.copies, 1);
  assert.equal(config.tracking.runName, 'train-seed7');
});
