/**
 * The NumPy .npy format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
 *
 *   "\x93NUMPY" | major u8 | minor u8 | header length (u16 LE in v1.0, u32 LE in v2.0/3.0) |
 *   header: a Python dict literal, padded with spaces and ending in "\n" | raw data
 *
 * We write float32 little-endian C-order arrays exactly as numpy >= 1.23 does (same header
 * text, same padding, so `np.save` and `encodeNpy` give identical bytes): version 1.0 unless
 * the header does not fit in 65535 bytes, the data starting at a multiple of 64 bytes.
 * We read versions 1.0, 2.0 and 3.0 (3.0 only differs by a UTF-8 header), the dtypes listed in
 * `DTYPES` in either byte order (converted to float32), and Fortran-order arrays (transposed
 * to C order). Arrays are row-major Float32Array with an explicit shape; a 0-d array has shape [].
 */
import { promises as fsp, readFileSync } from 'node:fs';
import { writeFileAtomic, writeFileAtomicSync } from '../atomic-write';
import { endianness } from 'node:os';
import { NpyFormatError } from '../errors';

/** An array as read from or written to a .npy file: row-major data and its shape. */
export interface NpyArray {
  data: Float32Array;
  shape: number[];
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const ARRAY_ALIGN = 64;
/** numpy reserves room for the first dimension to grow to 21 digits (numpy >= 1.23). */
const GROWTH_AXIS_MAX_DIGITS = 21;
const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/** Element readers by dtype kind+size (byte order handled by DataView's flag). */
const DTYPES: Record<string, { size: number; read: (v: DataView, at: number, le: boolean) => number }> = {
  f4: { size: 4, read: (v, at, le) => v.getFloat32(at, le) },
  f8: { size: 8, read: (v, at, le) => v.getFloat64(at, le) },
  f2: { size: 2, read: (v, at, le) => halfToFloat(v.getUint16(at, le)) },
  u1: { size: 1, read: (v, at) => v.getUint8(at) },
  i1: { size: 1, read: (v, at) => v.getInt8(at) },
  b1: { size: 1, read: (v, at) => (v.getUint8(at) ? 1 : 0) },
  u2: { size: 2, read: (v, at, le) => v.getUint16(at, le) },
  i2: { size: 2, read: (v, at, le) => v.getInt16(at, le) },
  u4: { size: 4, read: (v, at, le) => v.getUint32(at, le) },
  i4: { size: 4, read: (v, at, le) => v.getInt32(at, le) },
  u8: { size: 8, read: (v, at, le) => Number(v.getBigUint64(at, le)) },
  i8: { size: 8, read: (v, at, le) => Number(v.getBigInt64(at, le)) },
};

/** The header dict text numpy writes for a C-order '<f4' array, before padding. */
function headerDict(shape: readonly number[]): string {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let text = `{'descr': '<f4', 'fortran_order': False, 'shape': ${dims}, }`;
  if (shape.length > 0) text += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));
  return text;
}

function checkShape(data: Float32Array, shape: readonly number[]): number {
  let count = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`encodeNpy: shape [${shape.join(', ')}] has a dimension that is not a non-negative integer`);
    count *= d;
  }
  if (count !== data.length) {
    throw new RangeError(`encodeNpy: shape [${shape.join(', ')}] holds ${count} elements but data has ${data.length}; pass the shape of the data`);
  }
  return count;
}

/**
 * Serialise a float32 array to .npy bytes ('<f4', C order). Version 1.0 unless the header
 * needs more than 65535 bytes (only for absurdly high rank), then 2.0.
 * Output: the whole file, header padded so the data starts at a multiple of 64 bytes.
 */
