/**
 * Turns the iopub messages answering one execute_request into nbformat outputs, the way
 * nbclient does: consecutive stream chunks of the same name are merged, `clear_output`
 * (optionally deferred with `wait`) empties the list, `update_display_data` rewrites every
 * earlier output with the same display id (in any cell of the session).
 */
import { JupyterMessage } from './jupyter-messages';
import type { DisplayDataOutput, ErrorOutput, ExecuteResultOutput, MimeBundle, Output, StreamOutput } from '../nbformat';

/** Display id -> the outputs showing it, shared by all cells run in one kernel session. */
export type DisplayRegistry = Map<string, Array<DisplayDataOutput | ExecuteResultOutput>>;

export class OutputCollector {
  /** Execution count from execute_input or execute_result, if the kernel sent one. */
  executionCount: number | null = null;
  private clearOnNextOutput = false;

  constructor(
    private readonly displays: DisplayRegistry,
    /** Called with every output appended or extended (streams: the new chunk only). */
    private readonly onOutput?: (output: Output) => void,
    /** The list outputs are written into as they arrive (e.g. the cell's own `outputs`). */
    readonly outputs: Output[] = [],
  ) {}

  /** Applies one iopub message; ignores kinds that produce no output (status, execute_input...). */
  handle(message: JupyterMessage): void {
    const c = message.content as Record<string, unknown>;
    switch (message.header.msg_type) {
      case 'execute_input':
        if (typeof c.execution_count === 'number') this.executionCount = c.execution_count;
        return;
      case 'stream':
        this.addStream(c.name === 'stderr' ? 'stderr' : 'stdout', String(c.text ?? ''));
        return;
      case 'display_data':
        this.addDisplay({ output_type: 'display_data', data: bundle(c.data), metadata: bundle(c.metadata) }, c.transient);
        return;
      case 'execute_result': {
        const count = typeof c.execution_count === 'number' ? c.execution_count : null;
        if (count !== null) this.executionCount = count;
        this.addDisplay({ output_type: 'execute_result', execution_count: count, data: bundle(c.data), metadata: bundle(c.metadata) }, c.transient);
        return;
      }
      case 'update_display_data': {
        const id = displayId(c.transient);
        for (const shown of (id && this.displays.get(id)) || []) {
          shown.data = bundle(c.data);
          shown.metadata = bundle(c.metadata);
        }
        return;
      }
      case 'error':
        this.add({
          output_type: 'error',
          ename: String(c.ename ?? ''),
          evalue: String(c.evalue ?? ''),
          traceback: Array.isArray(c.traceback) ? c.traceback.map(String) : [],
        });
        return;
      case 'clear_output':
        if (c.wait) this.clearOnNextOutput = true;
        else this.outputs.length = 0;
        return;
      default:
    }
  }

  /** The error text of the cell: error outputs if any, else what it wrote to stderr (tslab). */
  errorText(): string {
    const errors = this.outputs.filter((o): o is ErrorOutput => o.output_type === 'error');
    if (errors.length > 0) return errors.map(formatError).join('\n');
    return this.outputs
      .filter((o): o is StreamOutput => o.output_type === 'stream' && o.name === 'stderr')
      .map((o) => o.text)
      .join('');
  }

  /** Appends an output produced by the runner itself (a timeout, a dead kernel). */
  add(output: Output): void {
    this.flushClear();
    this.outputs.push(output);
    this.onOutput?.(output);
  }

  private addStream(name: 'stdout' | 'stderr', text: string): void {
    this.flushClear();
    const last = this.outputs[this.outputs.length - 1];
    if (last?.output_type === 'stream' && last.name === name) last.text += text;
    else this.outputs.push({ output_type: 'stream', name, text });
    this.onOutput?.({ output_type: 'stream', name, text });
  }

  private addDisplay(output: DisplayDataOutput | ExecuteResultOutput, transient: unknown): void {
    const id = displayId(transient);
    if (id) {
      const shown = this.displays.get(id) ?? [];
      shown.push(output);
      this.displays.set(id, shown);
    }
    this.add(output);
  }

  private flushClear(): void {
    if (!this.clearOnNextOutput) return;
    this.clearOnNextOutput = false;
    this.outputs.length = 0;
  }
}

/** `ename: evalue` and the traceback, with ANSI colour codes removed. */
export function formatError(error: ErrorOutput): string {
  // eslint-disable-next-line no-control-regex
  const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
  const head = [error.ename, error.evalue].filter(Boolean).join(': ');
  return [head, ...error.traceback.map(plain)].filter(Boolean).join('\n');
}

function bundle(value: unknown): MimeBundle {
  return value && typeof value === 'object' && !Array.isArray(value) ? { ...(value as MimeBundle) } : {};
}

function displayId(transient: unknown): string | undefined {
  const id = (transient as { display_id?: unknown } | undefined)?.display_id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}
