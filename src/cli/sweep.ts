/** `melbook sweep`: the cross product of `--grid` options, one tracked run (or LOSO) per point, under one parent run. */
import { Option, type Command } from 'commander';
import { loadPipelineConfig } from '../config/pipeline';
import { gridPoints, parseGrid } from '../orchestration/grid';
import { formatSweep, parseSelectOn, sweep } from '../orchestration/sweep';
import { attemptsOption, collect, configOption, queueOption, resumeOption, setOption, type RunTask } from './options';
import { queueExecutorOf, withQueue } from './dispatch';
import { MelbookError } from '../errors';

export interface SweepCommandOptions {
  config: string;
  set: string[];
  grid: string[];
  loso?: boolean;
  speakers?: string;
  jobs: string;
  queue?: string;
  attempts?: string;
  resume?: string;
  selectOn?: string;
}

export function registerSweepCommand(program: Command, run: RunTask): void {
  program
    .command('sweep')
    .description('train every point of a grid of config values (one nested run each, or one LOSO per point with --loso) under one parent run holding their table')
    .addOption(configOption())
    .addOption(setOption())
    .addOption(new Option('--grid <key=v1,v2>', 'a config key and its values, e.g. training.optimizer.learningRate=0.001,0.0003 (repeatable: the cross product)').argParser(collect).default([]))
    .option('--loso', 'score each point by leave-one-speaker-out (mean over the folds) instead of the test split')
    .option('--speakers <names>', 'with --loso: comma-separated subset of speakers')
    .option('--select-on <metric>', "what chooses the best point: 'test' (test accuracy, the LOSO mean with --loso) or 'external:<name>' (accuracy on the evaluation.external folder of that name, ties by its weakest group; not with --loso)", 'test')
    .option('--jobs <n>', 'without --queue: jobs trained side by side, one core each', '1')
    .addOption(queueOption())
    .addOption(attemptsOption())
    .addOption(resumeOption())
    .action((opts) => run(() => sweepCommand(opts)));
}

export async function sweepCommand(opts: SweepCommandOptions): Promise<number> {
  const config = loadPipelineConfig(opts.config, { overrides: opts.set });
  const points = gridPoints(parseGrid(opts.grid, config));
  const jobs = Number(opts.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw new MelbookError(`--jobs must be a whole number >= 1, got ${JSON.stringify(opts.jobs)}`);
  if (opts.queue !== undefined && opts.jobs !== '1') throw new MelbookError('--jobs is for local runs; with --queue, start more workers (npx melbook worker --queue URL)');
  // Checked before a queue is reached or anything trains.
  const selection = parseSelectOn(opts.selectOn, config, opts.loso);
  const executor = queueExecutorOf(opts);
  const speakers = opts.speakers?.split(',').map((s) => s.trim()).filter(Boolean);
  const result = await withQueue(executor, () => sweep({ config, configFile: opts.config, points, loso: opts.loso, speakers, executor, jobs, resumeParentRunId: opts.resume, selectOn: opts.selectOn }));
  console.log(`sweep (parent run ${result.parentRunId}):\n${formatSweep(result.points, selection)}`);
  return 0;
}