export function encodeNpy(data: Float32Array, shape: readonly number[]): Uint8Array {
  checkShape(data, shape);
  const dict = headerDict(shape);
  let major = 1;
  let prefixLen = MAGIC.length + 2 + 2;
  // numpy: padlen = ALIGN - ((prefix + len(dict) + 1) % ALIGN), i.e. 1..64 spaces, then "\n".
  let padLen = ARRAY_ALIGN - ((prefixLen + dict.length + 1) % ARRAY_ALIGN);
  if (dict.length + 1 + padLen > 0xffff) {
    major = 2;
    prefixLen = MAGIC.length + 2 + 4;
    padLen = ARRAY_ALIGN - ((prefixLen + dict.length + 1) % ARRAY_ALIGN);
  }
  const headerLen = dict.length + padLen + 1;
  const dataOffset = prefixLen + headerLen;
  const out = new Uint8Array(dataOffset + data.length * 4);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, headerLen, true);
  else view.setUint32(8, headerLen, true);
  for (let i = 0; i < dict.length; i++) out[prefixLen + i] = dict.charCodeAt(i);
  out.fill(0x20, prefixLen + dict.length, dataOffset - 1);
  out[dataOffset - 1] = 0x0a;
  const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  out.set(body, dataOffset);
  if (!LITTLE_ENDIAN_HOST) {
    for (let i = dataOffset; i < out.length; i += 4) {
      const a = out[i], b = out[i + 1];
      out[i] = out[i + 3]; out[i + 1] = out[i + 2]; out[i + 2] = b; out[i + 3] = a;
    }
  }
  return out;
}

interface ParsedHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

/** Parse numpy's header dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), } */
function parseHeader(text: string, file: string): ParsedHeader {
  const body = text.trim();
  if (!body.startsWith('{') || !body.endsWith('}')) throw new NpyFormatError(file, `header is not a Python dict literal: ${JSON.stringify(body.slice(0, 80))}`);
  const descr = /['"]descr['"]\s*:\s*(['"])([^'"]*)\1/.exec(body);
  if (!descr) {
    const structured = /['"]descr['"]\s*:\s*\[/.test(body);
    throw new NpyFormatError(file, structured ? 'structured dtypes (record arrays) are not supported; save a plain numeric array' : `header has no 'descr' key: ${body}`);
  }
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(body);
  if (!fortran) throw new NpyFormatError(file, `header has no 'fortran_order' key: ${body}`);
  const shapeMatch = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(body);
  if (!shapeMatch) throw new NpyFormatError(file, `header has no 'shape' tuple: ${body}`);
  const shape: number[] = [];
  for (const part of shapeMatch[1].split(',')) {
    const token = part.trim().replace(/L$/, ''); // Python 2 long literals: (3L, 4L)
    if (token === '') continue;
    if (!/^\d+$/.test(token)) throw new NpyFormatError(file, `shape (${shapeMatch[1]}) has a non-integer dimension ${JSON.stringify(token)}`);
    // numpy itself refuses dimensions beyond intp; past 2^53 a Number no longer counts exactly.
    if (!Number.isSafeInteger(Number(token))) throw new NpyFormatError(file, `shape (${shapeMatch[1]}) has dimension ${token}, beyond what any array can hold`);
    shape.push(Number(token));
  }
  return { descr: descr[2], fortranOrder: fortran[1] === 'True', shape };
}

/**
 * Parse .npy bytes into a float32 C-order array. `file` only names the source in errors.
 * Accepts dtypes f2/f4/f8, i1/i2/i4/i8, u1/u2/u4/u8 and b1 in either byte order (converted to
 * float32; 64-bit integers beyond 2^53 lose precision) and Fortran order (transposed).
 * Throws NpyFormatError for a bad magic string, an unsupported version or dtype, a malformed
 * header or truncated data.
 */
export function decodeNpy(bytes: Uint8Array, file = '<npy bytes>'): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new NpyFormatError(file, 'not a .npy file (bad magic string; expected "\\x93NUMPY" at the start)');
  }
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerStart: number;
  let headerLen: number;
  if (major === 1) {
    headerStart = 10;
    headerLen = view.getUint16(8, true);
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new NpyFormatError(file, 'truncated header');
    headerStart = 12;
    headerLen = view.getUint32(8, true);
  } else {
    throw new NpyFormatError(file, `unsupported .npy format version ${major}.${bytes[7]}; versions 1.0, 2.0 and 3.0 are read`);
  }
  const dataOffset = headerStart + headerLen;
  if (dataOffset > bytes.length) {
    throw new NpyFormatError(file, `truncated header (expected ${headerLen} header bytes, found ${bytes.length - headerStart})`);
  }
  const headerBytes = bytes.subarray(headerStart, dataOffset);
  const text = major === 3 ? new TextDecoder('utf-8').decode(headerBytes) : Buffer.from(headerBytes).toString('latin1');
  const { descr, fortranOrder, shape } = parseHeader(text, file);

  const m = /^([<>|=])([a-z])(\d+)$/.exec(descr);
  const dtype = m ? DTYPES[`${m[2]}${m[3]}`] : undefined;
  if (!m || !dtype) {
    throw new NpyFormatError(file, `unsupported dtype '${descr}'; expected a numeric dtype such as '<f4', '<f8', '|u1', '<i2' or '<i4'`);
  }
  const littleEndian = m[1] === '<' || m[1] === '|' || (m[1] === '=' && LITTLE_ENDIAN_HOST);
  const count = shape.reduce((a, b) => a * b, 1);
  const needed = count * dtype.size;
  const available = bytes.length - dataOffset;
  if (available < needed) {
    throw new NpyFormatError(file, `truncated data (expected ${needed} bytes for shape (${shape.join(', ')}) of '${descr}', found ${available})`);
  }

  let data: Float32Array;
  const absOffset = bytes.byteOffset + dataOffset;
  if (descr === '<f4' && LITTLE_ENDIAN_HOST) {
    // Fast path: copy the raw bytes (the source may not be 4-byte aligned).
    data = new Float32Array(count);
    new Uint8Array(data.buffer).set(bytes.subarray(dataOffset, dataOffset + needed));
  } else {
    data = new Float32Array(count);
    const dv = new DataView(bytes.buffer, absOffset, needed);
    for (let i = 0; i < count; i++) data[i] = dtype.read(dv, i * dtype.size, littleEndian);
  }
  if (fortranOrder && shape.length > 1) data = fortranToC(data, shape);
  return { data, shape };
}

