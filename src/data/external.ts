/**
 * A folder of labelled wavs outside the dataset (another microphone, other voices) to score a
 * trained model on. Its files are named as the config's `data.layout` says (`data.pattern` or
 * one folder per class), parsed by the same code as the dataset (labels.ts), and grouped for a
 * per-voice table: by speaker when `data.pattern` gives one, else by sub-folder.
 */
import { basename, resolve } from 'node:path';
import { listWavFiles, parseClips, type ClipSource, type LabelOptions } from './labels';
import { ExternalSetError } from '../errors';

/** One clip of an external set with the group its accuracy is reported under. */
export interface ExternalClip extends ClipSource {
  /** Speaker (the pattern's `speaker` group), else the sub-folder. */
  group: string;
}

export interface ExternalSet {
  /** The folder as given. */
  dir: string;
  clips: ExternalClip[];
  /** What the groups are: speakers, or the sub-folders under `dir` (`.` for `dir` itself). */
  groupBy: 'speaker' | 'folder';
}

/** How many unlabelled files an error lists before `and N more`. */
const LISTED = 5;

/**
 * Every `.wav` under `dir` (sub-folders included) with its label and group. Throws
 * ExternalSetError when the folder is missing or holds no wav, or when any file's name (or
 * class folder) gives no label: nothing is scored with clips silently left out.
 */
export function listExternalClips(dir: string, labels: LabelOptions): ExternalSet {
  let files: string[];
  try {
    files = listWavFiles(dir, 'folders');
  } catch (err) {
    throw new ExternalSetError(dir, 'missing', 'not a readable folder; pass a folder of labelled .wav files', { cause: err });
  }
  if (files.length === 0) throw new ExternalSetError(dir, 'empty', `no .wav files in this folder or its sub-folders; ${howToName(labels)}`);
  const { clips, rejected } = parseClips(dir, files, labels);
  if (rejected.length > 0) {
    const listed = rejected.slice(0, LISTED).map((e) => `  ${e.message}`);
    const more = rejected.length > LISTED ? [`  and ${rejected.length - LISTED} more`] : [];
    throw new ExternalSetError(dir, 'unlabelled', [`${rejected.length} of ${files.length} files have no label; ${howToName(labels)}:`, ...listed, ...more].join('\n'));
  }
  // The folders layout's speaker is a guess from the file name: its groups are folders.
  const bySpeaker = labels.layout === 'pattern' && clips.every((c) => c.speaker !== 'unknown');
  return {
    dir,
    groupBy: bySpeaker ? 'speaker' : 'folder',
    clips: clips.map((c) => ({ ...c, group: bySpeaker ? c.speaker : subFolderOf(c, labels.layout) })),
  };
}

/**
 * Throws ExternalSetError when the set holds a label the model was not trained on, naming the
 * labels and the model's classes: such clips cannot be right, and leaving them out would hide it.
 */
export function checkExternalLabels(set: ExternalSet, classNames: readonly string[]): void {
  const known = new Set(classNames);
  const unknown = [...new Set(set.clips.map((c) => c.label))].filter((l) => !known.has(l)).sort();
  if (unknown.length === 0) return;
  const example = set.clips.find((c) => c.label === unknown[0])!;
  throw new ExternalSetError(
    set.dir,
    'unknown-label',
    `label(s) ${unknown.map((l) => JSON.stringify(l)).join(', ')} (e.g. ${example.id}) are not classes of the model [${classNames.join(', ')}]; remove those clips or score a model trained on those classes`,
  );
}

/** A short, metric-key-safe name of the set's folder (letters, digits, `_ - .`). */
export function externalSetName(dir: string): string {
  return basename(resolve(dir)).replace(/[^A-Za-z0-9_.-]+/g, '_') || 'external';
}

/** The first folder under the set's root that is not the class folder; `.` for the root itself. */
function subFolderOf(clip: ClipSource, layout: LabelOptions['layout']): string {
  const parts = clip.id.split('/');
  // In the folders layout the last folder names the class: the group is the folder above it.
  const depth = layout === 'folders' ? parts.length - 2 : parts.length - 1;
  return depth > 0 ? parts[0] : '.';
}

function howToName(labels: LabelOptions): string {
  return labels.layout === 'folders'
    ? `put each clip in a class folder matching data.folderPattern ${labels.folderPattern} (e.g. DIR/7/clip.wav)`
    : `name each clip to match data.pattern ${labels.pattern} (e.g. 7_ann_0.wav), or set data.pattern`;
}
