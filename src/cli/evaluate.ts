/**
 * `melbook evaluate`: a saved model on the test split (`--run`, default the newest), on a folder
 * of labelled wavs (`--external`), leave-one-speaker-out (one model per held-out speaker,
 * optionally once per seed and their ensemble), or an ensemble of tracked runs scored as one model.
 */
import type { Command } from 'commander';
import { loadPipelineConfig } from '../config/pipeline';
import { evaluateEnsemble, formatEnsemble } from '../stages/evaluate-ensemble';
import { evaluateRun } from '../stages/evaluate';
import { evaluateExternal } from '../stages/evaluate-external';
import { leaveOneSpeakerOut, formatLoso } from '../orchestration/loso';
import { losoSeedEnsemble } from '../orchestration/seeds';
import { attemptsOption, configOption, ensembleSeedsOf, numberList, queueOption, resumeOption, setOption, type RunTask } from './options';
import { queueExecutorOf, withQueue } from './dispatch';

export interface EvaluateCommandOptions {
  config: string;
  set: string[];
  loso?: boolean;
  speakers?: string;
  jobs?: string;
  ensemble?: string;
  tta?: string;
  seeds?: string;
  queue?: string;
  attempts?: string;
  resume?: string;
  run?: string;
  external?: string;
}

export function registerEvaluateCommand(program: Command, run: RunTask): void {
  program
    .command('evaluate')
    .description('a trained model on the test split (--run, default the newest) or on a folder of labelled wavs (--external), leave-one-speaker-out (one model per held-out speaker, nested runs under one parent run), or an ensemble of tracked runs')
    .addOption(configOption())
    .addOption(setOption())
    .option('--run <run-id>', 'the training run whose model to score (default: the newest finished run with a model)')
    .option('--external <dir>', 'score the model (--run, default the newest) or the --ensemble on this folder of labelled wavs (named as data.layout and data.pattern say)')
    .option('--loso', 'train and test one fold per speaker (with --ensemble: the runs are LOSO parent runs)')
    .option('--speakers <names>', 'comma-separated subset of speakers')
    .option('--jobs <n>', 'folds trained side by side, one core each', '1')
    .option('--seeds <list>', 'with --loso: one LOSO run per seed (training.seed and preprocess.augment.seed), then their ensemble, e.g. 0,1; overrides evaluation.seeds, \'\' makes one LOSO run')
    .option('--ensemble <run-ids>', 'comma-separated runs to score as one model (mean of their probabilities); trains nothing')
    .option('--tta <factors>', 'test-time speed factors, e.g. 0.9,1,1.1 (default: evaluation.speedFactors of the config)')
    .addOption(queueOption())
    .addOption(attemptsOption())
    .addOption(resumeOption())
    .action((opts) => run(() => evaluateCommand(opts)));
}

/** Print a usage error and return exit code 2. */
function usage(message: string): number {
  console.error(`melbook evaluate: ${message}`);
  return 2;
}

export async function evaluateCommand(opts: EvaluateCommandOptions): Promise<number> {
  const config = loadPipelineConfig(opts.config, { overrides: opts.set });
  const speedFactors = opts.tta === undefined ? undefined : numberList(opts.tta);
  if (speedFactors?.some((f) => !(f > 0 && f <= 2))) return usage(`--tta takes comma-separated speed factors in (0, 2], e.g. 0.9,1,1.1; got ${JSON.stringify(opts.tta)}`);
  if (opts.external !== undefined) return externalCommand(opts, config, speedFactors);
  if (opts.run !== undefined && (opts.loso || opts.ensemble !== undefined)) return usage('--run takes one training run; --loso trains its own models and --ensemble names its runs');
  if (opts.ensemble !== undefined) {
    const runIds = opts.ensemble.split(',').map((s) => s.trim()).filter(Boolean);
    const result = await evaluateEnsemble({ config, configFile: opts.config, runIds, speedFactors, loso: opts.loso });
    console.log(formatEnsemble(result));
    return 0;
  }
  if (opts.seeds !== undefined && !opts.loso) return usage('--seeds goes with --loso (one leave-one-speaker-out run per seed, then their ensemble)');
  const ensembleSeeds = ensembleSeedsOf(opts.seeds, config);
  if (opts.tta !== undefined && ensembleSeeds.length === 0) {
    return usage('--tta applies to --ensemble and to seed ensembles (--seeds or evaluation.seeds; an ensemble of one seed is that run with test-time augmentation)');
  }
  if (!opts.loso) {
    if (opts.queue !== undefined || opts.resume !== undefined || opts.speakers !== undefined) return usage('--queue, --resume and --speakers go with --loso');
    await evaluateRun({ config, configFile: opts.config, runId: opts.run });
    return 0;
  }
  const jobs = Number(opts.jobs ?? 1);
  if (!Number.isInteger(jobs) || jobs < 1) return usage(`--jobs must be a whole number of folds >= 1, got ${JSON.stringify(opts.jobs)}`);
  const speakers = opts.speakers?.split(',').map((s) => s.trim());
  if (ensembleSeeds.length > 0) {
    if (opts.queue !== undefined || opts.resume !== undefined) return usage('--queue and --resume take one leave-one-speaker-out run: pass --seeds \'\' (or run `melbook sweep --loso --grid training.seed=0,1,2,3 --queue URL` for the seeds)');
    const { seeds: runs, ensemble } = await losoSeedEnsemble({ config, configFile: opts.config, seeds: ensembleSeeds, jobs, speakers, speedFactors });
    for (const r of runs) console.log(formatLoso(r));
    console.log(formatEnsemble(ensemble));
    return 0;
  }
  if (opts.queue !== undefined && opts.jobs !== undefined && opts.jobs !== '1') return usage('--jobs is for local folds; with --queue, start more workers (npx melbook worker --queue URL)');
  const executor = queueExecutorOf(opts);
  const result = await withQueue(executor, () => leaveOneSpeakerOut({ config, configFile: opts.config, jobs, speakers, executor, resumeParentRunId: opts.resume }));
  console.log(formatLoso(result));
  return 0;
}

/** `--external DIR`: one model (`--run`, default the newest) or an `--ensemble` on a folder of labelled wavs. */
async function externalCommand(opts: EvaluateCommandOptions, config: ReturnType<typeof loadPipelineConfig>, speedFactors: number[] | undefined): Promise<number> {
  if (opts.loso || opts.seeds !== undefined || opts.queue !== undefined || opts.resume !== undefined) return usage('--external scores saved models; --loso, --seeds, --queue and --resume train');
  if (opts.run !== undefined && opts.ensemble !== undefined) return usage('--external takes --run RUN_ID (one model) or --ensemble ID,ID (several), not both');
  const ensemble = opts.ensemble?.split(',').map((s) => s.trim()).filter(Boolean);
  if (opts.ensemble !== undefined && ensemble!.length === 0) return usage('--ensemble takes comma-separated run ids');
  await evaluateExternal({ config, configFile: opts.config, dir: opts.external!, runId: opts.run, ensemble, speedFactors });
  return 0;
}
