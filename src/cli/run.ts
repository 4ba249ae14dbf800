/** `melbook run`: the stage notebooks headless as one tracked pipeline run, then its report. */
import { Option, type Command } from 'commander';
import { runPipeline } from '../stages/pipeline';
import { writeRunReport } from '../report/html';
import { STAGES, type StageName } from '../stages/context';
import { configOption, setOption, type RunTask } from './options';

export interface RunCommandOptions {
  config: string;
  set: string[];
  only?: string;
  from?: string;
  /** Stream the cells' stdout and stderr; default: when stdout is not a TTY. */
  logOutput?: boolean;
  cellTimeout?: string;
  /** `tslab` (default) or `deno`. */
  kernel?: 'tslab' | 'deno';
  report?: boolean;
}

export function registerRunCommand(program: Command, run: RunTask): void {
  program
    .command('run')
    .description('run the stage notebooks headless as one tracked pipeline run, then render its report')
    .addOption(configOption())
    .addOption(setOption())
    .option('--only <stage>', `run only this stage (${STAGES.join(', ')})`)
    .option('--from <stage>', 'start at this stage')
    .option('--log-output', "stream the cells' stdout and stderr live (the default when stdout is not a terminal, as in CI)")
    .option('--no-log-output', "only progress lines, not the cells' output")
    .option('--cell-timeout <seconds>', 'interrupt a cell running longer than this', '1800')
    .option('--no-report', 'do not render the HTML report')
    .addOption(new Option('--kernel <kernel>', "the notebooks' kernel: tslab, or Deno's (deno jupyter)").choices(['tslab', 'deno']).default('tslab'))
    .action((opts) => run(() => runCommand(opts)));
}

export async function runCommand(opts: RunCommandOptions): Promise<number> {
  const result = await runPipeline({
    configFile: opts.config,
    overrides: opts.set,
    only: opts.only as StageName | undefined,
    from: opts.from as StageName | undefined,
    // In a log (no TTY) the cells' own lines, epoch by epoch, are what keeps it from going silent.
    logOutput: opts.logOutput ?? !process.stdout.isTTY,
    kernel: opts.kernel,
    perCellTimeoutMs: opts.cellTimeout ? Number(opts.cellTimeout) * 1000 : undefined,
    renderReport: opts.report === false ? undefined : (root, runId) => writeRunReport({ root, runId }),
  });
  console.log(`pipeline run ${result.runId} finished: ${result.stages.length} stage(s); notebooks in ${result.runDir}/artifacts/notebooks`);
  return 0;
}
