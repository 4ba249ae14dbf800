/**
 * The file store's output, byte for byte, against the tree MLflow's FileStore writes for the
 * same session (fixtures/scenario.json). The committed tree fixtures/mlflow-file-store/ was
 * produced by fixtures/make_mlflow_fixture.py from MLflow's own dicts and write_yaml settings;
 * the second test re-derives it when PyYAML is available, so the fixture cannot drift.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { FileStore, Tracker, pathToFileUri, type RunStatus } from '../../src/tracking';
import { listTree, manualClock, pythonHas, tempDir } from './helpers';
import { requireOrSkip } from '../helpers/skip';

const FIXTURES = path.resolve(__dirname, 'fixtures');
const FIXTURE_TREE = path.join(FIXTURES, 'mlflow-file-store');
const PLACEHOLDER_URI = 'file:///ROOT';

interface Scenario {
  user: string;
  sourceName: string;
  gitCommit: string;
  defaultExperimentTime: number;
  experiment: { id: string; name: string; time: number; tags: Record<string, string> };
  runs: {
    id: string;
    name: string;
    parent: number | null;
    start: number;
    params: Record<string, string | number | boolean>;
    metrics: [string, number, number, number][];
    tags: Record<string, string>;
    end: number;
    status: RunStatus;
  }[];
}

/** Replays the scenario through melbook's Tracker and FileStore. */
async function replay(root: string, s: Scenario): Promise<void> {
  const clock = manualClock(s.defaultExperimentTime);
  const runIds = s.runs.map((r) => r.id);
  const store = new FileStore({ root, now: clock.now, newRunId: () => runIds.shift()!, newExperimentId: () => s.experiment.id });
  // MLflow's session has no melbook liveness tags (host, pid, heartbeat): leave them out to compare byte for byte.
  const tracker = new Tracker({ store, now: clock.now, user: s.user, sourceName: s.sourceName, gitCommit: s.gitCommit, heartbeat: false });
  await store.listExperiments(); // first use creates Default at defaultExperimentTime
  clock.set(s.experiment.time);
  await store.createExperiment(s.experiment.name, Object.entries(s.experiment.tags).map(([key, value]) => ({ key, value })));
  for (const r of s.runs) {
    clock.set(r.start);
    const run = await tracker.startRun({ experimentName: s.experiment.name, runName: r.name, parentRunId: r.parent === null ? undefined : s.runs[r.parent].id });
    await run.logParams(r.params);
    for (const [key, value, step, timestamp] of r.metrics) await run.logMetric(key, value, step, timestamp);
    await run.setTags(r.tags);
    clock.set(r.end);
    await run.endRun(r.status);
  }
}

async function assertSameTree(actualRoot: string, rootUri: string): Promise<void> {
  const expectedPaths = (await fs.readFile(path.join(FIXTURES, 'mlflow-file-store.paths'), 'utf8')).trim().split('\n');
  assert.deepEqual(await listTree(actualRoot), expectedPaths);
  for (const rel of expectedPaths.filter((p) => !p.endsWith('/'))) {
    const actual = (await fs.readFile(path.join(actualRoot, rel), 'utf8')).split(rootUri).join(PLACEHOLDER_URI);
    const expected = await fs.readFile(path.join(FIXTURE_TREE, rel), 'utf8');
    assert.equal(actual, expected, `${rel} differs from MLflow's`);
  }
}

test('melbook writes a tracking session byte for byte as MLflow FileStore does', async () => {
  const scenario: Scenario = JSON.parse(await fs.readFile(path.join(FIXTURES, 'scenario.json'), 'utf8'));
  const root = path.join(await tempDir(), 'runs');
  await replay(root, scenario);
  await assertSameTree(root, pathToFileUri(root));
});

test('the committed fixture is what MLflow write settings produce (re-derived with PyYAML)', async (t) => {
  if (!requireOrSkip(t, pythonHas('yaml'), '/usr/bin/python3 cannot import yaml (apt-get install python3-yaml)')) return;
  const out = path.join(await tempDir(), 'derived');
  execFileSync('/usr/bin/python3', [path.join(FIXTURES, 'make_mlflow_fixture.py'), path.join(FIXTURES, 'scenario.json'), out, PLACEHOLDER_URI]);
  await assertSameTree(out, PLACEHOLDER_URI);
});
