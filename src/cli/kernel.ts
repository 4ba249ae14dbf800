/** `melbook kernel install`: register this project's tslab (or with --deno its Deno) as a TypeScript Jupyter kernel. */
import type { Command } from 'commander';
import { installKernelSpec } from '../runner/kernelspec';
import type { RunTask } from './options';

export function registerKernelCommand(program: Command, run: RunTask): void {
  const kernel = program.command('kernel').description('the TypeScript Jupyter kernels (tslab, Deno) of this project');
  kernel
    .command('install')
    .description("register this project's tslab as the TypeScript kernel for Jupyter (per user; --prefix for an environment)")
    .option('--prefix <dir>', 'install under <dir>/share/jupyter/kernels')
    .option('--js', 'also install the JavaScript kernel (jslab)')
    .option('--deno', "install Deno's kernel (melbook-deno, this project's deno binary) instead of tslab")
    .action((opts) => run(() => kernelInstallCommand(opts)));
}

export async function kernelInstallCommand(opts: { prefix?: string; js?: boolean; deno?: boolean }): Promise<number> {
  const installed = await installKernelSpec({ prefix: opts.prefix, js: opts.js, deno: opts.deno });
  for (const k of installed) console.log(`installed kernel "${k.name}" (${k.spec.display_name}) -> ${k.file}`);
  console.log(`Open the notebooks with: jupyter lab notebooks/   (choose the ${installed[0].spec.display_name} kernel)`);
  return 0;
}
