/**
 * WAV (RIFF/WAVE) decoder: bytes in, mono float samples out.
 *
 * Supported: integer PCM of 8 (unsigned), 16, 24 and 32 bits (signed), IEEE float of 32 and
 * 64 bits, both as plain format tags (0x0001, 0x0003) and inside WAVE_FORMAT_EXTENSIBLE
 * (0xFFFE) with the PCM or float sub-format GUID; any number of channels (averaged to mono);
 * odd-sized chunks with their pad byte; unknown chunks (LIST, fact, cue, ...) skipped.
 * The fmt and data chunks are found wherever they are (the spec puts fmt first).
 *
 * Anything else throws `AudioDecodeError(file, reason)` with a reason that says what is wrong
 * and, where there is one, the fix. A data chunk shorter than its header declares is an error,
 * never silently accepted: a cut-off recording would otherwise pass as a short one.
 */
import { AudioDecodeError } from '../errors';

/** One decoded file. */
export interface DecodedAudio {
  /** Sample rate from the fmt chunk, Hz. */
  sampleRateHz: number;
  /** Channels stored in the file (before downmixing). */
  channels: number;
  /** Frames (samples per channel) in the file; `samples.length === frames`. */
  frames: number;
  /** Integer PCM or IEEE float, whichever the file (or its extensible sub-format) declares. */
  encoding: 'pcm' | 'float';
  /** Bits per sample of the stored container: 8, 16, 24, 32 (pcm) or 32, 64 (float). */
  bitsPerSample: number;
  /**
   * Mono samples, channels averaged, length `frames`. Integer PCM maps to [-1, 1)
   * (divided by 2^(bits-1), as torchaudio and soundfile do); float data is passed through as
   * stored, so a clipping float file may exceed [-1, 1].
   */
  samples: Float32Array;
}

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/** Names of format tags people meet in the wild, for "unsupported codec" messages. */
const CODEC_NAMES: ReadonlyMap<number, string> = new Map([
  [0x0002, 'Microsoft ADPCM'],
  [0x0006, 'A-law'],
  [0x0007, 'mu-law'],
  [0x0011, 'IMA ADPCM'],
  [0x0022, 'DSP Group TrueSpeech'],
  [0x0031, 'GSM 6.10'],
  [0x0040, 'G.721 ADPCM'],
  [0x0050, 'MPEG'],
  [0x0055, 'MPEG Layer 3'],
  [0x0092, 'Dolby AC-3 SPDIF'],
  [0x00ff, 'AAC'],
  [0x0161, 'Windows Media Audio'],
  [0x1610, 'HE-AAC'],
  [0x2000, 'Dolby AC-3'],
  [0xf1ac, 'FLAC'],
]);

/** Bytes 2..15 shared by every KSDATAFORMAT_SUBTYPE_* GUID derived from a format tag. */
const GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

const CONVERT_HINT = 'convert to PCM, e.g. sox in.wav -e signed-integer out.wav';

interface Chunk {
  id: string;
  /** Byte offset of the chunk body in the file. */
  offset: number;
  /** Declared body size, bytes. */
  size: number;
}

interface Format {
  encoding: 'pcm' | 'float';
  channels: number;
  sampleRateHz: number;
  /** Bytes per sample of one channel, as stored. */
  containerBytes: number;
  blockAlign: number;
}

/**
 * Decode a WAV file held in memory. `file` is used only in error messages.
 * Throws `AudioDecodeError` for anything that is not a supported, complete WAV file.
 */
export function decodeWav(bytes: Uint8Array, file: string): DecodedAudio {
  const fail = (reason: string): never => {
    throw new AudioDecodeError(file, reason);
  };
  if (bytes.length === 0) fail('empty file (0 bytes)');
  checkRiffHeader(bytes, fail);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  const { fmt, data } = findChunks(bytes, view, fail);
  const format = parseFormat(view, fmt, fail);

  if (data.size % format.blockAlign !== 0) {
    fail(
      `data chunk size ${data.size} is not a multiple of the block align ${format.blockAlign} ` +
        `(${format.channels} channel(s) x ${format.containerBytes} bytes)`,
    );
  }
  const frames = data.size / format.blockAlign;
  const samples = readMono(view, data.offset, frames, format);
  return {
    sampleRateHz: format.sampleRateHz,
    channels: format.channels,
    frames,
    encoding: format.encoding,
    bitsPerSample: format.containerBytes * 8,
    samples,
  };
}

