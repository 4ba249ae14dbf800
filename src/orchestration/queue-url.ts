/**
 * The `--queue` URL of the distributed executor: `redis://[user:password@]host[:port][/db]` or
 * `rediss://…` for TLS. Parsed once into connection options; the password never leaves this
 * module except inside those options, and every message shows the URL redacted.
 */
import { MelbookError } from '../errors';

/** The accepted form, quoted in every error. */
export const QUEUE_URL_FORM = 'redis://[user:password@]host[:port][/db] or rediss://… (TLS)';

/** A malformed or unsupported `--queue` URL. The URL in the message is redacted. */
export class QueueUrlError extends MelbookError {
  readonly url: string;
  constructor(url: string, reason: string) {
    super(`--queue ${url}: ${reason}; expected ${QUEUE_URL_FORM}`);
    this.url = url;
  }
}

/** Connection options for ioredis / BullMQ, derived from a queue URL. */
export interface QueueConnection {
  host: string;
  /** TCP port. Default 6379. */
  port: number;
  /** Redis logical database. Default 0. */
  db: number;
  /** ACL user name, when the URL names one. */
  username?: string;
  /** ACL password or legacy `requirepass` secret, when the URL carries one. */
  password?: string;
  /** Set for `rediss://`: TLS with the host name checked against its certificate. */
  tls?: { servername: string };
}

export interface QueueTarget {
  connection: QueueConnection;
  /** The URL with any password replaced by `***`: the only form that may be printed or tagged. */
  display: string;
}

/** `redis://user:secret@host:6379/2` → `redis://user:***@host:6379/2`; text that is not a URL is cut to its scheme. */
export function redactQueueUrl(url: string): string {
  const at = url.lastIndexOf('@');
  const scheme = url.indexOf('://');
  if (at < 0 || scheme < 0 || at < scheme) return url.includes('@') ? '<unparsable URL with credentials>' : url;
  const credentials = url.slice(scheme + 3, at);
  const colon = credentials.indexOf(':');
  const user = colon < 0 ? '' : credentials.slice(0, colon);
  return `${url.slice(0, scheme + 3)}${user ? `${user}:` : ''}***@${url.slice(at + 1)}`;
}

/** Parse and check a `--queue` URL. Throws QueueUrlError (with the URL redacted) on anything else. */
export function parseQueueUrl(url: string): QueueTarget {
  const display = redactQueueUrl(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new QueueUrlError(display, 'not a URL');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new QueueUrlError(display, `unsupported scheme '${parsed.protocol.replace(/:$/, '')}'`);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new QueueUrlError(display, 'no host');
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new QueueUrlError(display, `port ${parsed.port} is out of range`);
  const path = parsed.pathname.replace(/^\//, '');
  if (!/^\d*$/.test(path)) throw new QueueUrlError(display, `database '${path}' is not a number`);
  if (parsed.search || parsed.hash) throw new QueueUrlError(display, 'query strings and fragments are not supported');
  const connection: QueueConnection = { host, port, db: path === '' ? 0 : Number(path) };
  if (parsed.username) connection.username = decodeURIComponent(parsed.username);
  if (parsed.password) connection.password = decodeURIComponent(parsed.password);
  if (parsed.protocol === 'rediss:') connection.tls = { servername: host };
  return { connection, display };
}
