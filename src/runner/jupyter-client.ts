/**
 * A minimal Jupyter client over ZeroMQ: Dealer sockets for shell and control requests, a
 * Subscriber for iopub broadcasts. Requests are matched to replies and to iopub messages by
 * the request's msg_id (the reply's `parent_header.msg_id`). Every incoming message has its
 * HMAC signature verified (`jupyter-messages.ts`).
 *
 * It knows nothing about processes: `kernel.ts` starts the kernel, `engine.ts` joins both.
 */
import type * as Zmq from 'zeromq';
import { KernelError } from '../errors';
import { JupyterMessage, deserialize, newRequest, serialize } from './jupyter-messages';

/** The connection file a kernel is started with. */
export interface ConnectionInfo {
  transport: 'tcp';
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: 'hmac-sha256';
  kernel_name?: string;
}

/** Called with each iopub message whose parent is a request sent by this client. */
export type IopubHandler = (message: JupyterMessage) => void;

export interface RequestOptions {
  /** Give up waiting for the reply after this many ms (KernelError). Default: wait forever. */
  timeoutMs?: number;
  /** Receives iopub messages answering this request, in order, until it is released. */
  onIopub?: IopubHandler;
  /**
   * Keep routing iopub messages after reply and idle, until release(): for a kernel that
   * publishes some output after going idle (Deno's execute_result can come a few ms late).
   * Default: false (late output is dropped, as nbclient does).
   */
  untilReleased?: boolean;
}

/** A request in flight: the reply, and a promise for iopub `status: idle` of the same parent. */
export interface PendingRequest {
  msgId: string;
  reply: Promise<JupyterMessage>;
  idle: Promise<void>;
}

type Channel = 'shell' | 'control';

interface Waiter {
  resolveReply: (m: JupyterMessage) => void;
  rejectReply: (e: Error) => void;
  resolveIdle: () => void;
  rejectIdle: (e: Error) => void;
  onIopub?: IopubHandler;
  untilReleased?: boolean;
  gotReply?: boolean;
  gotIdle?: boolean;
}

export class JupyterClient {
  readonly session: string;
  private readonly shell: Zmq.Dealer;
  private readonly control: Zmq.Dealer;
  private readonly iopub: Zmq.Subscriber;
  private readonly waiters = new Map<string, Waiter>();
  private closedWith: Error | null = null;

  constructor(private readonly connection: ConnectionInfo, session: string) {
    this.session = session;
    // Loaded here, not at import: importing melbook (e.g. in a notebook) must not load the addon.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const zmq = require('zeromq') as typeof Zmq;
    this.shell = new zmq.Dealer({ linger: 0 });
    this.control = new zmq.Dealer({ linger: 0 });
    this.iopub = new zmq.Subscriber({ linger: 0 });
  }

  /** Connects all sockets. The kernel need not be listening yet: ZeroMQ reconnects. */
  connect(): void {
    const url = (port: number) => `${this.connection.transport}://${this.connection.ip}:${port}`;
    this.shell.connect(url(this.connection.shell_port));
    this.control.connect(url(this.connection.control_port));
    this.iopub.connect(url(this.connection.iopub_port));
    this.iopub.subscribe();
    void this.pump(this.shell, 'reply');
    void this.pump(this.control, 'reply');
    void this.pump(this.iopub, 'iopub');
  }

  /**
   * Sends a request and returns promises for its reply and for the kernel going idle after it.
   * Both reject with KernelError if the client is closed (the kernel died) before they settle.
   */
  request(channel: Channel, msgType: string, content: unknown, options: RequestOptions = {}): PendingRequest {
    if (this.closedWith) throw this.closedWith;
    const message = newRequest(msgType, content, this.session);
    const msgId = message.header.msg_id;
    let waiter!: Waiter;
    const reply = new Promise<JupyterMessage>((resolveReply, rejectReply) => {
      waiter = { resolveReply, rejectReply } as Waiter;
    });
    const idle = new Promise<void>((resolveIdle, rejectIdle) => {
      Object.assign(waiter, { resolveIdle, rejectIdle, onIopub: options.onIopub, untilReleased: options.untilReleased });
    });
    // Callers often await only one of the two; the other must not become an unhandled rejection.
    reply.catch(() => undefined);
    idle.catch(() => undefined);
    this.waiters.set(msgId, waiter);
    const socket = channel === 'shell' ? this.shell : this.control;
    socket.send(serialize(this.connection.key, message)).catch((error: Error) => this.fail(msgId, error));
    if (options.timeoutMs !== undefined) {
      const timer = setTimeout(() => {
        this.fail(msgId, new KernelError(`no ${msgType} reply from the kernel within ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      timer.unref();
      reply.then(() => clearTimeout(timer), () => clearTimeout(timer));
    }
    return { msgId, reply, idle };
  }

  /** Stops routing iopub messages for a request (after idle, or when abandoning it). */
  release(msgId: string): void {
    this.waiters.delete(msgId);
  }

  /**
   * Rejects every pending request with `error` and closes the sockets. Idempotent.
   * The engine calls this when the kernel process exits.
   */
  close(error: Error = new KernelError('Jupyter client closed')): void {
    if (this.closedWith) return;
    this.closedWith = error;
    for (const waiter of this.waiters.values()) {
      waiter.rejectReply(error);
      waiter.rejectIdle(error);
    }
    this.waiters.clear();
    for (const socket of [this.shell, this.control, this.iopub]) {
      if (!socket.closed) socket.close();
    }
  }

  private fail(msgId: string, error: Error): void {
    const waiter = this.waiters.get(msgId);
    if (!waiter) return;
    this.waiters.delete(msgId);
    waiter.rejectReply(error);
    waiter.rejectIdle(error);
  }

  private async pump(socket: Zmq.Dealer | Zmq.Subscriber, kind: 'reply' | 'iopub'): Promise<void> {
    try {
      for await (const frames of socket) {
        let message: JupyterMessage;
        try {
          message = deserialize(this.connection.key, frames);
        } catch (error) {
          this.close(error as Error);
          return;
        }
        const waiter = this.waiters.get(message.parent_header.msg_id ?? '');
        if (!waiter) continue;
        if (kind === 'reply') {
          waiter.gotReply = true;
          waiter.resolveReply(message);
        } else {
          waiter.onIopub?.(message);
          if (message.header.msg_type === 'status' && message.content.execution_state === 'idle') {
            waiter.gotIdle = true;
            waiter.resolveIdle();
          }
        }
        // Both seen: the request is over (late output after idle is dropped, as nbclient does).
        if (waiter.gotReply && waiter.gotIdle && !waiter.untilReleased) this.waiters.delete(message.parent_header.msg_id ?? '');
      }
    } catch (error) {
      // Closing a socket ends its iterator with an error; only report it if unexpected.
      if (!this.closedWith) this.close(new KernelError(`ZeroMQ ${kind} socket failed: ${(error as Error).message}`, { cause: error }));
    }
  }
}
