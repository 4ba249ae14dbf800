/**
 * Finding clips and their labels: FSDD-style file names (`{digit}_{speaker}_{take}.wav`, or any
 * regex with named groups) or one folder per class (`class-7/clip.wav`). Pure over file lists,
 * plus one function that lists a folder.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep, basename, dirname } from 'node:path';
import { ConfigError, LabelError } from '../errors';

/** One audio file with what its name says about it. */
export interface ClipSource {
  /** Path as given (joined to the recordings folder). */
  file: string;
  /** Path relative to the recordings folder, with `/` separators: the clip's stable id. */
  id: string;
  label: string;
  /** Speaker name, or `unknown` when the layout does not say. */
  speaker: string;
  /** Take number, or null when the layout does not say. */
  take: number | null;
}

/** How labels are read from paths. */
export interface LabelOptions {
  layout: 'pattern' | 'folders';
  /** Regex over the file name with named group `label` (and optional `speaker`, `take`). */
  pattern: string;
  /** Regex over the class folder name with named group `label` (layout `folders`). */
  folderPattern: string;
}

/** List `.wav` files under `dir` (recursively for the folder layout), sorted for determinism. */
export function listWavFiles(dir: string, layout: LabelOptions['layout']): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true, recursive: layout === 'folders' });
  } catch (err) {
    throw new ConfigError('data.recordings', dir, 'an existing folder of .wav files (get FSDD with `npx melbook data fsdd`)', { cause: err });
  }
  const files = entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && e.name.toLowerCase().endsWith('.wav'))
    // parentPath arrived in Node 20.12; earlier 20.x name the same folder `path`.
    .map((e) => join(e.parentPath ?? e.path, e.name))
    // Symlinked recordings are welcome; a dangling link or a link to a folder is not a clip.
    .filter((file) => statSync(file, { throwIfNoEntry: false })?.isFile() ?? false);
  return files.sort();
}

/** Compile and check the configured regexes once. */
export function compileLabelOptions(options: LabelOptions): { fileRe: RegExp; folderRe: RegExp } {
  const compile = (key: string, source: string): RegExp => {
    let re: RegExp;
    try {
      re = new RegExp(source);
    } catch (err) {
      throw new ConfigError(key, source, 'a valid JavaScript regular expression', { cause: err });
    }
    if (!source.includes('(?<label>')) throw new ConfigError(key, source, 'a regex with a named group (?<label>...)');
    return re;
  };
  return {
    fileRe: options.layout === 'pattern' ? compile('data.pattern', options.pattern) : /^(?<name>.+)$/,
    folderRe: options.layout === 'folders' ? compile('data.folderPattern', options.folderPattern) : /^$/,
  };
}

/**
 * Read label, speaker and take from one path. Throws LabelError naming the file when the name
 * does not match the configured pattern.
 */
export function parseClip(root: string, file: string, options: LabelOptions, compiled = compileLabelOptions(options)): ClipSource {
  const id = relative(root, file).split(sep).join('/');
  const name = basename(file);
  if (options.layout === 'folders') {
    const folder = basename(dirname(file));
    if (dirname(id) === '.') throw new LabelError(file, `not inside a class folder (layout "folders" expects ${root}/<class>/${name})`);
    const m = compiled.folderRe.exec(folder);
    if (!m?.groups?.label) throw new LabelError(file, `folder "${folder}" does not match data.folderPattern ${options.folderPattern}`);
    const fm = /^(?<speaker>[A-Za-z]+)?[_-]?(?<take>\d+)?/.exec(name.replace(/\.wav$/i, ''));
    return { file, id, label: m.groups.label, speaker: fm?.groups?.speaker ?? 'unknown', take: fm?.groups?.take ? Number(fm.groups.take) : null };
  }
  const m = compiled.fileRe.exec(name);
  if (!m?.groups?.label) {
    throw new LabelError(file, `file name does not match data.pattern ${options.pattern} (rename it, or set data.pattern)`);
  }
  const take = m.groups.take !== undefined ? Number(m.groups.take) : null;
  return { file, id, label: m.groups.label, speaker: m.groups.speaker ?? 'unknown', take: Number.isFinite(take) ? take : null };
}

/** Parse every file; names that do not match become errors in `rejected`, never a crash. */
export function parseClips(root: string, files: readonly string[], options: LabelOptions): { clips: ClipSource[]; rejected: LabelError[] } {
  const compiled = compileLabelOptions(options);
  const clips: ClipSource[] = [];
  const rejected: LabelError[] = [];
  for (const file of files) {
    try {
      clips.push(parseClip(root, file, options, compiled));
    } catch (err) {
      if (err instanceof LabelError) rejected.push(err);
      else throw err;
    }
  }
  return { clips, rejected };
}

/** Class names in a stable order: numeric labels numerically, others alphabetically. */
export function classNames(labels: Iterable<string>): string[] {
  const unique = [...new Set(labels)];
  const numeric = unique.every((l) => /^-?\d+(\.\d+)?$/.test(l));
  return unique.sort(numeric ? (a, b) => Number(a) - Number(b) : undefined);
}
