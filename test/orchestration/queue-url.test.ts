import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQueueUrl, redactQueueUrl, QueueUrlError } from '../../src/orchestration/queue-url';

test('a plain redis URL gives host, port and database with defaults', () => {
  assert.deepEqual(parseQueueUrl('redis://127.0.0.1').connection, { host: '127.0.0.1', port: 6379, db: 0 });
  assert.deepEqual(parseQueueUrl('redis://queue.lab:6380/3').connection, { host: 'queue.lab', port: 6380, db: 3 });
  assert.equal(parseQueueUrl('redis://[::1]:7000').connection.host, '::1');
});

test('ACL credentials are parsed, and only the redacted URL is shown', () => {
  const t = parseQueueUrl('redis://trainer:s%40cret@10.0.0.5:6379/1');
  assert.equal(t.connection.username, 'trainer');
  assert.equal(t.connection.password, 's@cret');
  assert.equal(t.display, 'redis://trainer:***@10.0.0.5:6379/1');
  assert.ok(!t.display.includes('cret'));
  assert.equal(parseQueueUrl('redis://:onlypass@h').display, 'redis://***@h');
});

test('rediss:// turns TLS on with the host name as server name', () => {
  assert.deepEqual(parseQueueUrl('rediss://h.example:6380').connection.tls, { servername: 'h.example' });
  assert.equal(parseQueueUrl('redis://h').connection.tls, undefined);
});

test('malformed URLs are refused with the accepted form, and never echo a password', () => {
  for (const bad of ['localhost:6379', 'http://h:6379', 'redis://', 'redis://h:99999', 'redis://h/abc', 'redis://u:topsecret@h/x', 'redis://h?db=1', '']) {
    assert.throws(() => parseQueueUrl(bad), (e: unknown) => {
      assert.ok(e instanceof QueueUrlError, `${bad}: ${String(e)}`);
      assert.match(e.message, /expected redis:\/\/\[user:password@\]host/);
      assert.ok(!e.message.includes('topsecret'), e.message);
      return true;
    });
  }
});

test('redaction hides the password of text that does not parse as a URL', () => {
  assert.equal(redactQueueUrl('redis://u:p@ss@h'), 'redis://u:***@h');
  assert.ok(!redactQueueUrl('garbage:secret@host').includes('secret'));
});
