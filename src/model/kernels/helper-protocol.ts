/**
 * The shared-memory protocol between a kernel on the main thread and the helper thread:
 * an Int32 control block, a float32 data area (inputs, then the output) and a text area
 * holding the request as JSON (kernel name, attrs, where each input sits in the data area).
 */

/** Int32 slots of the control block. */
export const HELPER_LAYOUT = {
  /** 1 once the helper's wasm backend is up, -1 if it could not start. */
  ready: 0,
  /** Request counter, bumped by the main thread; -1 asks the helper to stop. */
  request: 1,
  /** Counter of the last request answered. */
  done: 2,
  /** 1 ok, 2 the kernel threw. */
  status: 3,
  /** Output rank, then up to 6 dims. */
  outRank: 4,
  outShape: 5,
  slots: 12,
} as const;

export interface HelperInput {
  name: string;
  shape: number[];
  /** Float offset in the data area. */
  offset: number;
  size: number;
}

export interface HelperRequest {
  kernel: string;
  attrs: Record<string, unknown>;
  inputs: HelperInput[];
  /** Float offset in the data area where the helper writes its output. */
  outputOffset: number;
}

export function writeRequest(text: SharedArrayBuffer, request: HelperRequest): void {
  const bytes = new TextEncoder().encode(JSON.stringify(request));
  const view = new Uint8Array(text);
  if (bytes.length + 4 > view.length) throw new RangeError(`helper request of ${bytes.length} bytes does not fit`);
  new DataView(text).setUint32(0, bytes.length, true);
  view.set(bytes, 4);
}

export function readRequest(text: SharedArrayBuffer): HelperRequest {
  const length = new DataView(text).getUint32(0, true);
  // TextDecoder cannot read shared memory directly: copy first.
  return JSON.parse(new TextDecoder().decode(new Uint8Array(text, 4, length).slice())) as HelperRequest;
}

export function writeResult(ctrl: Int32Array, floats: Float32Array, values: Float32Array, shape: number[], offset: number): void {
  if (offset + values.length > floats.length) throw new RangeError('helper output does not fit');
  floats.set(values, offset);
  ctrl[HELPER_LAYOUT.outRank] = shape.length;
  shape.forEach((d, i) => (ctrl[HELPER_LAYOUT.outShape + i] = d));
}
