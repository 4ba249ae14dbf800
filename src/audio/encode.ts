/**
 * WAV encoder: float samples in, RIFF/WAVE bytes out. Used to generate test fixtures and to
 * embed audio players in notebooks and reports.
 *
 * Integer formats scale by 2^(bits-1) and round to nearest, clipping to the format's range
 * (so +1.0 becomes the largest positive code, 32767 for pcm16); decoding with `decodeWav`
 * returns each sample within half a quantisation step (1 / 2^bits) of the input.
 */
import { MelbookError } from '../errors';

/** Sample formats `encodeWav` can write, from one list so the union cannot drift. */
export const WAV_FORMATS = ['pcm8', 'pcm16', 'pcm24', 'pcm32', 'float32', 'float64'] as const;
export type WavFormat = (typeof WAV_FORMATS)[number];

export interface EncodeWavOptions {
  /** Sample format. Default `'pcm16'`. */
  format?: WavFormat;
  /**
   * Write a WAVE_FORMAT_EXTENSIBLE (0xFFFE) fmt chunk with the PCM or float sub-format GUID
   * instead of a plain format tag. Default false.
   */
  extensible?: boolean;
}

const FORMAT_LAYOUT: Record<WavFormat, { tag: 1 | 3; bytes: number }> = {
  pcm8: { tag: 1, bytes: 1 },
  pcm16: { tag: 1, bytes: 2 },
  pcm24: { tag: 1, bytes: 3 },
  pcm32: { tag: 1, bytes: 4 },
  float32: { tag: 3, bytes: 4 },
  float64: { tag: 3, bytes: 8 },
};

/** Bytes 2..15 of the KSDATAFORMAT_SUBTYPE GUIDs; bytes 0..1 are the format tag. */
const GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

/**
 * Encode samples as a WAV file.
 * @param samples one Float32Array (mono) or one per channel, all the same length
 * @param sampleRateHz sample rate written to the header, Hz (positive integer)
 * @returns the complete file: header, a `fact` chunk for float or extensible formats, data
 */
export function encodeWav(samples: Float32Array | Float32Array[], sampleRateHz: number, options: EncodeWavOptions = {}): Uint8Array {
  const channels = Array.isArray(samples) ? samples : [samples];
  const format = options.format ?? 'pcm16';
  const extensible = options.extensible ?? false;
  const layout = checkEncodeInput(channels, sampleRateHz, format);
  const frames = channels[0].length;
  const blockAlign = channels.length * layout.bytes;
  const dataSize = frames * blockAlign;
  const fmtSize = extensible ? 40 : layout.tag === 3 ? 18 : 16;
  const withFact = extensible || layout.tag === 3; // the spec asks for `fact` on non-PCM formats
  const headerSize = 12 + 8 + fmtSize + (withFact ? 12 : 0) + 8;
  const total = headerSize + dataSize + (dataSize & 1);
  const w = new ByteWriter(new Uint8Array(total));

  w.text('RIFF');
  w.u32(total - 8);
  w.text('WAVE');
  writeFmtChunk(w, { fmtSize, extensible, layout, channels: channels.length, sampleRateHz, blockAlign });
  if (withFact) {
    w.text('fact');
    w.u32(4);
    w.u32(frames);
  }
  w.text('data');
  w.u32(dataSize);

  const write = writer(format);
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels.length; c++, w.p += layout.bytes) write(w.view, w.p, channels[c][i]);
  }
  return w.out;
}

/** The layout of `format`, after checking the channels and the rate; throws MelbookError naming the bad value. */
function checkEncodeInput(channels: Float32Array[], sampleRateHz: number, format: WavFormat): { tag: number; bytes: number } {
  const layout = FORMAT_LAYOUT[format];
  if (!layout) throw new MelbookError(`encodeWav: unknown format ${JSON.stringify(format)}; use one of ${WAV_FORMATS.join(', ')}`);
  if (channels.length === 0 || channels.length > 0xffff) {
    throw new MelbookError(`encodeWav: got ${channels.length} channels; pass 1 to 65535 Float32Arrays`);
  }
  const frames = channels[0].length;
  if (channels.some((c) => c.length !== frames)) {
    throw new MelbookError(`encodeWav: channel lengths differ (${channels.map((c) => c.length).join(', ')}); pass equal-length channels`);
  }
  if (!Number.isInteger(sampleRateHz) || sampleRateHz <= 0 || sampleRateHz > 0xffffffff) {
    throw new MelbookError(`encodeWav: sampleRateHz must be a positive integer, got ${sampleRateHz}`);
  }
  return layout;
}

/** Little-endian writes into `out` at a moving position `p`. */
class ByteWriter {
  readonly view: DataView;
  p = 0;

  constructor(readonly out: Uint8Array) {
    this.view = new DataView(out.buffer);
  }

  text(s: string): void {
    for (let i = 0; i < s.length; i++) this.out[this.p++] = s.charCodeAt(i);
  }

  u16(v: number): void {
    this.view.setUint16(this.p, v, true);
    this.p += 2;
  }

  u32(v: number): void {
    this.view.setUint32(this.p, v, true);
    this.p += 4;
  }
}

/** The `fmt ` chunk: WAVEFORMATEX, or WAVEFORMATEXTENSIBLE when `extensible`. */
function writeFmtChunk(
  w: ByteWriter,
  f: { fmtSize: number; extensible: boolean; layout: { tag: number; bytes: number }; channels: number; sampleRateHz: number; blockAlign: number },
): void {
  w.text('fmt ');
  w.u32(f.fmtSize);
  w.u16(f.extensible ? 0xfffe : f.layout.tag);
  w.u16(f.channels);
  w.u32(f.sampleRateHz);
  w.u32(f.sampleRateHz * f.blockAlign);
  w.u16(f.blockAlign);
  w.u16(f.layout.bytes * 8);
  if (f.fmtSize >= 18) w.u16(f.fmtSize - 18); // cbSize: bytes of extension that follow
  if (f.extensible) {
    w.u16(f.layout.bytes * 8); // valid bits per sample
    w.u32(f.channels <= 2 ? (f.channels === 1 ? 0x4 : 0x3) : 0); // front centre / front L+R / unassigned
    w.u16(f.layout.tag);
    for (const b of GUID_TAIL) w.out[w.p++] = b;
  }
}

type SampleWriter = (view: DataView, pos: number, x: number) => void;

/** Scale to an integer code with round-to-nearest, clipped to [min, max]. */
function quantise(x: number, scale: number): number {
  const q = Math.round(x * scale);
  return q < -scale ? -scale : q > scale - 1 ? scale - 1 : q;
}

function writer(format: WavFormat): SampleWriter {
  switch (format) {
    case 'pcm8':
      return (v, p, x) => v.setUint8(p, quantise(x, 128) + 128);
    case 'pcm16':
      return (v, p, x) => v.setInt16(p, quantise(x, 32768), true);
    case 'pcm24':
      return (v, p, x) => {
        const q = quantise(x, 8388608) & 0xffffff;
        v.setUint8(p, q & 0xff);
        v.setUint8(p + 1, (q >> 8) & 0xff);
        v.setUint8(p + 2, q >> 16);
      };
    case 'pcm32':
      return (v, p, x) => v.setInt32(p, quantise(x, 2147483648), true);
    case 'float32':
      return (v, p, x) => v.setFloat32(p, x, true);
    case 'float64':
      return (v, p, x) => v.setFloat64(p, x, true);
  }
}