/** Reorder a column-major (Fortran) array of `shape` into row-major (C) order. */
function fortranToC(src: Float32Array, shape: readonly number[]): Float32Array {
  const rank = shape.length;
  const out = new Float32Array(src.length);
  if (src.length === 0) return out;
  const fStride = new Array<number>(rank);
  fStride[0] = 1;
  for (let k = 1; k < rank; k++) fStride[k] = fStride[k - 1] * shape[k - 1];
  const idx = new Array<number>(rank).fill(0);
  let fOffset = 0;
  for (let c = 0; c < out.length; c++) {
    out[c] = src[fOffset];
    // Increment the C-order multi-index (last axis fastest), tracking the Fortran offset.
    for (let k = rank - 1; k >= 0; k--) {
      idx[k]++;
      fOffset += fStride[k];
      if (idx[k] < shape[k]) break;
      fOffset -= fStride[k] * shape[k];
      idx[k] = 0;
    }
  }
  return out;
}

/** IEEE 754 half precision to double. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/**
 * Write a float32 array to `path` atomically (see atomic-write.ts): readers never see a
 * half-written file.
 */
export async function writeNpy(path: string, data: Float32Array, shape: readonly number[]): Promise<void> {
  await writeFileAtomic(path, encodeNpy(data, shape));
}

/** Synchronous `writeNpy` (same atomic rename), for worker threads that do nothing else. */
export function writeNpySync(path: string, data: Float32Array, shape: readonly number[]): void {
  writeFileAtomicSync(path, encodeNpy(data, shape));
}

/** Read a .npy file as float32 (see decodeNpy); errors name the path. */
export async function readNpy(path: string): Promise<NpyArray> {
  return decodeNpy(await fsp.readFile(path), path);
}

/** Synchronous `readNpy`. */
export function readNpySync(path: string): NpyArray {
  return decodeNpy(readFileSync(path), path);
}
