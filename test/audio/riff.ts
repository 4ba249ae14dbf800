/**
 * Byte-level RIFF/WAVE builders for decoder tests: lets a test put any chunk, size or field
 * value in a file, which `encodeWav` (always valid) cannot.
 */

export interface RawChunk {
  /** Four-character chunk id, e.g. 'fmt ', 'data', 'LIST'. */
  id: string;
  body: Uint8Array;
  /** Size written in the chunk header. Default: body length. */
  declaredSize?: number;
  /** Write the pad byte after an odd-sized body. Default true. */
  pad?: boolean;
}

/** 'RIFF' size form, then each chunk with its header and (for odd sizes) pad byte. */
export function riff(chunks: RawChunk[], form = 'WAVE'): Uint8Array {
  const parts: number[] = [...ascii('RIFF'), 0, 0, 0, 0, ...ascii(form)];
  for (const c of chunks) {
    parts.push(...ascii(c.id), ...u32(c.declaredSize ?? c.body.length), ...c.body);
    if (c.body.length % 2 === 1 && (c.pad ?? true)) parts.push(0);
  }
  const out = Uint8Array.from(parts);
  new DataView(out.buffer).setUint32(4, out.length - 8, true);
  return out;
}

export interface FmtFields {
  /** Format tag: 1 PCM, 3 float, 0xFFFE extensible, 7 mu-law, ... */
  tag: number;
  channels: number;
  rateHz: number;
  bits: number;
  /** Default channels * ceil(bits / 8). */
  blockAlign?: number;
  /** For tag 0xFFFE: the sub-format GUID (16 bytes). */
  guid?: Uint8Array;
  /** For tag 0xFFFE: valid bits per sample. Default `bits`. */
  validBits?: number;
}

/** Body of a fmt chunk: 16 bytes, or 40 for WAVE_FORMAT_EXTENSIBLE. */
export function fmtBody(f: FmtFields): Uint8Array {
  const blockAlign = f.blockAlign ?? f.channels * Math.ceil(f.bits / 8);
  const ext = f.tag === 0xfffe;
  const out = new Uint8Array(ext ? 40 : 16);
  const v = new DataView(out.buffer);
  v.setUint16(0, f.tag, true);
  v.setUint16(2, f.channels, true);
  v.setUint32(4, f.rateHz, true);
  v.setUint32(8, f.rateHz * blockAlign, true);
  v.setUint16(12, blockAlign, true);
  v.setUint16(14, f.bits, true);
  if (ext) {
    v.setUint16(16, 22, true);
    v.setUint16(18, f.validBits ?? f.bits, true);
    v.setUint32(20, 0, true);
    out.set(f.guid ?? subFormatGuid(1), 24);
  }
  return out;
}

/** KSDATAFORMAT_SUBTYPE GUID for a format tag (PCM 1, float 3, ...). */
export function subFormatGuid(tag: number): Uint8Array {
  return Uint8Array.from([tag & 0xff, tag >> 8, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71]);
}

/** Little-endian int16 PCM bytes for integer sample codes. */
export function int16Bytes(codes: number[]): Uint8Array {
  const out = new Uint8Array(codes.length * 2);
  const v = new DataView(out.buffer);
  codes.forEach((c, i) => v.setInt16(i * 2, c, true));
  return out;
}

export function ascii(s: string): number[] {
  return Array.from(s, (ch) => ch.charCodeAt(0));
}

function u32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}
