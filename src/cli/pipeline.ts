/** `melbook run` (the notebook pipeline) and `melbook kernel install`. */
import { runPipeline } from '../stages/pipeline';
import { installKernelSpec } from '../runner/kernelspec';
import { writeRunReport } from '../report/html';
import type { StageName } from '../stages/context';

export interface RunCommandOptions {
  config: string;
  set: string[];
  only?: string;
  from?: string;
  logOutput?: boolean;
  cellTimeout?: string;
  report?: boolean;
}

export async function runCommand(opts: RunCommandOptions): Promise<number> {
  const result = await runPipeline({
    configFile: opts.config,
    overrides: opts.set,
    only: opts.only as StageName | undefined,
    from: opts.from as StageName | undefined,
    logOutput: opts.logOutput,
    perCellTimeoutMs: opts.cellTimeout ? Number(opts.cellTimeout) * 1000 : undefined,
    renderReport: opts.report === false ? undefined : (root, runId) => writeRunReport({ root, runId }),
  });
  console.log(`pipeline run ${result.runId} finished: ${result.stages.length} stage(s); notebooks in ${result.runDir}/artifacts/notebooks`);
  return 0;
}

export async function kernelInstallCommand(opts: { prefix?: string; js?: boolean }): Promise<number> {
  const installed = await installKernelSpec({ prefix: opts.prefix, js: opts.js });
  for (const k of installed) console.log(`installed kernel "${k.name}" (${k.spec.display_name}) -> ${k.file}`);
  console.log('Open the notebooks with: jupyter lab notebooks/   (choose the TypeScript kernel)');
  return 0;
}

export async function reportCommand(runId: string, opts: { root: string; output?: string }): Promise<number> {
  const file = await writeRunReport({ root: opts.root, runId, output: opts.output });
  console.log(`report: ${file}`);
  return 0;
}
