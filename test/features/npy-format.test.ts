import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { NpyFormatError } from '../../src/errors';
import { decodeNpy, encodeNpy, readNpy, readNpySync, writeNpy, writeNpySync } from '../../src/features/npy';
import { PYTHON, requirePython } from '../helpers/skip';

const dir = mkdtempSync(path.join(tmpdir(), 'melbook-npy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SHAPES: number[][] = [[], [0], [5], [2, 3], [0, 5], [2, 0, 3], [1, 2, 3, 4, 5], [3, 1]];
const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const ramp = (shape: number[]) => Float32Array.from({ length: count(shape) }, (_, i) => (i - 3) * 0.25);

/** A .npy file with an arbitrary header dict and body, for reader tests. */
function handMade(dict: string, body: Uint8Array, major = 1): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  const padded = dict + ' '.repeat(63 - ((prefix + dict.length) % 64)) + '\n';
  const out = new Uint8Array(prefix + padded.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, padded.length, true);
  else view.setUint32(8, padded.length, true);
  out.set(Buffer.from(padded, 'latin1'), prefix);
  out.set(body, prefix + padded.length);
  return out;
}

test('encodeNpy and decodeNpy round-trip every rank, including 0-d and empty dimensions', () => {
  for (const shape of SHAPES) {
    const data = ramp(shape);
    const back = decodeNpy(encodeNpy(data, shape));
    assert.deepEqual(back.shape, shape);
    assert.deepEqual(back.data, data);
  }
});

test('special float values survive a round trip bit for bit', () => {
  const data = new Float32Array([NaN, Infinity, -Infinity, -0, 1e-45, 3.4028234663852886e38]);
  const back = decodeNpy(encodeNpy(data, [6])).data;
  assert.deepEqual(new Uint32Array(back.buffer), new Uint32Array(data.buffer));
});

test('the header is a numpy dict literal and the data starts at a multiple of 64 bytes', () => {
  for (const shape of SHAPES) {
    const bytes = encodeNpy(ramp(shape), shape);
    assert.equal(bytes[6], 1, 'version 1.0');
    const headerLen = bytes[8] | (bytes[9] << 8);
    assert.equal((10 + headerLen) % 64, 0);
    assert.equal(bytes.length, 10 + headerLen + 4 * count(shape));
    const header = Buffer.from(bytes.subarray(10, 10 + headerLen)).toString('latin1');
    const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
    assert.ok(header.startsWith(`{'descr': '<f4', 'fortran_order': False, 'shape': ${dims}, }`), header);
    assert.ok(header.endsWith('\n'));
  }
});

test('a header too long for version 1.0 is written as version 2.0 and read back', () => {
  const shape = new Array<number>(30000).fill(1);
  const bytes = encodeNpy(new Float32Array([7]), shape);
  assert.equal(bytes[6], 2);
  assert.equal(new DataView(bytes.buffer).getUint32(8, true) % 64, 64 - 12);
  const back = decodeNpy(bytes);
  assert.equal(back.shape.length, 30000);
  assert.deepEqual(back.data, new Float32Array([7]));
});

test('other dtypes and byte orders are converted to float32', () => {
  const values = [1, -2, 3, 100];
  const cases: [string, number, (v: DataView, i: number, x: number) => void][] = [
    ['<f8', 8, (v, i, x) => v.setFloat64(i * 8, x, true)],
    ['>f4', 4, (v, i, x) => v.setFloat32(i * 4, x, false)],
    ['>f8', 8, (v, i, x) => v.setFloat64(i * 8, x, false)],
    ['<i2', 2, (v, i, x) => v.setInt16(i * 2, x, true)],
    ['>i4', 4, (v, i, x) => v.setInt32(i * 4, x, false)],
    ['<i4', 4, (v, i, x) => v.setInt32(i * 4, x, true)],
    ['|i1', 1, (v, i, x) => v.setInt8(i, x)],
    ['<i8', 8, (v, i, x) => v.setBigInt64(i * 8, BigInt(x), true)],
  ];
  for (const [descr, size, write] of cases) {
    const body = new Uint8Array(values.length * size);
    values.forEach((x, i) => write(new DataView(body.buffer), i, x));
    const out = decodeNpy(handMade(`{'descr': '${descr}', 'fortran_order': False, 'shape': (2, 2), }`, body));
    assert.deepEqual(Array.from(out.data), values, descr);
  }
  const u1 = decodeNpy(handMade("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", new Uint8Array([0, 128, 255])));
  assert.deepEqual(Array.from(u1.data), [0, 128, 255]);
});

test('Fortran-order arrays are transposed into C order', () => {
  // C-order value at [i, j, k] is 100 i + 10 j + k; Fortran order stores i fastest.
  const shape = [2, 3, 4];
  const body = new Float32Array(24);
  for (let k = 0, n = 0; k < 4; k++) for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) body[n++] = 100 * i + 10 * j + k;
  const out = decodeNpy(handMade("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3, 4), }", new Uint8Array(body.buffer)));
  assert.deepEqual(out.shape, shape);
  for (let i = 0, c = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) assert.equal(out.data[c++], 100 * i + 10 * j + k);
});

