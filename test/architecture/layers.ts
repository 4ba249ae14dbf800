/**
 * The layer order of src/, top to bottom: the one place it is written down (the README's
 * Architecture section describes it in prose). A module may import from its own layer or any
 * layer below it, never from a layer above, and no two files or folders may import each other
 * in a circle. Each entry is a folder under src/ (`cli/` covers everything below it) or a file
 * at src/'s root. A new folder or root file must be placed here, or the import test fails.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['cli.ts', 'index.ts', 'cli/'], // faces: the `melbook` command and what notebooks import
  ['orchestration/'], // LOSO folds, seed ensembles, sweeps: lists of jobs for an executor
  ['stages/'], // single-run stages and the pipeline
  ['report/'],
  ['runner/'],
  ['train/'],
  ['data/'],
  ['config/'],
  ['model/'],
  ['viz/'],
  ['features/'],
  ['audio/'],
  ['tracking/'],
  ['nbformat.ts', 'progress.ts', 'atomic-write.ts', 'worker-file.ts'], // leaves every layer may use
  ['errors.ts'], // the bottom: MelbookError and its subclasses
];
