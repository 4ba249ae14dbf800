/**
 * `melbook sweep --grid key=v1,v2 [--grid …]`: the cross product of the grids, each point a set
 * of dotted-path overrides. Everything is checked before a job exists: the key must name a
 * setting of the config, each value must pass the schema at that key, and a grid needs values.
 */
import { parse as parseYaml } from 'yaml';
import { applyConfigOverrides, type ConfigOverrides, type OverrideValue } from './job';
import type { PipelineConfig } from '../config/pipeline';
import { ConfigError } from '../errors';

/** One `--grid` option: a key and its values, in the order given. */
export interface GridAxis {
  key: string;
  values: OverrideValue[];
}

const FORM = 'key.path=v1,v2,... e.g. --grid training.optimizer.learningRate=0.001,0.0003';

/** A value as YAML reads it (`3` a number, `true` a boolean, `x` a string); lists and maps are not grid values. */
function parseValue(text: string, key: string): OverrideValue {
  let value: unknown;
  try {
    value = parseYaml(text) as unknown;
  } catch {
    value = undefined;
  }
  if (value !== undefined && (value === null || ['string', 'number', 'boolean'].includes(typeof value))) return value as OverrideValue;
  throw new ConfigError(key, text, 'a scalar per grid value (number, string, true/false, null)');
}

/** Does the dotted path name a setting of `config` (or a key under a setting that is null, which the schema then judges)? */
function namesSetting(config: PipelineConfig, key: string): boolean {
  let node: unknown = config;
  for (const part of key.split('.')) {
    if (node === null) return true;
    if (typeof node !== 'object' || Array.isArray(node) || !Object.prototype.hasOwnProperty.call(node, part)) return false;
    node = (node as Record<string, unknown>)[part];
  }
  return true;
}

/** The keys one level down from the deepest existing part of `key`: what the user may have meant. */
function allowedAt(config: PipelineConfig, key: string): string {
  let node: unknown = config;
  const parts = key.split('.');
  const seen: string[] = [];
  for (const part of parts) {
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !(part in (node as object))) break;
    node = (node as Record<string, unknown>)[part];
    seen.push(part);
  }
  const options = node && typeof node === 'object' && !Array.isArray(node) ? Object.keys(node) : [];
  return options.map((k) => [...seen, k].join('.')).join(', ');
}

/** Parse `--grid` options against `base`: every key known, every value valid there, no empty grid. */
export function parseGrid(specs: readonly string[], base: PipelineConfig): GridAxis[] {
  if (specs.length === 0) throw new ConfigError('--grid', '', FORM);
  const axes = specs.map((spec) => {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new ConfigError('--grid', spec, FORM);
    const key = spec.slice(0, eq).trim();
    if (!namesSetting(base, key)) throw new ConfigError(key, spec, `a setting of the config: ${allowedAt(base, key)}`);
    const items = spec.slice(eq + 1).split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (items.length === 0) throw new ConfigError(key, spec, `at least one value: ${FORM}`);
    const values = items.map((item) => parseValue(item, key));
    for (const value of values) applyConfigOverrides(base, { [key]: value });
    return { key, values };
  });
  const keys = axes.map((a) => a.key);
  const twice = keys.find((k, i) => keys.indexOf(k) !== i);
  if (twice) throw new ConfigError(twice, specs.join(' '), 'each key in one --grid only');
  return axes;
}

/** The cross product of the axes, first axis slowest: each point is one set of overrides. */
export function gridPoints(axes: readonly GridAxis[]): ConfigOverrides[] {
  return axes.reduce<ConfigOverrides[]>((points, axis) => points.flatMap((p) => axis.values.map((v) => ({ ...p, [axis.key]: v }))), [{}]);
}