function checkRiffHeader(bytes: Uint8Array, fail: (reason: string) => never): void {
  const magic = ascii(bytes, 0, 4);
  if (magic === 'RIFF' && bytes.length >= 12) {
    const form = ascii(bytes, 8, 4);
    if (form !== 'WAVE') fail(`RIFF file of type ${JSON.stringify(form)}, not a WAVE file`);
    return;
  }
  if (magic === 'RIFF') fail(`too short to be a WAV file (${bytes.length} bytes, the RIFF/WAVE header alone is 12)`);
  fail(`not a RIFF/WAVE file: ${describeForeign(bytes)}`);
}

/** Say what a non-WAV file looks like, so a misnamed MP3 or text file is recognised. */
function describeForeign(bytes: Uint8Array): string {
  const magic = ascii(bytes, 0, 4);
  if (magic === 'RIFX') return 'big-endian RIFX is not supported; convert to a little-endian WAV (e.g. sox in.wav out.wav)';
  if (magic === 'RF64' || magic === 'BW64') return `${magic} (WAV over 4 GiB) is not supported`;
  if (magic === 'fLaC') return 'this is FLAC data; convert it to WAV (e.g. sox in.flac out.wav)';
  if (magic === 'OggS') return 'this is Ogg data; convert it to WAV (e.g. ffmpeg -i in.ogg out.wav)';
  if (magic === 'FORM') return 'this is an AIFF/IFF file; convert it to WAV (e.g. sox in.aiff out.wav)';
  if (magic.startsWith('ID3') || (bytes.length >= 2 && bytes[0] === 0xff && (bytes[1] & 0xe0) === 0xe0)) {
    return 'this looks like MP3 data; convert it to WAV (e.g. ffmpeg -i in.mp3 out.wav)';
  }
  const head = bytes.subarray(0, 16);
  const printable = head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127));
  if (printable) return `it starts with text ${JSON.stringify(ascii(head, 0, head.length))}`;
  return `it starts with bytes ${hex(head.subarray(0, 8))}`;
}

/**
 * Walk the chunk list after the 12-byte header. Chunks are `id (4) size (4, LE) body`, and a
 * body of odd size is followed by one pad byte. The RIFF size field is ignored (writers often
 * get it wrong); the file length rules. A truncated chunk after both fmt and data is ignored
 * (trailing junk, or a missing final pad byte, is common and harmless).
 */
function findChunks(bytes: Uint8Array, view: DataView, fail: (reason: string) => never): { fmt: Chunk; data: Chunk } {
  let fmt: Chunk | undefined;
  let data: Chunk | undefined;
  let pos = 12;
  while (pos + 8 <= bytes.length && !(fmt && data)) {
    const id = ascii(bytes, pos, 4);
    const size = view.getUint32(pos + 4, true);
    const offset = pos + 8;
    const available = bytes.length - offset;
    if (size > available) {
      if (id === 'data') {
        const unset = size === 0xffffffff || size === 0 ? ' (size field never filled in by a streaming writer)' : '';
        fail(`truncated data chunk (expected ${size} bytes, found ${available})${unset}`);
      }
      // The loop stops once fmt and data are both found, so this chunk precedes one of them.
      const missing = fmt ? 'the data chunk' : data ? 'the fmt chunk' : 'the fmt and data chunks';
      fail(`truncated ${JSON.stringify(id)} chunk at byte ${pos} (expected ${size} bytes, found ${available}) before ${missing}`);
    }
    if (id === 'fmt ' && !fmt) fmt = { id, offset, size };
    else if (id === 'data' && !data) data = { id, offset, size };
    pos = offset + size + (size & 1);
  }
  if (!fmt) fail(data ? 'missing fmt chunk (found a data chunk but no format description)' : 'missing fmt chunk');
  if (!data) fail('missing data chunk (the file has a format description but no audio)');
  return { fmt: fmt as Chunk, data: data as Chunk };
}

