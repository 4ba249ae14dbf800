/**
 * A real Debian `redis-server` for tests: started on a free loopback port in a temporary folder,
 * nothing persisted, stopped by the caller. Outside CI a missing binary skips the test with the
 * install command; in CI (which installs it in .ci/run) it fails (requireOrSkip).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { requireOrSkip } from './skip';

export const REDIS_SERVER = process.env.MELBOOK_REDIS_SERVER ?? '/usr/bin/redis-server';

export interface RedisOptions {
  /** An ACL user with every right: `redis://user:password@…` works, the default user is off. */
  user?: { name: string; password: string };
  /** Serve TLS only (`rediss://localhost:PORT`) with this certificate and key (PEM files). */
  tls?: { cert: string; key: string };
}

export interface RunningRedis {
  port: number;
  /** `redis://127.0.0.1:PORT` (with the ACL user's credentials when one was asked for). */
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** True when the server binary runs; otherwise skips `t` (outside CI) or throws (in CI). */
export function redisAvailable(t: TestContext): boolean {
  const ok = spawnSync(REDIS_SERVER, ['--version'], { stdio: 'ignore' }).status === 0;
  return requireOrSkip(t, ok, `${REDIS_SERVER} is missing (apt-get install redis-server)`);
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket: Socket = createConnection({ host: '127.0.0.1', port }, () => socket.write('PING\r\n'));
    socket.setTimeout(500, () => { socket.destroy(); resolve(false); });
    socket.once('data', (d: Buffer) => { socket.destroy(); resolve(/PONG|NOAUTH/.test(d.toString())); });
    socket.once('error', () => resolve(false));
  });
}

/** A TLS port cannot answer a plain PING: a TCP connection is the sign of life. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket: Socket = createConnection({ host: '127.0.0.1', port }, () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A throwaway CA and a certificate for `localhost` / 127.0.0.1 signed by it, made with Debian's
 * openssl in `dir`: clients trust it through NODE_EXTRA_CA_CERTS=ca.
 */
export function makeTestCertificates(dir: string): { ca: string; cert: string; key: string } {
  const run = (args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
  };
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=melbook test CA']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '1', '-extfile', 'san.cnf']);
  return { ca: join(dir, 'ca.crt'), cert: join(dir, 'server.crt'), key: join(dir, 'server.key') };
}

export async function startRedis(options: RedisOptions = {}, port?: number): Promise<RunningRedis> {
  const chosen = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'melbook-redis-'));
  const args = ['--port', String(chosen), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'];
  if (options.tls) args.splice(0, 2, '--port', '0', '--tls-port', String(chosen), '--tls-cert-file', options.tls.cert, '--tls-key-file', options.tls.key, '--tls-auth-clients', 'no');
  if (options.user) args.push('--user', options.user.name, 'on', `>${options.user.password}`, '~*', '&*', '+@all', '--user', 'default', 'off');
  const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const deadline = Date.now() + 10_000;
  while (!(options.tls ? await listening(chosen) : await pingOnce(chosen))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not start on 127.0.0.1:${chosen} (exit ${child.exitCode})`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const auth = options.user ? `${options.user.name}:${encodeURIComponent(options.user.password)}@` : '';
  return {
    port: chosen,
    url: options.tls ? `rediss://${auth}localhost:${chosen}` : `redis://${auth}127.0.0.1:${chosen}`,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
