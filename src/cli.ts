/**
 * The `melbook` command. Each sub-command parses its flags here and calls one handler in
 * src/cli/; errors that melbook raises on purpose print as one clear message, others with a stack.
 */
import { Command, Option } from 'commander';
import { MelbookError } from './errors';
import { preprocessCommand } from './cli/preprocess';
import { fetchFsddCommand, verifyCommand } from './cli/data';
import { trainCommand, predictCommand, runsCommand, compareCommand, evaluateCommand } from './cli/train';
import { runCommand, kernelInstallCommand, reportCommand } from './cli/pipeline';
import { STAGES } from './stages/context';

const collect = (value: string, previous: string[]) => [...previous, value];

export function buildProgram(run: (task: () => Promise<number>) => void): Command {
  const program = new Command('melbook')
    .description('Audio-classification experiments from notebooks: features, datasets, CNNs, tracked runs.')
    .showHelpAfterError();

  const configOption = () => new Option('-c, --config <file>', 'pipeline config (YAML)').default('config/default.yaml');
  const setOption = () => new Option('--set <key=value>', 'override one config key (repeatable), e.g. --set training.epochs=3').argParser(collect).default([]);

  program
    .command('preprocess')
    .description('decode every .wav, extract features, write one .npy per clip plus manifest.json and metadata.json')
    .addOption(configOption())
    .addOption(setOption())
    .option('--recordings <dir>', 'recordings folder (overrides data.recordings)')
    .option('--workers <n>', 'worker threads (0 = one per core)')
    .option('--strict', 'exit non-zero when any clip is skipped')
    .action((opts) => run(() => preprocessCommand(opts)));

  const data = program.command('data').description('get and check datasets');
  data
    .command('fsdd')
    .description('download FSDD (pinned commit) into the recordings folder and verify every file by sha256')
    .option('--dest <dir>', 'recordings folder', 'recordings')
    .option('--url <url>', 'archive URL (a mirror, or a local server)')
    .option('--checksums <file>', 'sha256 list (default: the one melbook ships)')
    .option('--force', 'download again even if the folder verifies')
    .action((opts) => run(() => fetchFsddCommand(opts)));
  data
    .command('verify')
    .description('check a recordings folder against the shipped FSDD sha256 list')
    .option('--dir <dir>', 'recordings folder', 'recordings')
    .option('--checksums <file>', 'sha256 list')
    .action((opts) => run(() => verifyCommand(opts)));

  program
    .command('train')
    .description('preprocess if needed, then train, evaluate and save the model in a tracked run under runs/')
    .addOption(configOption())
    .addOption(setOption())
    .option('--run-name <name>', 'name of the tracked run')
    .option('--seeds <list>', 'one run per seed (training.seed and preprocess.augment.seed), then their ensemble on the test split, e.g. 0,1; overrides evaluation.seeds, \'\' trains one model')
    .action((opts) => run(() => trainCommand(opts)));

  program
    .command('evaluate')
    .description('leave-one-speaker-out (one model per held-out speaker, nested runs under one parent run), or an ensemble of tracked runs')
    .addOption(configOption())
    .addOption(setOption())
    .option('--loso', 'train and test one fold per speaker (with --ensemble: the runs are LOSO parent runs)')
    .option('--speakers <names>', 'comma-separated subset of speakers')
    .option('--jobs <n>', 'folds trained side by side, one core each', '1')
    .option('--seeds <list>', 'with --loso: one LOSO run per seed (training.seed and preprocess.augment.seed), then their ensemble, e.g. 0,1; overrides evaluation.seeds, \'\' makes one LOSO run')
    .option('--ensemble <run-ids>', 'comma-separated runs to score as one model (mean of their probabilities); trains nothing')
    .option('--tta <factors>', 'test-time speed factors, e.g. 0.9,1,1.1 (default: evaluation.speedFactors of the config)')
    .action((opts) => run(() => evaluateCommand(opts)));

  program
    .command('predict')
    .description('classify .wav files with a saved model (a run\'s artifacts/model folder)')
    .argument('<model-dir>', 'folder holding model.json and melbook.json; several joined by commas are averaged as one ensemble')
    .argument('<files...>', '.wav files')
    .option('--top <k>', 'classes to show per file', '3')
    .option('--json', 'print JSON')
    .option('--backend <name>', 'tfjs backend: auto | tensorflow | wasm | cpu')
    .option('--tta <factors>', 'test-time speed factors to average, e.g. 0.9,1,1.1', '1')
    .action((modelDir, files, opts) => run(() => predictCommand(modelDir, files, opts)));

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

  program
    .command('run')
    .description('run the stage notebooks headless as one tracked pipeline run, then render its report')
    .addOption(configOption())
    .addOption(setOption())
    .option('--only <stage>', `run only this stage (${STAGES.join(', ')})`)
    .option('--from <stage>', 'start at this stage')
    .option('--log-output', "stream the cells' stdout and stderr live")
    .option('--cell-timeout <seconds>', 'interrupt a cell running longer than this', '1800')
    .option('--no-report', 'do not render the HTML report')
    .action((opts) => run(() => runCommand(opts)));

  program
    .command('report')
    .description("render a run's self-contained HTML report (parameters, metrics, every stage notebook with its outputs)")
    .argument('<run-id>', 'run id')
    .option('--root <dir>', 'tracking root', 'runs')
    .option('-o, --output <file>', 'where to write it (default: <run>/artifacts/report.html)')
    .action((runId, opts) => run(() => reportCommand(runId, opts)));

  const kernel = program.command('kernel').description('the TypeScript Jupyter kernel (tslab) of this project');
  kernel
    .command('install')
    .description("register this project's tslab as the TypeScript kernel for Jupyter (per user; --prefix for an environment)")
    .option('--prefix <dir>', 'install under <dir>/share/jupyter/kernels')
    .option('--js', 'also install the JavaScript kernel (jslab)')
    .action((opts) => run(() => kernelInstallCommand(opts)));

  return program;
}

/** Entry point used by bin/melbook.js; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let task: (() => Promise<number>) | undefined;
  const program = buildProgram((t) => (task = t));
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    return typeof code === 'number' ? code : 2;
  }
  if (!task) return 0;
  try {
    return await task();
  } catch (err) {
    if (err instanceof MelbookError) {
      console.error(`melbook: ${err.message}`);
      if (process.env.MELBOOK_DEBUG && err.stack) console.error(err.stack);
      return 1;
    }
    throw err;
  }
}