test('malformed files raise NpyFormatError naming the file and the problem', () => {
  const good = encodeNpy(new Float32Array(6), [2, 3]);
  const expectError = (bytes: Uint8Array, pattern: RegExp) =>
    assert.throws(() => decodeNpy(bytes, 'features/7_x.npy'), (err: unknown) => {
      assert.ok(err instanceof NpyFormatError);
      assert.equal(err.file, 'features/7_x.npy');
      assert.match(err.message, /^features\/7_x\.npy: /);
      assert.match(err.message, pattern);
      return true;
    });
  expectError(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), /bad magic/);
  expectError(good.subarray(0, good.length - 5), /truncated data \(expected 24 bytes .* found 19\)/);
  expectError(good.subarray(0, 40), /truncated header/);
  expectError(handMade("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8)), /unsupported dtype '<c8'/);
  expectError(handMade("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4)), /structured dtypes/);
  const v9 = good.slice();
  v9[6] = 9;
  expectError(v9, /unsupported \.npy format version 9\.0/);
});

test('encodeNpy rejects a shape that does not match the data', () => {
  assert.throws(() => encodeNpy(new Float32Array(5), [2, 3]), /holds 6 elements but data has 5/);
  assert.throws(() => encodeNpy(new Float32Array(0), [-1]), /not a non-negative integer/);
});

test('writeNpy writes atomically (no temporary file left) and readNpy reads it back', async () => {
  const file = path.join(dir, 'a.npy');
  await writeNpy(file, ramp([4, 5]), [4, 5]);
  writeNpySync(path.join(dir, 'b.npy'), ramp([3]), [3]);
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  assert.deepEqual((await readNpy(file)).data, ramp([4, 5]));
  assert.deepEqual(readNpySync(path.join(dir, 'b.npy')).shape, [3]);
  await assert.rejects(readNpy(path.join(dir, 'missing.npy')), /ENOENT/);
  writeFileSync(path.join(dir, 'bad.npy'), 'not numpy');
  assert.throws(() => readNpySync(path.join(dir, 'bad.npy')), new RegExp(`${path.join(dir, 'bad.npy').replace(/[.]/g, '\\.')}: not a \\.npy file`));
});

test('numpy reads what encodeNpy writes, and np.save writes the same bytes', (t) => {
  if (!requirePython(t, ['numpy'], 'python3-numpy')) return;
  for (const [i, shape] of SHAPES.entries()) writeNpySync(path.join(dir, `ours-${i}.npy`), ramp(shape), shape);
  const script = `
import io, json, sys
import numpy as np
shapes = json.loads(sys.argv[2])
for i, shape in enumerate(shapes):
    a = np.load(f"{sys.argv[1]}/ours-{i}.npy")
    n = int(np.prod(shape))
    expected = ((np.arange(n, dtype=np.float64) - 3) * 0.25).astype('<f4').reshape(shape)
    assert a.dtype == np.dtype('<f4') and a.shape == tuple(shape), (i, a.dtype, a.shape)
    assert np.array_equal(a, expected), i
    buf = io.BytesIO(); np.save(buf, expected)
    assert buf.getvalue() == open(f"{sys.argv[1]}/ours-{i}.npy", "rb").read(), f"bytes differ for shape {shape}"
print("ok")
`;
  assert.equal(execFileSync(PYTHON, ['-c', script, dir, JSON.stringify(SHAPES)], { encoding: 'utf8' }).trim(), 'ok');
});

test('decodeNpy reads what numpy writes: v1.0, v2.0, other dtypes, Fortran order, big-endian', (t) => {
  if (!requirePython(t, ['numpy'], 'python3-numpy')) return;
  const script = `
import sys
import numpy as np
d = sys.argv[1]
a = (np.arange(24, dtype=np.float64).reshape(2, 3, 4) - 5) / 4
np.save(f"{d}/np-f4.npy", a.astype('<f4'))
with open(f"{d}/np-v2.npy", "wb") as f:
    np.lib.format.write_array(f, a.astype('<f4'), version=(2, 0))
np.save(f"{d}/np-f8.npy", a)
np.save(f"{d}/np-fortran.npy", np.asfortranarray(a.astype('<f4')))
np.save(f"{d}/np-be.npy", a.astype('>f4'))
np.save(f"{d}/np-i2.npy", (a * 4).astype('<i2'))
np.save(f"{d}/np-u1.npy", (a * 4 + 5).astype('|u1'))
np.save(f"{d}/np-0d.npy", np.float32(2.5))
np.save(f"{d}/np-empty.npy", np.zeros((0, 7), '<f4'))
`;
  execFileSync(PYTHON, ['-c', script, dir]);
  const expected = Array.from({ length: 24 }, (_, i) => (i - 5) / 4);
  for (const name of ['f4', 'v2', 'f8', 'fortran', 'be']) {
    const out = readNpySync(path.join(dir, `np-${name}.npy`));
    assert.deepEqual(out.shape, [2, 3, 4], name);
    assert.deepEqual(Array.from(out.data), expected, name);
  }
  assert.equal(readFileSync(path.join(dir, 'np-v2.npy'))[6], 2);
  assert.deepEqual(Array.from(readNpySync(path.join(dir, 'np-i2.npy')).data), expected.map((v) => v * 4));
  assert.deepEqual(Array.from(readNpySync(path.join(dir, 'np-u1.npy')).data), expected.map((v) => v * 4 + 5));
  assert.deepEqual(readNpySync(path.join(dir, 'np-0d.npy')), { data: new Float32Array([2.5]), shape: [] });
  assert.deepEqual(readNpySync(path.join(dir, 'np-empty.npy')), { data: new Float32Array(0), shape: [0, 7] });
});
