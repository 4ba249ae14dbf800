import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { KernelError } from '../../src/errors';
import { DELIMITER, deserialize, newRequest, serialize } from '../../src/runner/jupyter-messages';

const key = 'a-secret-key';
const asBuffers = (frames: Array<string | Buffer>) => frames.map((f) => Buffer.from(f));

test('a request is signed with HMAC-SHA256 over header, parent header, metadata and content', () => {
  const message = newRequest('execute_request', { code: '1 + 1' }, 'session-1');
  const frames = serialize(key, message);
  assert.equal(frames[0], DELIMITER);
  const expected = createHmac('sha256', key).update(frames[2]).update(frames[3]).update(frames[4]).update(frames[5]).digest('hex');
  assert.equal(frames[1], expected);
  assert.equal(JSON.parse(frames[2] as string).version, '5.3');
  assert.equal(JSON.parse(frames[2] as string).msg_type, 'execute_request');
});

test('a signed message reads back whatever routing prefix precedes the delimiter', () => {
  const message = newRequest('kernel_info_request', {}, 's');
  const back = deserialize(key, [Buffer.from('topic-or-identity'), ...asBuffers(serialize(key, message))]);
  assert.deepEqual(back.header, message.header);
  assert.deepEqual(back.content, {});
});

test('a message whose content was altered after signing is rejected', () => {
  const frames = asBuffers(serialize(key, newRequest('execute_request', { code: 'safe()' }, 's')));
  frames[5] = Buffer.from(JSON.stringify({ code: 'evil()' }));
  assert.throws(() => deserialize(key, frames), (e: unknown) => e instanceof KernelError && /invalid HMAC signature/.test(e.message));
});

test('a message signed with another key is rejected', () => {
  const frames = asBuffers(serialize('other-key', newRequest('status', {}, 's')));
  assert.throws(() => deserialize(key, frames), KernelError);
});

test('a message without the delimiter is rejected as malformed', () => {
  assert.throws(() => deserialize(key, [Buffer.from('{}'), Buffer.from('{}')]), (e: unknown) =>
    e instanceof KernelError && /delimiter missing/.test(e.message));
});
