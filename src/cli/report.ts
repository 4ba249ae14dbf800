/** `melbook report`: a run's self-contained HTML report, or its markdown summary for a CI job summary. */
import { Command, Option } from 'commander';
import { writeRunReport, writeAtomic } from '../report/html';
import { renderRunSummaryMarkdown } from '../report/summary-markdown';
import type { RunTask } from './options';

export interface ReportCommandOptions {
  /** Tracking root. Default `runs`. */
  root: string;
  /** HTML: where to write it (default `<run>/artifacts/report.html`). Markdown: a file instead of stdout. */
  output?: string;
  /** `html` (default) or `markdown`. */
  format?: 'html' | 'markdown';
}

export function registerReportCommand(program: Command, run: RunTask): void {
  program
    .command('report')
    .description("render a run's self-contained HTML report (parameters, metrics, every stage notebook with its outputs), or with --format markdown its summary (headline metrics, per-class and per-speaker tables) for $GITHUB_STEP_SUMMARY")
    .argument('<run-id>', 'run id')
    .option('--root <dir>', 'tracking root', 'runs')
    .addOption(new Option('--format <format>', 'html report or markdown summary').choices(['html', 'markdown']).default('html'))
    .option('-o, --output <file>', 'where to write it (html default: <run>/artifacts/report.html; markdown default: stdout)')
    .action((runId, opts) => run(() => reportCommand(runId, opts)));
}

export async function reportCommand(runId: string, opts: ReportCommandOptions): Promise<number> {
  if (opts.format === 'markdown') {
    const md = await renderRunSummaryMarkdown({ root: opts.root, runId });
    if (opts.output) await writeAtomic(opts.output, md);
    else process.stdout.write(md);
    return 0;
  }
  const file = await writeRunReport({ root: opts.root, runId, output: opts.output });
  console.log(`report: ${file}`);
  return 0;
}
