/**
 * The notebook format, shared by the runner that writes notebooks and the report that reads
 * them: nbformat 4 types (in memory, every multi-line string is one `string`), the metadata
 * melbook records on each code cell, and the tags that mark the cells melbook adds.
 * https://nbformat.readthedocs.io/en/latest/format_description.html
 */

/** A mime bundle: mime type -> data (text, base64 for images, or a JSON value). */
export type MimeBundle = Record<string, unknown>;

export interface StreamOutput {
  output_type: 'stream';
  name: 'stdout' | 'stderr';
  text: string;
}
export interface DisplayDataOutput {
  output_type: 'display_data';
  data: MimeBundle;
  metadata: Record<string, unknown>;
}
export interface ExecuteResultOutput {
  output_type: 'execute_result';
  execution_count: number | null;
  data: MimeBundle;
  metadata: Record<string, unknown>;
}
export interface ErrorOutput {
  output_type: 'error';
  ename: string;
  evalue: string;
  traceback: string[];
}
export type Output = StreamOutput | DisplayDataOutput | ExecuteResultOutput | ErrorOutput;

export interface CodeCell {
  cell_type: 'code';
  id?: string;
  source: string;
  metadata: Record<string, unknown> & { tags?: string[] };
  execution_count: number | null;
  outputs: Output[];
}
export interface TextCell {
  cell_type: 'markdown' | 'raw';
  id?: string;
  source: string;
  metadata: Record<string, unknown> & { tags?: string[] };
  attachments?: Record<string, MimeBundle>;
}
export type Cell = CodeCell | TextCell;

export interface Notebook {
  nbformat: 4;
  nbformat_minor: number;
  metadata: Record<string, unknown>;
  cells: Cell[];
}

// ---------------------------------------------------------------- melbook's cell metadata

/** Where a code cell stands in a run. */
export type CellStatus = 'pending' | 'running' | 'completed' | 'failed';

/** `metadata.melbook` of a code cell: when it ran (ISO 8601), for how long, and how it ended. */
export interface CellRunMetadata {
  start: string | null;
  end: string | null;
  /** Seconds. */
  duration: number | null;
  status: CellStatus;
  exception: boolean | null;
}

// ---------------------------------------------------------------- tags of the cells melbook adds

/** Tag of the code cell whose assignments parameters override (papermill's convention). */
export const PARAMETERS_TAG = 'parameters';
/** Tag of the cell the runner inserts after the `parameters` cell. */
export const INJECTED_PARAMETERS_TAG = 'injected-parameters';
/** Tag of the error banner and anchor a failed run adds; a later run removes them. */
export const ERROR_CELL_TAG = 'melbook-error-cell-tag';
/** HTML id of the anchor cell placed right before the failed cell. */
export const ERROR_ANCHOR_ID = 'melbook-error-cell';
