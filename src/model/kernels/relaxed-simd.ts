/**
 * Whether melbook's wasm kernels may use relaxed SIMD's fused multiply-add (f32x4.relaxed_madd).
 *
 * Relaxed SIMD is on by default in V8 11.4+ (Node 22+, Chromium 114+, Deno); Node 20's V8 11.3
 * has it behind `--experimental-wasm-relaxed-simd`, which we set at run time (V8 reads wasm
 * feature flags when it compiles a module, so the flag reaches every module compiled later,
 * in worker threads too). `MELBOOK_FMA=0` turns the fused path off.
 *
 * relaxed_madd is a single rounding on hardware with FMA and a multiply then an add without:
 * results are bit-identical from run to run on one machine, and may differ in the last bits
 * between machines of different kinds (as any FMA-using library's do).
 */
import { setFlagsFromString } from 'node:v8';

/** A module whose one function is `(a, b, c) => relaxed_madd(a, b, c)` on f32x4. */
const PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00,
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b,
]);

let decided: boolean | undefined;

/** True when relaxed SIMD compiles here (enabling it on Node 20) and MELBOOK_FMA is not '0'. */
export function relaxedSimdEnabled(): boolean {
  decided ??= decide();
  return decided;
}

function decide(): boolean {
  if (process.env.MELBOOK_FMA === '0') return false;
  if (WebAssembly.validate(PROBE)) return true;
  try {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return false;
  }
  return WebAssembly.validate(PROBE);
}
