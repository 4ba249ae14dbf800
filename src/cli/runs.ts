/**
 * `melbook runs` (the tracked runs as a table, or JSON for scripts), `melbook runs compare` and
 * `melbook runs end` (close a run whose process died).
 */
import { Option, type Command } from 'commander';
import { TrackingError } from '../errors';
import { Tracker } from '../tracking/tracker';
import { formatRunsTable, formatRunsComparison, runsToJson } from '../tracking/format';
import { DEFAULT_STALE_AFTER_S, localProbe, runLiveness } from '../tracking/liveness';
import type { RunTask } from './options';

/** Statuses `melbook runs end` may set. */
const END_STATUSES = ['KILLED', 'FAILED'] as const;

export function registerRunsCommand(program: Command, run: RunTask): void {
  const runs = program
    .command('runs')
    .description('list tracked runs (id, name, status, start, key metrics); a RUNNING run whose process is gone shows DEAD?')
    .option('--root <dir>', 'tracking root', 'runs')
    .option('--experiment <name>', 'only this experiment')
    .option('--metrics <keys>', 'comma-separated metric keys to show')
    .option('--json', 'print one JSON array of runs (status, DEAD? reason, times, params, latest metrics, tags)')
    .option('--stale-after <seconds>', 'a RUNNING run without a heartbeat for this long shows DEAD?', String(DEFAULT_STALE_AFTER_S))
    .action((opts) => run(() => runsCommand(opts)));
  runs
    .command('compare')
    .description('params and metrics of runs side by side (differences marked *)')
    .argument('<run-ids...>', 'run ids')
    .option('--root <dir>', 'tracking root (default: runs)')
    .action((ids, _opts, cmd: Command) => run(() => compareCommand(ids, cmd.optsWithGlobals())));
  runs
    .command('end')
    .description('end a RUNNING run whose process died (shown DEAD? by melbook runs)')
    .argument('<run-id>', 'run id')
    .option('--root <dir>', 'tracking root (default: runs)')
    .addOption(new Option('--status <status>', 'status to end it with').choices(END_STATUSES).default('KILLED'))
    .option('--force', 'end it even if its process still looks alive')
    .option('--stale-after <seconds>', `heartbeat age after which its process counts as gone (default: ${DEFAULT_STALE_AFTER_S})`)
    .action((id, _opts, cmd: Command) => run(() => endCommand(id, cmd.optsWithGlobals())));
}
// The sub-commands read their options with optsWithGlobals and set no defaults of their own:
// commander hands `--root` to `runs` when it follows the sub-command (`runs end ID --root r`), so
// the value must be looked up in both places and a local default would hide the parent's.

export interface RunsCommandOptions {
  root: string;
  experiment?: string;
  metrics?: string;
  json?: boolean;
  /** Seconds, as typed; default DEFAULT_STALE_AFTER_S. */
  staleAfter?: string;
}

export async function runsCommand(opts: RunsCommandOptions): Promise<number> {
  const tracker = new Tracker({ root: opts.root, gitCommit: null });
  const runs = await tracker.listRuns(opts.experiment);
  const probe = localProbe(staleAfterSeconds(opts.staleAfter));
  const liveness = runs.map((r) => runLiveness(r, probe));
  if (opts.json) {
    const names = new Map((await tracker.store.listExperiments()).map((e) => [e.experimentId, e.name]));
    console.log(JSON.stringify(runsToJson(runs, liveness, names), null, 2));
    return 0;
  }
  const metrics = opts.metrics ? opts.metrics.split(',').map((m) => m.trim()) : ['test_accuracy', 'val_accuracy', 'loss'];
  console.log(runs.length === 0 ? `no runs under ${opts.root}` : formatRunsTable(runs, metrics, liveness));
  return 0;
}

export async function compareCommand(ids: string[], opts: { root: string }): Promise<number> {
  const tracker = new Tracker({ root: opts.root, gitCommit: null });
  const runs = await Promise.all(ids.map((id) => tracker.getRun(id)));
  console.log(formatRunsComparison(runs));
  return 0;
}

export interface EndCommandOptions {
  root: string;
  status: (typeof END_STATUSES)[number];
  force?: boolean;
  staleAfter?: string;
}

/**
 * Ends a RUNNING run KILLED or FAILED. Refuses a run that already ended, and (without --force)
 * one whose process still looks alive: that process would go on logging into an ended run.
 */
export async function endCommand(runId: string, opts: EndCommandOptions): Promise<number> {
  const tracker = new Tracker({ root: opts.root, gitCommit: null });
  const run = await tracker.getRun(runId);
  const liveness = runLiveness(run, localProbe(staleAfterSeconds(opts.staleAfter)));
  if (run.info.status === 'RUNNING' && !liveness.dead && !opts.force) {
    throw new TrackingError(`run ${runId} does not look dead (its process is alive or its heartbeat is recent); stop that process, or pass --force to end it anyway`);
  }
  const info = await tracker.endRunById(runId, opts.status);
  console.log(`run ${runId} ended ${info.status}${liveness.reason ? ` (${liveness.reason})` : ''}`);
  return 0;
}

/** `--stale-after` as seconds; a TrackingError naming the value unless it is a positive number. */
function staleAfterSeconds(text: string | undefined): number {
  if (text === undefined) return DEFAULT_STALE_AFTER_S;
  const s = Number(text);
  if (text.trim() === '' || !Number.isFinite(s) || s <= 0) {
    throw new TrackingError(`--stale-after ${JSON.stringify(text)} is not a number of seconds above 0; e.g. --stale-after 300`);
  }
  return s;
}
