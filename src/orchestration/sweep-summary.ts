/**
 * How `melbook sweep` ranks its points and tables them. A point is chosen on the official test
 * split (the LOSO mean with `--loso`) by default, or with `--select-on external:<name>` on one
 * `evaluation.external` folder, so the recipe can be chosen on voices it is never reported on
 * (docs/augmentation.md, "Choosing a recipe honestly").
 */
import type { ConfigOverrides, ExternalScore } from './job';
import { externalSetName } from '../data/external';
import type { PipelineConfig } from '../config/pipeline';
import { ConfigError, MelbookError } from '../errors';

export interface SweepPoint {
  index: number;
  overrides: ConfigOverrides;
  /** Test accuracy, or with `loso` the mean over the folds. */
  accuracy: number;
  /** With `loso`: the weakest fold. */
  min?: number;
  /** Without `loso`: the point's scores on the `evaluation.external` folders, in the config's order. */
  external?: ExternalScore[];
  runIds: string[];
}

/** What chooses the best point: the test split (LOSO mean with `--loso`), or one external folder by name. */
export type SweepSelection = { on: 'test' } | { on: 'external'; name: string };

const FORM = "'test' (default) or 'external:<name>', <name> the folder name of one of evaluation.external";

/**
 * Parse `--select-on` (`test` or `external:<name>`) against the config before anything trains:
 * the name must be exactly one `evaluation.external` folder, and external selection is refused
 * with `loso` (each fold's model has its own external score; see `sweep`'s docs).
 */
export function parseSelectOn(spec: string | undefined, config: Pick<PipelineConfig, 'evaluation'>, loso = false): SweepSelection {
  if (spec === undefined || spec === 'test') return { on: 'test' };
  const match = /^external:(.+)$/.exec(spec);
  if (!match) throw new ConfigError('--select-on', spec, FORM);
  const name = match[1]!;
  const dirs = config.evaluation.external;
  const named = dirs.filter((dir) => externalSetName(dir) === name);
  if (named.length === 0) {
    const known = dirs.length ? `the config's evaluation.external folders are named ${dirs.map((d) => `${externalSetName(d)} (${d})`).join(', ')}` : 'the config lists no evaluation.external folder';
    throw new ConfigError('--select-on', spec, `${known}; add one with --set 'evaluation.external=[DIR]' (its name is DIR's last folder name)`);
  }
  if (named.length > 1) throw new ConfigError('--select-on', spec, `${named.join(' and ')} are both named ${name}: rename one so each evaluation.external folder has its own name`);
  if (loso) {
    throw new ConfigError('--select-on', spec, 'not with --loso: each fold is its own model with its own score on the folder, so a point has no single external score. Choose without --loso, then report the chosen recipe with melbook evaluate --loso');
  }
  return { on: 'external', name };
}

/** `test` or `external:<name>`: the form `--select-on` takes and the parent run logs. */
export function selectionLabel(selection: SweepSelection): string {
  return selection.on === 'test' ? 'test' : `external:${selection.name}`;
}

/** The point's score on the selection's folder; a point without one cannot be ranked. */
function externalScore(point: SweepPoint, name: string): ExternalScore {
  const score = point.external?.find((e) => e.name === name);
  if (!score) {
    throw new MelbookError(`sweep point ${point.index} (run ${point.runIds.join(', ')}) has no score on the external folder ${name}: the run finished before evaluation.external listed that folder. Start a new sweep (without --resume) so every point is scored on it`);
  }
  return score;
}

/**
 * The best point: highest test accuracy (LOSO mean), or highest accuracy on the selection's
 * external folder with ties broken by its weakest group; remaining ties go to the lower point.
 */
export function bestPoint(points: readonly SweepPoint[], selection: SweepSelection = { on: 'test' }): SweepPoint {
  if (points.length === 0) throw new MelbookError('a sweep with no points has no best point');
  if (selection.on === 'test') return points.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
  const key = (p: SweepPoint) => externalScore(p, selection.name);
  return points.reduce((a, b) => {
    const [x, y] = [key(a), key(b)];
    return y.accuracy > x.accuracy || (y.accuracy === x.accuracy && y.minGroupAccuracy > x.minGroupAccuracy) ? b : a;
  });
}

/** In words, for the line under the table: which metric chose the best point, and how ties go. */
function selectionText(selection: SweepSelection, loso: boolean): string {
  if (selection.on === 'external') return `accuracy on external folder ${selection.name} (--select-on external:${selection.name}; ties: its weakest group, then the lower point)`;
  return `${loso ? 'LOSO mean' : 'test accuracy'} (--select-on test; ties: the lower point)`;
}

/**
 * The points as a markdown table: one column per swept key, then the test metric, then each
 * external folder's accuracy and weakest group; under it, the best point and what chose it.
 */
export function formatSweep(points: readonly SweepPoint[], selection: SweepSelection = { on: 'test' }): string {
  const keys = [...new Set(points.flatMap((p) => Object.keys(p.overrides)))];
  const names = [...new Set(points.flatMap((p) => (p.external ?? []).map((e) => e.name)))];
  const loso = points.some((p) => p.min !== undefined);
  const head = ['point', ...keys, loso ? 'LOSO mean' : 'test accuracy', ...(loso ? ['weakest fold'] : []), ...names.flatMap((n) => [`${n} accuracy`, `${n} weakest group`])];
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const externalCells = (p: SweepPoint) => names.flatMap((n) => {
    const e = p.external?.find((s) => s.name === n);
    return e ? [pct(e.accuracy), pct(e.minGroupAccuracy)] : ['-', '-'];
  });
  const rows = points.map((p) => [String(p.index), ...keys.map((k) => JSON.stringify(p.overrides[k] ?? null)), pct(p.accuracy), ...(loso ? [pct(p.min ?? Number.NaN)] : []), ...externalCells(p)]);
  const table = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
  const best = points.length > 0 ? [``, `best: point ${bestPoint(points, selection).index}, chosen on ${selectionText(selection, loso)}`] : [];
  return [...table, ...best].join('\n') + '\n';
}