/** Parse WAVEFORMATEX / WAVEFORMATEXTENSIBLE and check that we can decode it. */
function parseFormat(view: DataView, fmt: Chunk, fail: (reason: string) => never): Format {
  if (fmt.size < 16) fail(`fmt chunk too short (${fmt.size} bytes, need at least 16)`);
  const o = fmt.offset;
  let tag = view.getUint16(o, true);
  const channels = view.getUint16(o + 2, true);
  const sampleRateHz = view.getUint32(o + 4, true);
  const blockAlign = view.getUint16(o + 12, true);
  const bits = view.getUint16(o + 14, true);

  if (tag === WAVE_FORMAT_EXTENSIBLE) {
    if (fmt.size < 40) fail(`WAVE_FORMAT_EXTENSIBLE fmt chunk too short (${fmt.size} bytes, need 40)`);
    // Layout after the 16 base bytes: cbSize (2), validBits (2), channelMask (4), GUID (16).
    const guid = new Uint8Array(view.buffer, view.byteOffset + o + 24, 16);
    if (!GUID_TAIL.every((b, i) => guid[i + 2] === b)) {
      fail(`unsupported WAVE_FORMAT_EXTENSIBLE sub-format GUID ${hex(guid)}; ${CONVERT_HINT}`);
    }
    tag = guid[0] | (guid[1] << 8);
  }
  if (tag !== WAVE_FORMAT_PCM && tag !== WAVE_FORMAT_IEEE_FLOAT) {
    const hexTag = `0x${tag.toString(16).padStart(4, '0').toUpperCase()}`;
    const name = CODEC_NAMES.get(tag);
    fail(`unsupported codec ${name ? `${name} (format tag ${hexTag})` : `(unknown format tag ${hexTag})`}; ${CONVERT_HINT}`);
  }
  const encoding = tag === WAVE_FORMAT_PCM ? 'pcm' : 'float';
  if (channels === 0) fail('zero channels in the fmt chunk');
  if (sampleRateHz === 0) fail('zero sample rate in the fmt chunk');

  // Samples may use fewer bits than their container (e.g. 20 bits left-justified in 3 bytes):
  // the container, from the block align, decides how to read them.
  const supported = encoding === 'pcm' ? [8, 16, 24, 32] : [32, 64];
  const kind = encoding === 'pcm' ? 'PCM' : 'float';
  if (blockAlign === 0 || blockAlign % channels !== 0) {
    fail(`block align ${blockAlign} is not a whole number of bytes per channel for ${channels} channel(s)`);
  }
  const containerBytes = blockAlign / channels;
  if (bits === 0 || bits > containerBytes * 8 || !supported.includes(containerBytes * 8) || (encoding === 'float' && bits !== containerBytes * 8)) {
    fail(`unsupported bit depth: ${bits}-bit ${kind} in ${containerBytes}-byte samples (supported: ${supported.join(', ')}-bit ${kind})`);
  }
  return { encoding, channels, sampleRateHz, containerBytes, blockAlign };
}

/** Read interleaved frames and average channels into one Float32Array (no per-sample allocation). */
function readMono(view: DataView, start: number, frames: number, f: Format): Float32Array {
  const out = new Float32Array(frames);
  const { channels, containerBytes, blockAlign } = f;
  // Fast path for the common case (16-bit PCM, aligned, little-endian host): a typed-array view
  // avoids DataView calls. Multiplying by 2^-15 equals dividing by 32768 exactly.
  if (f.encoding === 'pcm' && containerBytes === 2 && (view.byteOffset + start) % 2 === 0 && LITTLE_ENDIAN_HOST) {
    const codes = new Int16Array(view.buffer, view.byteOffset + start, frames * channels);
    const scale = 1 / (32768 * channels);
    for (let i = 0, k = 0; i < frames; i++) {
      let sum = 0;
      for (let c = 0; c < channels; c++) sum += codes[k++];
      out[i] = sum * scale;
    }
    return out;
  }
  const read = sampleReader(f);
  if (channels === 1) {
    for (let i = 0, p = start; i < frames; i++, p += blockAlign) out[i] = read(view, p);
    return out;
  }
  const inv = 1 / channels;
  for (let i = 0, p = start; i < frames; i++, p += blockAlign) {
    let sum = 0;
    for (let c = 0, q = p; c < channels; c++, q += containerBytes) sum += read(view, q);
    out[i] = sum * inv;
  }
  return out;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

type SampleReader = (view: DataView, pos: number) => number;

const READERS: Record<string, SampleReader> = {
  pcm1: (v, p) => (v.getUint8(p) - 128) / 128,
  pcm2: (v, p) => v.getInt16(p, true) / 32768,
  // 24-bit little-endian: assemble, then sign-extend by shifting into the top of an int32.
  pcm3: (v, p) => (((v.getUint8(p) | (v.getUint8(p + 1) << 8) | (v.getUint8(p + 2) << 16)) << 8) >> 8) / 8388608,
  pcm4: (v, p) => v.getInt32(p, true) / 2147483648,
  float4: (v, p) => v.getFloat32(p, true),
  float8: (v, p) => v.getFloat64(p, true),
};

function sampleReader(f: Format): SampleReader {
  return READERS[`${f.encoding}${f.containerBytes}`];
}

function ascii(bytes: Uint8Array, start: number, length: number): string {
  let s = '';
  for (let i = start; i < Math.min(start + length, bytes.length); i++) s += String.fromCharCode(bytes[i]);
  return s;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
