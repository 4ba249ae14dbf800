/**
 * The Jupyter messaging protocol (v5.3) wire format: building, signing, serializing and
 * verifying messages. Pure functions, no sockets (those live in `jupyter-client.ts`).
 *
 * A message on the wire is a list of frames:
 *   [routing ids..., "<IDS|MSG>", hmac, header, parent_header, metadata, content, buffers...]
 * where `hmac` is the hex HMAC-SHA256, keyed by the connection file's `key`, over the four
 * JSON frames header, parent_header, metadata and content, in that order.
 * https://jupyter-client.readthedocs.io/en/stable/messaging.html#the-wire-protocol
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { KernelError } from '../errors';

/** Protocol version this client speaks (and tslab 1.0 answers with). */
export const PROTOCOL_VERSION = '5.3';
/** Separates the ZeroMQ routing prefix from the signed message. */
export const DELIMITER = '<IDS|MSG>';

export interface MessageHeader {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  /** ISO 8601 timestamp. */
  date: string;
  version: string;
}

export interface JupyterMessage<C = Record<string, unknown>> {
  header: MessageHeader;
  /** Header of the request this message answers; `{}` for requests. */
  parent_header: Partial<MessageHeader>;
  metadata: Record<string, unknown>;
  content: C;
  /** Extra binary buffers after the content frame (unused by tslab). */
  buffers: Buffer[];
}

/** Signs with HMAC-SHA256 under `key`; an empty key disables signing, as the spec allows. */
export function sign(key: string, frames: readonly (string | Buffer)[]): string {
  if (key === '') return '';
  const hmac = createHmac('sha256', key);
  for (const frame of frames) hmac.update(frame);
  return hmac.digest('hex');
}

export function newHeader(msgType: string, session: string, username = 'melbook'): MessageHeader {
  return {
    msg_id: randomUUID(),
    msg_type: msgType,
    session,
    username,
    date: new Date().toISOString(),
    version: PROTOCOL_VERSION,
  };
}

export function newRequest<C>(msgType: string, content: C, session: string): JupyterMessage<C> {
  return { header: newHeader(msgType, session), parent_header: {}, metadata: {}, content, buffers: [] };
}

/** Frames to send on a Dealer socket (no routing prefix: the kernel's Router adds it). */
export function serialize(key: string, message: JupyterMessage<unknown>): Array<string | Buffer> {
  const body = [
    JSON.stringify(message.header),
    JSON.stringify(message.parent_header),
    JSON.stringify(message.metadata),
    JSON.stringify(message.content),
  ];
  return [DELIMITER, sign(key, body), ...body, ...message.buffers];
}

/**
 * Parses received frames, skipping any routing prefix (iopub topics), and verifies the
 * signature. Throws KernelError on a missing delimiter, a bad signature or bad JSON.
 */
export function deserialize(key: string, frames: readonly Buffer[]): JupyterMessage {
  const at = frames.findIndex((f) => f.length === DELIMITER.length && f.toString('latin1') === DELIMITER);
  if (at < 0 || frames.length < at + 6) {
    throw new KernelError(`malformed Jupyter message: ${frames.length} frames, delimiter ${at < 0 ? 'missing' : `at ${at}`}; expected "<IDS|MSG>", hmac and 4 JSON frames`);
  }
  const signature = frames[at + 1].toString('latin1');
  const body = frames.slice(at + 2, at + 6);
  if (key !== '') {
    const expected = Buffer.from(sign(key, body), 'latin1');
    const got = Buffer.from(signature, 'latin1');
    if (expected.length !== got.length || !timingSafeEqual(expected, got)) {
      throw new KernelError(`Jupyter message with an invalid HMAC signature "${signature.slice(0, 16)}..."; the kernel was started with a different key`);
    }
  }
  try {
    return {
      header: JSON.parse(body[0].toString('utf8')),
      parent_header: JSON.parse(body[1].toString('utf8')),
      metadata: JSON.parse(body[2].toString('utf8')),
      content: JSON.parse(body[3].toString('utf8')),
      buffers: frames.slice(at + 6),
    };
  } catch (error) {
    throw new KernelError(`Jupyter message with a frame that is not JSON: ${(error as Error).message}`, { cause: error });
  }
}
