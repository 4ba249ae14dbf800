/** `melbook train`: one tracked training run, or one per seed and their ensemble. */
import type { Command } from 'commander';
import { loadPipelineConfig } from '../config/pipeline';
import { trainStage } from '../stages/train';
import { formatEnsemble } from '../stages/evaluate-ensemble';
import { trainSeedEnsemble } from '../orchestration/seeds';
import { sweep } from '../orchestration/sweep';
import { evaluateEnsemble } from '../stages/evaluate-ensemble';
import { attemptsOption, configOption, ensembleSeedsOf, queueOption, setOption, type RunTask } from './options';
import { queueExecutorOf, withQueue } from './dispatch';
import type { PipelineConfig } from '../config/pipeline';
import { MelbookError } from '../errors';
import { join } from 'node:path';
import { Tracker } from '../tracking/tracker';
import { checkpointFor } from '../train/loop-state';

export function registerTrainCommand(program: Command, run: RunTask): void {
  program
    .command('train')
    .description('preprocess if needed, then train, evaluate and save the model in a tracked run under runs/')
    .addOption(configOption())
    .addOption(setOption())
    .option('--run-name <name>', 'name of the tracked run')
    .option('--seeds <list>', 'one run per seed (training.seed and preprocess.augment.seed), then their ensemble on the test split, e.g. 0,1; overrides evaluation.seeds, \'\' trains one model')
    .addOption(queueOption())
    .addOption(attemptsOption())
    .option('--resume <run-id>', 'continue a killed or failed training run in place from its last completed epoch (or, given the parent of a --queue seed ensemble, train only its seeds without a FINISHED run)')
    .action((opts) => run(() => trainCommand(opts)));
}

export interface TrainCommandOptions {
  config: string;
  set: string[];
  runName?: string;
  seeds?: string;
  queue?: string;
  attempts?: string;
  resume?: string;
}

export async function trainCommand(opts: TrainCommandOptions): Promise<number> {
  const overrides = [...opts.set];
  if (opts.runName) overrides.push(`tracking.runName=${JSON.stringify(opts.runName)}`);
  const config = loadPipelineConfig(opts.config, { overrides });
  const ensembleSeeds = ensembleSeedsOf(opts.seeds, config);
  if (opts.resume !== undefined && !(await isSweepParent(config, opts.resume))) return resumeTraining(config, opts);
  if (opts.queue !== undefined || opts.resume !== undefined) return queuedSeeds(config, opts, ensembleSeeds);
  if (ensembleSeeds.length > 0) {
    const { seeds: runs, ensemble } = await trainSeedEnsemble({ config, configFile: opts.config, seeds: ensembleSeeds });
    for (const [i, r] of runs.entries()) console.log(`run ${r.runId} (seed ${ensembleSeeds[i]}): test accuracy ${(100 * r.evaluation.accuracy).toFixed(1)} %; model in ${r.runDir}/artifacts/model`);
    console.log(formatEnsemble(ensemble));
    return 0;
  }
  const result = await trainStage({ config, configFile: opts.config });
  console.log(`run ${result.runId} finished: test accuracy ${(100 * result.evaluation.accuracy).toFixed(1)} %; model in ${result.runDir}/artifacts/model`);
  return 0;
}

/** Is `runId` the parent run of a seed sweep (then --resume dispatches its missing seeds) rather than a training run? */
async function isSweepParent(config: PipelineConfig, runId: string): Promise<boolean> {
  const run = await new Tracker({ root: config.tracking.root, gitCommit: null }).getRun(runId);
  return (run.data.tags['melbook.mode'] ?? '').startsWith('sweep');
}

/**
 * `--resume RUN_ID` of a killed or failed training run: checked against its checkpoint before
 * the run is touched (a FINISHED run, a run without a checkpoint or one of other settings is
 * refused), then the same run continues from its last completed epoch.
 */
async function resumeTraining(config: PipelineConfig, opts: TrainCommandOptions): Promise<number> {
  const runId = opts.resume!;
  const tracker = new Tracker({ root: config.tracking.root, gitCommit: null });
  const run = await tracker.getRun(runId);
  if (run.info.status === 'FINISHED') throw new MelbookError(`run ${runId} is FINISHED: nothing to resume; train a new run without --resume`);
  const checkpoints = join(await tracker.store.artifactDir(runId), 'checkpoints');
  const found = checkpointFor(checkpoints, config);
  console.log(`run ${runId} (${run.info.status}): resuming after epoch ${found.state.epochsDone}`);
  const named = { ...config, tracking: { ...config.tracking, runName: run.info.runName } };
  const result = await trainStage({ config: named, configFile: opts.config, continueRunId: runId, resumeFrom: checkpoints, parentRunId: run.data.tags['mlflow.parentRunId'] });
  console.log(`run ${result.runId} finished: test accuracy ${(100 * result.evaluation.accuracy).toFixed(1)} %; model in ${result.runDir}/artifacts/model`);
  return 0;
}

/**
 * `--seeds ... --queue URL` (or `--resume`): the seeds as jobs under one parent run (a sweep over
 * `training.seed`), on the queue's workers, then their ensemble on the test split.
 */
async function queuedSeeds(config: PipelineConfig, opts: TrainCommandOptions, ensembleSeeds: number[]): Promise<number> {
  if (ensembleSeeds.length === 0) throw new MelbookError('--queue and --resume dispatch seed ensembles: pass --seeds 0,1,... or set evaluation.seeds');
  const executor = queueExecutorOf(opts);
  const points = ensembleSeeds.map((s) => ({ 'training.seed': s, 'preprocess.augment.seed': s }));
  const named = { ...config, tracking: { ...config.tracking, runName: config.tracking.runName ?? 'train-seeds' } };
  const result = await withQueue(executor, () => sweep({ config: named, configFile: opts.config, points, executor, resumeParentRunId: opts.resume }));
  for (const p of result.points) console.log(`run ${p.runIds[0]} (seed ${ensembleSeeds[p.index]}): test accuracy ${(100 * p.accuracy).toFixed(1)} %`);
  const ensemble = await evaluateEnsemble({ config: { ...config, tracking: { ...config.tracking, runName: `${named.tracking.runName}-ensemble` } }, configFile: opts.config, runIds: result.points.map((p) => p.runIds[0]!) });
  console.log(formatEnsemble(ensemble));
  return 0;
}
