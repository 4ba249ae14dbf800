/**
 * A real process starts a run and is killed with SIGKILL (nothing in it can react): the run stays
 * RUNNING in the store, `melbook runs` shows it DEAD? with the reason, `--json` says the same,
 * and `melbook runs end` closes it; ending a run that has ended, or one whose process is alive,
 * is refused. Runs bin/melbook.js, so it needs `npm run build` (npm test builds first).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { LIVENESS_TAGS, RUN_STATUS_CODES, Tracker, type RunJson } from '../../src/tracking';
import { tempDir } from './helpers';

const BIN = path.resolve(__dirname, '../../bin/melbook.js');
const melbook = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

/** Starts a run in a child process, logs a metric, and SIGKILLs the child once the run exists. */
async function runKilledMidway(root: string): Promise<{ runId: string; pid: number }> {
  const script = `
    const { Tracker } = require(${JSON.stringify(path.resolve(__dirname, '../../src/tracking'))});
    (async () => {
      const run = await new Tracker({ root: ${JSON.stringify(root)}, gitCommit: null }).startRun({ runName: 'doomed' });
      await run.logMetric('loss', 0.75);
      console.log(run.runId);
      setInterval(() => {}, 1000);
    })();`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const runId = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(String(d).trim()));
    child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
  return { runId, pid: child.pid! };
}

const lineOf = (table: string, runId: string) => table.split('\n').find((l) => l.startsWith(runId)) ?? assert.fail(`no line for ${runId} in\n${table}`);

test('a run whose process was SIGKILLed shows DEAD? with the reason, in the table and in --json', async () => {
  const root = await tempDir();
  const { runId, pid } = await runKilledMidway(root);
  assert.equal((await new Tracker({ root, gitCommit: null }).getRun(runId)).info.status, 'RUNNING', 'the store alone cannot tell');
  const live = await new Tracker({ root, gitCommit: null }).startRun({ runName: 'alive' });
  const far = await new Tracker({ root, gitCommit: null, heartbeat: false }).startRun({
    runName: 'far',
    tags: { [LIVENESS_TAGS.host]: 'another-host', [LIVENESS_TAGS.pid]: '1', [LIVENESS_TAGS.heartbeat]: Date.now() - 20 * 60_000 },
  });

  const table = melbook('runs', '--root', root);
  assert.equal(table.status, 0, table.stderr);
  assert.match(lineOf(table.stdout, runId), new RegExp(`^${runId}  doomed  DEAD\\? .* 0\\.75  pid ${pid} on host ${hostname()} is gone$`));
  assert.match(lineOf(table.stdout, live.runId), /  alive +RUNNING  /);
  assert.match(lineOf(table.stdout, far.runId), /  far  +DEAD\? .* no heartbeat for 20 min$/);
  const patient = melbook('runs', '--root', root, '--stale-after', '3600');
  assert.match(lineOf(patient.stdout, far.runId), /  far  +RUNNING  /, '--stale-after sets the limit');
  assert.match(lineOf(patient.stdout, runId), /DEAD\?/, 'a gone pid on this host is dead whatever the limit');

  const json = melbook('runs', '--root', root, '--json');
  assert.equal(json.status, 0, json.stderr);
  const runs = JSON.parse(json.stdout) as RunJson[];
  assert.deepEqual(runs.map((r) => r.id).sort(), [runId, live.runId, far.runId].sort());
  for (const r of runs) {
    const line = lineOf(table.stdout, r.id);
    const [name, status] = line.slice(r.id.length).trim().split(/ {2,}/);
    assert.deepEqual([name, status], [r.name, r.shownStatus], `table and JSON agree on ${r.name}`);
    assert.ok(r.reason === null || line.endsWith(`  ${r.reason}`), `the table gives the reason of ${r.name}`);
  }
  const doomed = runs.find((r) => r.id === runId)!;
  assert.equal(doomed.status, 'RUNNING');
  assert.equal(doomed.shownStatus, 'DEAD?');
  assert.equal(doomed.reason, `pid ${pid} on host ${hostname()} is gone`);
  assert.equal(doomed.experiment, 'Default');
  assert.equal(doomed.endTime, null);
  assert.deepEqual(doomed.metrics, { loss: 0.75 });
  assert.equal(doomed.tags[LIVENESS_TAGS.pid], String(pid));
  await live.endRun();
});

test('melbook runs end closes a dead run KILLED with an end time, and refuses runs that ended or still live', async () => {
  const root = await tempDir();
  const { runId } = await runKilledMidway(root);
  const meta = () => fs.readFile(path.join(root, '0', runId, 'meta.yaml'), 'utf8');

  const end = melbook('runs', 'end', runId, '--status', 'KILLED', '--root', root);
  assert.equal(end.status, 0, end.stderr);
  assert.match(end.stdout, new RegExp(`^run ${runId} ended KILLED \\(pid \\d+ on host .+ is gone\\)$`, 'm'));
  assert.match(await meta(), new RegExp(`^status: ${RUN_STATUS_CODES.KILLED}$`, 'm'));
  const endTime = Number(/^end_time: (\d+)$/m.exec(await meta())?.[1]);
  assert.ok(endTime >= Number(/^start_time: (\d+)$/m.exec(await meta())?.[1]), 'end_time is set');
  assert.match(lineOf(melbook('runs', '--root', root).stdout, runId), /  KILLED  /);

  const again = melbook('runs', 'end', runId, '--root', root);
  assert.equal(again.status, 1);
  assert.match(again.stderr, new RegExp(`^melbook: run ${runId} already ended KILLED at \\S+Z; only a RUNNING run can be ended$`, 'm'));

  const finished = await new Tracker({ root, gitCommit: null }).startRun({ runName: 'done' });
  await finished.endRun('FINISHED');
  const before = await fs.readFile(path.join(root, '0', finished.runId, 'meta.yaml'), 'utf8');
  const refused = melbook('runs', 'end', finished.runId, '--status', 'FAILED', '--root', root);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /already ended FINISHED at .*only a RUNNING run can be ended/);
  assert.equal(await fs.readFile(path.join(root, '0', finished.runId, 'meta.yaml'), 'utf8'), before, 'a refused end changes nothing');

  const live = await new Tracker({ root, gitCommit: null }).startRun({ runName: 'alive' });
  const busy = melbook('runs', 'end', live.runId, '--root', root);
  assert.equal(busy.status, 1);
  assert.match(busy.stderr, /does not look dead .*pass --force/);
  const forced = melbook('runs', 'end', live.runId, '--root', root, '--force', '--status', 'FAILED');
  assert.equal(forced.status, 0, forced.stderr);
  assert.equal((await new Tracker({ root, gitCommit: null }).getRun(live.runId)).info.status, 'FAILED');

  const bad = melbook('runs', 'end', live.runId, '--root', root, '--status', 'FINISHED');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /Allowed choices are KILLED, FAILED/);
});
