/**
 * The error banner papermill puts in a failed notebook, for melbook: a red markdown cell at
 * the top linking to an anchor cell placed right before the failed cell. Both are tagged so a
 * later run removes them before executing.
 */
import { ERROR_ANCHOR_ID, ERROR_CELL_TAG, type Cell, type Notebook, type TextCell } from '../nbformat';
import { newCellId } from './notebook-io';

const STYLE = 'style="color:red; font-family:Helvetica Neue, Helvetica, Arial, sans-serif; font-size:2em;"';

/** A copy of the notebook without the error cells of an earlier failed run. */
export function removeErrorCells(nb: Notebook): Notebook {
  return { ...nb, cells: nb.cells.filter((c) => !c.metadata?.tags?.includes(ERROR_CELL_TAG)) };
}

/**
 * A copy of the notebook with the banner first and the anchor before cell `failedIndex`.
 * `label` names the failed cell in the banner, e.g. `In [4]`.
 */
export function addErrorCells(nb: Notebook, failedIndex: number, label: string, reason: string): Notebook {
  const withIds = nb.nbformat_minor >= 5;
  const cell = (source: string): TextCell => ({
    cell_type: 'markdown',
    ...(withIds ? { id: newCellId() } : {}),
    source,
    metadata: { tags: [ERROR_CELL_TAG] },
  });
  const banner = cell(`<span ${STYLE}>An Exception was encountered at '<a href="#${ERROR_ANCHOR_ID}">${escapeHtml(label)}</a>': ${escapeHtml(reason)}</span>`);
  const anchor = cell(`<span id="${ERROR_ANCHOR_ID}" ${STYLE}>Execution using melbook encountered an exception here and stopped:</span>`);
  const cells: Cell[] = [banner, ...nb.cells.slice(0, failedIndex), anchor, ...nb.cells.slice(failedIndex)];
  return { ...nb, cells };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}
