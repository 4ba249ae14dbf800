/**
 * Assigning every clip to exactly one of train / validation / test. Pure and seeded: the same
 * clips and options always give the same split. Stratified by label, so each class keeps its
 * share in every split.
 */
import { ConfigError } from '../errors';
import { seededRandom, shuffled } from './random';
import type { ClipSource } from './labels';
import type { SplitConfig } from '../config/schema';

export const SPLITS = ['train', 'validation', 'test'] as const;
export type SplitName = (typeof SPLITS)[number];

/** How clips are split: the `split` section of the config, defaults applied (see SplitSchema). */
export type SplitOptions = SplitConfig;

/** Split a clip list; returns the split of each clip, in the order given. */
export function assignSplits(clips: readonly ClipSource[], options: SplitOptions): SplitName[] {
  const isTest = testSelector(clips, options);
  const out: SplitName[] = clips.map((_, i) => (isTest[i] ? 'test' : 'train'));
  const trainIdx = out.flatMap((s, i) => (s === 'train' ? [i] : []));
  for (const i of stratifiedSample(clips, trainIdx, options.validationFraction, options.seed + 1)) out[i] = 'validation';
  checkNoEmptyClass(clips, out, options);
  return out;
}

function testSelector(clips: readonly ClipSource[], options: SplitOptions): boolean[] {
  switch (options.mode) {
    case 'official':
      return clips.map((c, i) => {
        if (c.take === null) {
          throw new ConfigError('split.mode', 'official', `a file pattern with a (?<take>...) group; ${clips[i].file} has no take (use split.mode random)`);
        }
        return c.take <= options.officialMaxTestTake;
      });
    case 'speaker': {
      const speaker = options.testSpeaker;
      const speakers = [...new Set(clips.map((c) => c.speaker))].sort();
      if (!speaker || !speakers.includes(speaker)) {
        throw new ConfigError('split.testSpeaker', speaker, `one of the speakers found: ${speakers.join(', ')}`);
      }
      return clips.map((c) => c.speaker === speaker);
    }
    case 'random': {
      const all = clips.map((_, i) => i);
      const test = new Set(stratifiedSample(clips, all, options.testFraction, options.seed));
      return clips.map((_, i) => test.has(i));
    }
  }
}

/** Pick round(fraction * n) indices of each label among `indices`, seeded. */
function stratifiedSample(clips: readonly ClipSource[], indices: readonly number[], fraction: number, seed: number): number[] {
  if (fraction <= 0) return [];
  const byLabel = new Map<string, number[]>();
  for (const i of indices) {
    const list = byLabel.get(clips[i].label) ?? [];
    list.push(i);
    byLabel.set(clips[i].label, list);
  }
  const random = seededRandom(seed);
  const picked: number[] = [];
  for (const label of [...byLabel.keys()].sort()) {
    const list = byLabel.get(label)!;
    const n = Math.round(fraction * list.length);
    picked.push(...shuffled(list, random).slice(0, n));
  }
  return picked;
}

function checkNoEmptyClass(clips: readonly ClipSource[], splits: readonly SplitName[], options: SplitOptions): void {
  const labels = [...new Set(clips.map((c) => c.label))].sort();
  const present = new Map<SplitName, Set<string>>(SPLITS.map((s) => [s, new Set<string>()]));
  clips.forEach((c, i) => present.get(splits[i])!.add(c.label));
  for (const split of SPLITS) {
    if (split === 'validation' && options.validationFraction === 0) continue;
    const missing = labels.filter((l) => !present.get(split)!.has(l));
    if (missing.length > 0) {
      const key = split === 'validation' ? 'split.validationFraction' : split === 'test' ? 'split.mode' : 'split';
      throw new ConfigError(key, split === 'validation' ? options.validationFraction : options.mode,
        `a split that leaves no class empty; the ${split} split has no clip of class ${missing.slice(0, 5).join(', ')}`);
    }
  }
}

/** Count clips per class and split: `{ train: { '0': 243, ... }, ... }`. */
export function countBySplit(labels: readonly string[], splits: readonly SplitName[], classes: readonly string[]): Record<SplitName, Record<string, number>> {
  const counts = Object.fromEntries(SPLITS.map((s) => [s, Object.fromEntries(classes.map((c) => [c, 0]))])) as Record<SplitName, Record<string, number>>;
  labels.forEach((l, i) => (counts[splits[i]][l] += 1));
  return counts;
}
