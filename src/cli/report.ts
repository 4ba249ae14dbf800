/** `melbook report`: a run's self-contained HTML report. */
import type { Command } from 'commander';
import { writeRunReport } from '../report/html';
import type { RunTask } from './options';

export function registerReportCommand(program: Command, run: RunTask): void {
  program
    .command('report')
    .description("render a run's self-contained HTML report (parameters, metrics, every stage notebook with its outputs)")
    .argument('<run-id>', 'run id')
    .option('--root <dir>', 'tracking root', 'runs')
    .option('-o, --output <file>', 'where to write it (default: <run>/artifacts/report.html)')
    .action((runId, opts) => run(() => reportCommand(runId, opts)));
}

export async function reportCommand(runId: string, opts: { root: string; output?: string }): Promise<number> {
  const file = await writeRunReport({ root: opts.root, runId, output: opts.output });
  console.log(`report: ${file}`);
  return 0;
}
