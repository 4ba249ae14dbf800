/**
 * The engine interface the runner executes notebooks through, and its tslab and Deno
 * implementations (a kernel process from `kernel.ts` driven by the client in `jupyter-client.ts`).
 * Another kernel (a Python one, a remote one) plugs in by implementing `Engine`.
 */
import { KernelError } from '../errors';
import { JupyterClient } from './jupyter-client';
import { DENO_KERNEL_NAME } from './deno';
import { KernelExit, KernelProcess, startKernelProcess, waitForListening } from './kernel';
import type { Output } from '../nbformat';
import { DisplayRegistry, OutputCollector } from './outputs';

export interface CellExecution {
  /**
   * `ok`, `error` (the code failed), or `aborted`: the kernel skipped it after an earlier error
   * (tslab aborts every request that arrives within 200 ms of a failed cell, and says `abort`).
   */
  status: 'ok' | 'error' | 'aborted';
  executionCount: number | null;
  outputs: Output[];
  /** Why it failed: error outputs (`ename: evalue` + traceback), else the cell's stderr (tslab). */
  errorText: string;
}

export interface ExecuteOptions {
  /** Called live with each output (stream chunks one at a time) while the cell runs. */
  onOutput?: (output: Output) => void;
  /**
   * The list to write outputs into as they arrive, e.g. the cell's own `outputs`, so they are
   * there even if the cell never finishes. Default: a new list, returned in the result.
   */
  outputs?: Output[];
}

/** A running kernel. `execute` rejects with KernelError when the kernel dies under it. */
export interface KernelSession {
  /** Who runs the code, for messages: `tslab kernel (pid 1234)`. */
  readonly description: string;
  execute(code: string, options?: ExecuteOptions): Promise<CellExecution>;
  /** Interrupts the running cell (SIGINT or interrupt_request, as the kernel spec says). */
  interrupt(): Promise<void>;
  /** Asks the kernel to shut down, then kills it if it has not exited in time. Idempotent. */
  shutdown(): Promise<void>;
  /** Rejects with KernelError once the kernel is gone without shutdown() being asked. */
  readonly died: Promise<never>;
}

export interface EngineStartOptions {
  /** Working directory of the kernel (the notebook's folder). Default: `process.cwd()`. */
  cwd?: string;
  /** Give up if the kernel has not answered kernel_info within this many ms. Default: 60000. */
  startupTimeoutMs?: number;
}

export interface Engine {
  /** Kernel name as in kernel specs and notebook metadata, e.g. `tslab`. */
  readonly kernelName: string;
  start(options?: EngineStartOptions): Promise<KernelSession>;
}

export interface TslabEngineOptions {
  /** Run tslab's JavaScript kernel (jslab) instead of TypeScript. Default: false. */
  js?: boolean;
  /** tslab package directory. Default: the one this package depends on. */
  tslabDir?: string;
  /** Grace for a requested shutdown before the process group is killed, ms. Default: 3000. */
  shutdownGraceMs?: number;
  /**
   * How to interrupt: `signal` sends SIGINT to the kernel's process group; `message` sends an
   * interrupt_request on the control channel and falls back to SIGINT when no reply comes
   * within `interruptReplyMs`. Default: `signal`, because tslab's kernel spec sets no
   * `interrupt_mode` (so Jupyter's default, signal, applies) and tslab ignores interrupt_request.
   */
  interruptMode?: 'signal' | 'message';
  /** How long `message` interrupts wait for interrupt_reply, ms. Default: 1000. */
  interruptReplyMs?: number;
}

export function tslabEngine(options: TslabEngineOptions = {}): Engine {
  return {
    kernelName: options.js ? 'jslab' : 'tslab',
    start: (startOptions = {}) => TslabSession.start(options, startOptions),
  };
}

export interface DenoEngineOptions extends Pick<TslabEngineOptions, 'shutdownGraceMs' | 'interruptMode' | 'interruptReplyMs'> {
  /** The deno executable. Default: resolveDenoBinary() (the optional `deno` dependency). */
  denoBinary?: string;
  /**
   * After a cell's reply and idle, keep collecting its output this long, ms: Deno 2.9 sometimes
   * publishes a cell's execute_result just after going idle. Default: DENO_LATE_OUTPUT_MS.
   */
  lateOutputMs?: number;
}

/** Default wait for Deno's late execute_result, ms (seen a few ms late; a wide margin costs little per cell). */
export const DENO_LATE_OUTPUT_MS = 150;

/**
 * Deno's Jupyter kernel. It answers interrupt_request on the control channel, so interrupts
 * are messages by default (SIGINT only when no reply comes).
 */
export function denoEngine(options: DenoEngineOptions = {}): Engine {
  return {
    kernelName: DENO_KERNEL_NAME,
    start: (startOptions = {}) => TslabSession.start({ interruptMode: 'message', ...options, kernel: 'deno' }, startOptions),
  };
}

/** The engine for a kernel name as `--kernel` takes it: `tslab` (default) or `deno`. */
export function engineFor(kernel: 'tslab' | 'deno' = 'tslab'): Engine {
  return kernel === 'deno' ? denoEngine() : tslabEngine();
}

/** What a session is started with: the engine's options and which kernel to launch. */
type SessionOptions = TslabEngineOptions & DenoEngineOptions & { kernel?: 'tslab' | 'deno' };

/** A session with a kernel process melbook started: tslab's, or Deno's with `kernel: 'deno'`. */
class TslabSession implements KernelSession {
  readonly description: string;
  readonly died: Promise<never>;
  private readonly displays: DisplayRegistry = new Map();
  private shuttingDown: Promise<void> | null = null;
  private activity = 'starting';
  /** How long to keep collecting a cell's output after the kernel went idle, ms. */
  private readonly lateOutputMs: number;

