/** What several commands share: the --config and --set options, list parsing, the task runner type. */
import { Option } from 'commander';

/** Runs a command's work after parsing; the work resolves to the exit code. */
export type RunTask = (task: () => Promise<number>) => void;

const collect = (value: string, previous: string[]) => [...previous, value];

export const configOption = () => new Option('-c, --config <file>', 'pipeline config (YAML)').default('config/default.yaml');
export const setOption = () => new Option('--set <key=value>', 'override one config key (repeatable), e.g. --set training.epochs=3').argParser(collect).default([]);

/** `--seeds 0,1` or `--tta 0.9,1,1.1` as numbers; '' is none (an item that is not a number becomes NaN, which the caller rejects). */
export function numberList(text: string): number[] {
  return text.split(',').filter((item) => item.trim() !== '').map((item) => Number(item.trim()));
}

/** The RNG seeds of an ensemble: `--seeds` when given, else the config's `evaluation.seeds` ([] = one model). */
export function ensembleSeedsOf(cli: string | undefined, config: { evaluation: { seeds: number[] } }): number[] {
  return cli !== undefined ? numberList(cli) : config.evaluation.seeds;
}

export const queueOption = () => new Option('--queue <url>', 'run the training jobs on `melbook worker` processes through this Redis: redis://[user:password@]host[:port][/db] or rediss://');
export const resumeOption = () => new Option('--resume <parent-run-id>', 'continue this earlier parent run: only jobs without a FINISHED run train again');
export const attemptsOption = () => new Option('--attempts <n>', 'with --queue: tries per job before it fails').default('2');
export { collect };
