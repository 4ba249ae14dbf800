/** `melbook train`: one tracked training run, or one per seed and their ensemble. */
import type { Command } from 'commander';
import { loadPipelineConfig } from '../config/pipeline';
import { trainStage } from '../stages/train';
import { formatEnsemble } from '../stages/evaluate-ensemble';
import { trainSeedEnsemble } from '../orchestration/seeds';
import { configOption, ensembleSeedsOf, setOption, type RunTask } from './options';

export function registerTrainCommand(program: Command, run: RunTask): void {
  program
    .command('train')
    .description('preprocess if needed, then train, evaluate and save the model in a tracked run under runs/')
    .addOption(configOption())
    .addOption(setOption())
    .option('--run-name <name>', 'name of the tracked run')
    .option('--seeds <list>', 'one run per seed (training.seed and preprocess.augment.seed), then their ensemble on the test split, e.g. 0,1; overrides evaluation.seeds, \'\' trains one model')
    .action((opts) => run(() => trainCommand(opts)));
}

export async function trainCommand(opts: { config: string; set: string[]; runName?: string; seeds?: string }): Promise<number> {
  const overrides = [...opts.set];
  if (opts.runName) overrides.push(`tracking.runName=${JSON.stringify(opts.runName)}`);
  const config = loadPipelineConfig(opts.config, { overrides });
  const ensembleSeeds = ensembleSeedsOf(opts.seeds, config);
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