  private constructor(
    private readonly kernel: KernelProcess,
    private readonly client: JupyterClient,
    private readonly options: SessionOptions,
  ) {
    this.description = `${options.kernel === 'deno' ? 'Deno' : 'tslab'} kernel (pid ${kernel.pid})`;
    this.lateOutputMs = options.lateOutputMs ?? (options.kernel === 'deno' ? DENO_LATE_OUTPUT_MS : 0);
    this.died = kernel.exited.then((exit) => {
      const error = this.shuttingDown
        ? new KernelError(`${this.description} was shut down`)
        : new KernelError(`kernel died (${this.description}, ${describeExit(exit)}) while ${this.activity}${logSuffix(kernel.logTail())}`);
      client.close(error);
      throw error;
    });
    this.died.catch(() => undefined);
  }

  static async start(engine: SessionOptions, options: EngineStartOptions): Promise<TslabSession> {
    const kernel = await startKernelProcess({ cwd: options.cwd, js: engine.js, tslabDir: engine.tslabDir, kernel: engine.kernel, denoBinary: engine.denoBinary });
    const client = new JupyterClient(kernel.connection, `melbook-${kernel.pid}-${Date.now()}`);
    const session = new TslabSession(kernel, client, engine);
    try {
      client.connect();
      await session.waitForReady(options.startupTimeoutMs ?? 60_000);
    } catch (error) {
      await session.shutdown();
      throw error;
    }
    session.activity = 'idle';
    return session;
  }

  async execute(code: string, options: ExecuteOptions = {}): Promise<CellExecution> {
    const collector = new OutputCollector(this.displays, options.onOutput, options.outputs);
    this.activity = `executing ${JSON.stringify(code.length > 60 ? `${code.slice(0, 57)}...` : code)}`;
    const pending = this.client.request('shell', 'execute_request', {
      code,
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: false,
      stop_on_error: true,
    }, { onIopub: (m) => collector.handle(m), untilReleased: this.lateOutputMs > 0 });
    try {
      const [reply] = await Promise.race([Promise.all([pending.reply, pending.idle]), this.died]);
      if (this.lateOutputMs > 0) await new Promise((resolve) => setTimeout(resolve, this.lateOutputMs));
      const content = reply.content as { status?: string; execution_count?: number; ename?: string; evalue?: string; traceback?: string[] };
      const status = content.status === 'ok' ? 'ok' : content.status === 'aborted' || content.status === 'abort' ? 'aborted' : 'error';
      const executionCount = typeof content.execution_count === 'number' ? content.execution_count : collector.executionCount;
      let errorText = collector.errorText();
      if (status === 'error' && !errorText.trim()) errorText = replyErrorText(content);
      return { status, executionCount, outputs: collector.outputs, errorText };
    } finally {
      this.client.release(pending.msgId);
      this.activity = 'idle';
    }
  }

  async interrupt(): Promise<void> {
    if (this.options.interruptMode === 'message') {
      const timeoutMs = this.options.interruptReplyMs ?? 1000;
      try {
        await this.client.request('control', 'interrupt_request', {}, { timeoutMs }).reply;
        return;
      } catch { /* no interrupt_reply: fall back to the signal */ }
    }
    this.kernel.signal('SIGINT');
  }

  shutdown(): Promise<void> {
    const graceMs = this.options.shutdownGraceMs ?? 3000;
    this.shuttingDown ??= (async () => {
      if (!this.kernel.exitStatus()) {
        try {
          await this.client.request('control', 'shutdown_request', { restart: false }, { timeoutMs: graceMs }).reply;
        } catch { /* not answering: killed below */ }
        const timer = new Promise((resolve) => setTimeout(resolve, graceMs).unref());
        await Promise.race([this.kernel.exited, timer]);
      }
      await this.kernel.kill();
      this.client.close(new KernelError(`${this.description} was shut down`));
    })();
    return this.shuttingDown;
  }

  /**
   * Sends kernel_info_request until one is answered on shell AND its `idle` status arrives on
   * iopub: the reply alone does not prove the iopub subscription is live yet.
   */
  private async waitForReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const c = this.kernel.connection;
    try {
      await waitForListening(c.ip, [c.shell_port, c.iopub_port, c.stdin_port, c.control_port, c.hb_port], { timeoutMs, alive: () => !this.kernel.exitStatus() });
    } catch {
      // Not listening in time, or the kernel exited: the request loop below reports it with the kernel log.
    }
    while (Date.now() < deadline) {
      const attempt = this.client.request('shell', 'kernel_info_request', {}, { timeoutMs: Math.min(2000, deadline - Date.now()) });
      try {
        await Promise.race([attempt.reply, this.died]);
        const ready = await Promise.race([
          attempt.idle.then(() => true),
          new Promise<boolean>((resolve) => setTimeout(resolve, 500, false).unref()),
          this.died,
        ]);
        if (ready) return;
      } catch (error) {
        if (this.kernel.exitStatus()) throw error;
      } finally {
        this.client.release(attempt.msgId);
      }
    }
    throw new KernelError(`${this.description} did not answer kernel_info_request within ${timeoutMs} ms${logSuffix(this.kernel.logTail())}`);
  }
}

function describeExit(exit: KernelExit): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

function logSuffix(tail: string): string {
  return tail.trim() ? `; kernel log: ${tail.trim()}` : '';
}

function replyErrorText(content: { ename?: string; evalue?: string; traceback?: string[] }): string {
  const head = [content.ename, content.evalue].filter(Boolean).join(': ');
  return [head, ...(content.traceback ?? [])].filter(Boolean).join('\n') || 'the kernel reported an error without a message';
}

