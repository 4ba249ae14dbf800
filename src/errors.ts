/**
 * Every error melbook raises on purpose. Each carries the data a caller needs to act on it
 * (the file, the YAML path, the notebook cell) and a message that names the thing, the bad
 * value and the fix.
 */

/** Base class: sets `name` so logs and `instanceof` checks read well. */
export class MelbookError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A configuration value that is missing, of the wrong type or impossible. */
export class ConfigError extends MelbookError {
  /** Dotted YAML path of the offending key, e.g. `model.blocks.2.filters`. */
  readonly path: string;
  readonly value: unknown;
  /** What would have been accepted, in words. */
  readonly allowed: string;
  constructor(path: string, value: unknown, allowed: string, options?: { cause?: unknown; file?: string }) {
    const where = options?.file ? `${options.file}: ` : '';
    super(`${where}${path || '(root)'}: got ${formatValue(value)}; ${allowed}`, options);
    this.path = path;
    this.value = value;
    this.allowed = allowed;
  }
}

/**
 * A notebook file whose content breaks the nbformat 4 schema where melbook relies on it (e.g. an
 * `execution_count` that is not an integer): names the notebook, the cell and the bad value.
 */
export class NotebookFormatError extends ConfigError {
  /** The notebook file, as given to the reader. */
  readonly notebook: string;
  /** Index of the offending cell in `cells`. */
  readonly cellIndex: number;
  constructor(notebook: string, cellIndex: number, path: string, value: unknown, allowed: string) {
    super(path, value, allowed, { file: notebook });
    this.notebook = notebook;
    this.cellIndex = cellIndex;
  }
}

/** A file that could not be decoded as audio. `reason` is one short phrase. */
export class AudioDecodeError extends MelbookError {
  readonly file: string;
  readonly reason: string;
  constructor(file: string, reason: string, options?: { cause?: unknown }) {
    super(`${file}: ${reason}`, options);
    this.file = file;
    this.reason = reason;
  }
}

/** A file whose name does not give a label (or speaker) under the configured pattern. */
export class LabelError extends MelbookError {
  readonly file: string;
  readonly reason: string;
  constructor(file: string, reason: string) {
    super(`${file}: ${reason}`);
    this.file = file;
    this.reason = reason;
  }
}

/**
 * A folder given to score a model on (`melbook evaluate --external`, `evaluation.external`) that
 * cannot be scored as it is: `reason` says which of its files are at fault and the fix.
 */
export class ExternalSetError extends MelbookError {
  readonly dir: string;
  readonly kind: 'missing' | 'empty' | 'unlabelled' | 'unknown-label';
  constructor(dir: string, kind: ExternalSetError['kind'], reason: string, options?: { cause?: unknown }) {
    super(`${dir}: ${reason}`, options);
    this.dir = dir;
    this.kind = kind;
  }
}

/** A malformed or unsupported .npy file. */
export class NpyFormatError extends MelbookError {
  readonly file: string;
  constructor(file: string, reason: string, options?: { cause?: unknown }) {
    super(`${file}: ${reason}`, options);
    this.file = file;
  }
}

/**
 * A file melbook wrote earlier (metadata.json, a model bundle's melbook.json) that this version
 * does not accept: written by an older melbook, or edited. `problem` names the first bad key.
 */
export class StaleFileError extends MelbookError {
  readonly file: string;
  readonly problem: string;
  /** The command that writes the file afresh. */
  readonly fix: string;
  constructor(file: string, what: string, problem: string, fix: string) {
    super(`${file}: this ${what} does not match what this melbook writes (${problem}), probably written by an older version; ${fix}`);
    this.file = file;
    this.problem = problem;
    this.fix = fix;
  }
}

/** A feature folder's metadata.json that preprocess must write again. */
export class StaleMetadataError extends StaleFileError {
  constructor(file: string, problem: string) {
    super(file, 'dataset metadata', problem, 'run `melbook preprocess` again to rebuild the feature folder');
  }
}

/** A model bundle's melbook.json that only retraining rewrites. */
export class StaleBundleError extends StaleFileError {
  constructor(file: string, problem: string) {
    super(file, 'model bundle', problem, 'retrain with `melbook train` to write a current bundle');
  }
}

/** Misuse of the experiment tracker (changing a logged param, an invalid id, ...). */
export class TrackingError extends MelbookError {}

/** A model spec that cannot be built, naming the block and field. */
export class ModelSpecError extends MelbookError {
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.path = path;
  }
}

/** A notebook cell that failed while the headless runner executed it. */
export class NotebookExecutionError extends MelbookError {
  readonly notebook: string;
  /** Zero-based index of the failing cell among all cells of the notebook. */
  readonly cellIndex: number;
  readonly source: string;
  /** The error text the kernel produced (tslab sends it on stderr). */
  readonly output: string;
  constructor(notebook: string, cellIndex: number, source: string, output: string, options?: { cause?: unknown }) {
    const head = source.split('\n').slice(0, 3).join('\n');
    super(`${notebook}: cell ${cellIndex} failed\n--- cell source ---\n${head}\n--- error ---\n${output.trim()}`, options);
    this.notebook = notebook;
    this.cellIndex = cellIndex;
    this.source = source;
    this.output = output;
  }
}

/** The kernel process died, timed out or could not be started. */
export class KernelError extends MelbookError {}

/** A download or archive that failed its checks. */
export class FetchError extends MelbookError {}

function formatValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}
