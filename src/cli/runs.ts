/** `melbook runs` and `melbook runs compare`: the tracked runs as tables. */
import type { Command } from 'commander';
import { Tracker } from '../tracking/tracker';
import { formatRunsTable, formatRunsComparison } from '../tracking/format';
import type { RunTask } from './options';

export function registerRunsCommand(program: Command, run: RunTask): void {
  const runs = program
    .command('runs')
    .description('list tracked runs (id, name, status, start, key metrics)')
    .option('--root <dir>', 'tracking root', 'runs')
    .option('--experiment <name>', 'only this experiment')
    .option('--metrics <keys>', 'comma-separated metric keys to show')
    .action((opts) => run(() => runsCommand(opts)));
  runs
    .command('compare')
    .description('params and metrics of runs side by side (differences marked *)')
    .argument('<run-ids...>', 'run ids')
    .option('--root <dir>', 'tracking root', 'runs')
    .action((ids, opts) => run(() => compareCommand(ids, opts)));
}

export async function runsCommand(opts: { root: string; experiment?: string; metrics?: string }): Promise<number> {
  const tracker = new Tracker({ root: opts.root, gitCommit: null });
  const runs = await tracker.listRuns(opts.experiment);
  const metrics = opts.metrics ? opts.metrics.split(',').map((m) => m.trim()) : ['test_accuracy', 'val_accuracy', 'loss'];
  console.log(runs.length === 0 ? `no runs under ${opts.root}` : formatRunsTable(runs, metrics));
  return 0;
}

export async function compareCommand(ids: string[], opts: { root: string }): Promise<number> {
  const tracker = new Tracker({ root: opts.root, gitCommit: null });
  const runs = await Promise.all(ids.map((id) => tracker.getRun(id)));
  console.log(formatRunsComparison(runs));
  return 0;
}
