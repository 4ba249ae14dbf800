import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { freePorts, waitForListening } from '../../src/runner/kernel';

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

test('waitForListening waits for the last of the ports, as a client must before its first request to tslab', async () => {
  const [a, b] = await freePorts(2);
  const first = await listen(a);
  let second: net.Server | undefined;
  const late = setTimeout(async () => { second = await listen(b); }, 300);
  const t0 = Date.now();
  try {
    await waitForListening('127.0.0.1', [a, b], { timeoutMs: 5000, settleMs: 0 });
    assert.ok(Date.now() - t0 >= 290, `resolved after ${Date.now() - t0} ms, before the second port listened`);
    assert.ok(second, 'the second port is listening');
  } finally {
    clearTimeout(late);
    first.close();
    second?.close();
  }
});

test('waitForListening gives up after its timeout, or at once when the process it waits for is gone', async () => {
  const [never] = await freePorts(1);
  await assert.rejects(waitForListening('127.0.0.1', [never], { timeoutMs: 300 }), new RegExp(`ports ${never} on 127.0.0.1 were not all listening within 300 ms`));
  const t0 = Date.now();
  await assert.rejects(waitForListening('127.0.0.1', [never], { timeoutMs: 10_000, alive: () => false }));
  assert.ok(Date.now() - t0 < 1000);
});
