/**
 * The meta.yaml emitter against PyYAML's CSafeDumper, the dumper MLflow's write_yaml picks when
 * libyaml is present, on MLflow's real dicts and on a corpus of awkward strings.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { dumpFlatMapping, experimentToYaml, parseRunMeta, runInfoToYaml, type RunInfo } from '../../src/tracking';
import { pythonHas } from './helpers';
import { requireOrSkip } from '../helpers/skip';

const DUMP = `
import json, sys, yaml
from yaml import CSafeDumper
out = [yaml.dump(d, default_flow_style=False, allow_unicode=True, sort_keys=True, Dumper=CSafeDumper) for d in json.load(sys.stdin)]
json.dump(out, sys.stdout)`;

function pyyamlDump(dicts: unknown[]): string[] {
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', DUMP], { input: JSON.stringify(dicts), maxBuffer: 1 << 26 }).toString());
}

const info: RunInfo = {
  runId: '0123456789abcdef0123456789abcdef',
  runName: 'melodic-owl-7',
  experimentId: '0',
  userId: 'root',
  status: 'RUNNING',
  startTime: 1700000000000,
  endTime: null,
  artifactUri: 'file:///work/main/runs/0/0123456789abcdef0123456789abcdef/artifacts',
  lifecycleStage: 'active',
};

test('a run meta.yaml lists the MLflow keys sorted, status as an integer and end_time null while running', () => {
  assert.equal(
    runInfoToYaml(info),
    [
      `artifact_uri: ${info.artifactUri}`,
      'end_time: null',
      "entry_point_name: ''",
      "experiment_id: '0'",
      'lifecycle_stage: active',
      `run_id: ${info.runId}`,
      'run_name: melodic-owl-7',
      `run_uuid: ${info.runId}`,
      "source_name: ''",
      'source_type: 4',
      "source_version: ''",
      'start_time: 1700000000000',
      'status: 1',
      'tags: []',
      'user_id: root',
      '',
    ].join('\n'),
  );
  assert.deepEqual(parseRunMeta(runInfoToYaml(info), 'meta.yaml'), info);
});

const AWKWARD = ['', 'yes', 'No', 'null', '~', '123', '0o7', '007', '1.5', '1e5', '.inf', '2024-01-01', '<<', '=', ' lead', 'trail ', "it's", '"q"', 'a: b', 'a #b', '- x', '---', '? x', '@x', 'tab\there', 'line\nbreak', 'end\n', 'é ü', '日本語', '😀', '\u2028', '\ufeff', '\x07', 'word '.repeat(40), `${'long'.repeat(30)} tail`, "quote's ".repeat(20), 'tab\t '.repeat(30)];

test('strings are quoted and folded exactly as CSafeDumper does', (t) => {
  if (!requireOrSkip(t, pythonHas('yaml'), '/usr/bin/python3 cannot import yaml (apt-get install python3-yaml)')) return;
  const dicts = AWKWARD.map((s) => ({ run_name: s, user_id: s }));
  const expected = pyyamlDump(dicts);
  dicts.forEach((d, i) => assert.equal(dumpFlatMapping(d), expected[i], JSON.stringify(AWKWARD[i])));
});

test('run and experiment meta.yaml equal CSafeDumper output for the same dicts', (t) => {
  if (!requireOrSkip(t, pythonHas('yaml'), '/usr/bin/python3 cannot import yaml (apt-get install python3-yaml)')) return;
  const finished: RunInfo = { ...info, status: 'FINISHED', endTime: 1700000005000, experimentId: '123456789012345678', runName: 'fold 1: lr=0.01' };
  const exp = { experimentId: '0', name: 'Default', artifactLocation: 'file:///work/main/runs/0', lifecycleStage: 'active' as const, creationTime: 1, lastUpdateTime: 2, tags: {} };
  const [runYaml, expYaml] = pyyamlDump([
    { artifact_uri: finished.artifactUri, end_time: 1700000005000, entry_point_name: '', experiment_id: '123456789012345678', lifecycle_stage: 'active', run_id: info.runId, run_name: 'fold 1: lr=0.01', run_uuid: info.runId, source_name: '', source_type: 4, source_version: '', start_time: 1700000000000, status: 3, tags: [], user_id: 'root' },
    { artifact_location: 'file:///work/main/runs/0', creation_time: 1, experiment_id: '0', last_update_time: 2, lifecycle_stage: 'active', name: 'Default' },
  ]);
  assert.equal(runInfoToYaml(finished), runYaml);
  assert.equal(experimentToYaml(exp), expYaml);
});
