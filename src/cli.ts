/**
 * The `melbook` command. Each sub-command's flags and handler live in src/cli/<command>.ts;
 * errors that melbook raises on purpose print as one clear message, others with a stack.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { MelbookError } from './errors';
import { registerPreprocessCommand } from './cli/preprocess';
import { registerDataCommand } from './cli/data';
import { registerTrainCommand } from './cli/train';
import { registerEvaluateCommand } from './cli/evaluate';
import { registerPredictCommand } from './cli/predict';
import { registerRunsCommand } from './cli/runs';
import { registerRunCommand } from './cli/run';
import { registerReportCommand } from './cli/report';
import { registerKernelCommand } from './cli/kernel';
import { registerSweepCommand } from './cli/sweep';
import { registerWorkerCommand } from './cli/worker';
import type { RunTask } from './cli/options';

/** The commands in the order `melbook --help` lists them. */
const COMMANDS = [
  registerPreprocessCommand, registerDataCommand, registerTrainCommand, registerEvaluateCommand, registerPredictCommand,
  registerSweepCommand, registerWorkerCommand, registerRunsCommand, registerRunCommand, registerReportCommand, registerKernelCommand,
] as const;

/**
 * The version in the package's own package.json, read at run time: it sits one folder above
 * this file both in src/ (tsx) and in dist/ (the build), and a JSON import would pull it into dist.
 */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

export function buildProgram(run: RunTask): Command {
  const program = new Command('melbook')
    .description('Audio-classification experiments from notebooks: features, datasets, CNNs, tracked runs.')
    .version(packageVersion(), '-V, --version', 'print the melbook version')
    .showHelpAfterError();
  for (const register of COMMANDS) register(program, run);
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
