/**
 * What the dispatcher and the workers share about the BullMQ queue: its name, how a connection
 * is opened from a `--queue` URL, and the check that Redis answers before anything is enqueued
 * or taken. Redis that does not answer is a QueueUnreachableError naming the (redacted) URL.
 */
import IORedis from 'ioredis';
import { parseQueueUrl, type QueueTarget } from './queue-url';
import { MelbookError } from '../errors';

/** The BullMQ queue that training jobs go through. */
export const TRAINING_QUEUE = 'melbook-training';

/** How long the first connection may take before the command gives up, in ms. */
export const CONNECT_TIMEOUT_MS = 10_000;

export class QueueUnreachableError extends MelbookError {
  constructor(readonly url: string, reason: string, options?: { cause?: unknown }) {
    super(`cannot reach the job queue at ${url} (${reason}); start Redis there (redis-server) or fix --queue`, options);
  }
}

/**
 * BullMQ connection options for a target. `maxRetriesPerRequest: null` is what BullMQ workers
 * need: a command waits for a reconnect instead of failing, so a Redis restart is survived.
 */
export function connectionOptions(target: QueueTarget): Record<string, unknown> {
  return { ...target.connection, maxRetriesPerRequest: null, connectTimeout: CONNECT_TIMEOUT_MS, lazyConnect: false };
}

/** Resolve when Redis at `url` answers PING within `timeoutMs`; otherwise QueueUnreachableError. */
export async function checkQueueReachable(url: string | QueueTarget, timeoutMs = CONNECT_TIMEOUT_MS): Promise<QueueTarget> {
  const target = typeof url === 'string' ? parseQueueUrl(url) : url;
  const client = new IORedis({ ...target.connection, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, connectTimeout: timeoutMs });
  let lastError = 'no answer';
  client.on('error', (e: Error) => { lastError = e.message; });
  const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new QueueUnreachableError(target.display, `no answer within ${timeoutMs / 1000} s: ${lastError}`)), timeoutMs).unref());
  try {
    await Promise.race([client.connect().then(() => client.ping()), timer]);
  } catch (e) {
    if (e instanceof QueueUnreachableError) throw e;
    // The client's own error (a refused connection, an untrusted TLS certificate) says more than the closed connection.
    const reason = lastError === 'no answer' ? (e as Error).message : `${(e as Error).message} ${lastError}`;
    throw new QueueUnreachableError(target.display, redactError(reason, target), { cause: undefined });
  } finally {
    client.disconnect();
  }
  return target;
}

/** An error text with the target's password taken out, in case a client library quoted it. */
export function redactError(message: string, target: QueueTarget): string {
  const secret = target.connection.password;
  return secret ? message.split(secret).join('***') : message;
}
