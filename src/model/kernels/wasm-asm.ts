/**
 * Encoding helpers for the hand-assembled WebAssembly modules of simd.ts and simd-conv.ts:
 * LEB128 integers, sections, and the instructions those kernels use, each as its byte list.
 * https://webassembly.github.io/spec/core/binary/instructions.html
 */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

export function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

export function name(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

export const I32 = 0x7f;
export const V128 = 0x7b;
export const get = (i: number) => [0x20, ...uleb(i)];
export const set = (i: number) => [0x21, ...uleb(i)];
export const i32 = (n: number) => [0x41, ...sleb(n)];
export const add = [0x6a];
export const sub = [0x6b];
export const mul = [0x6c];
export const shl = [0x74];
export const ltS = [0x48];
export const simd = (op: number) => [0xfd, ...uleb(op)];
export const load = [...simd(0x00), 0x00, 0x00];
export const store = [...simd(0x0b), 0x00, 0x00];
export const f32x4Eq = simd(0x41);
export const f32x4Splat = simd(0x13);
export const not = simd(0x4d);
export const and = simd(0x4e);
export const andNot = simd(0x4f);
export const or = simd(0x50);
export const anyTrue = simd(0x53);
export const negInfF32 = [0x43, 0x00, 0x00, 0x80, 0xff];

/** for (counter = 0; counter < limit; counter++) body — assumes limit >= 1. */
export function loop(counter: number, limit: number, body: number[]): number[] {
  return [...i32(0), ...set(counter), 0x03, 0x40, ...body, ...get(counter), ...i32(1), ...add, 0x22, ...uleb(counter), ...get(limit), ...ltS, 0x0d, 0x00, 0x0b];
}

/** v128.const 0 */
export const zeroV128 = [...simd(0x0c), ...new Array(16).fill(0)];
export const f32x4Add = simd(0xe4);
export const f32x4Sub = simd(0xe5);
export const f32x4Mul = simd(0xe6);

/**
 * `a * b + c` for the f32x4 values a, b, c on the stack. With `fma`, one relaxed_madd (a fused
 * multiply-add on hardware that has one, relaxed SIMD); without, a multiply then an add, which
 * needs a spare v128 local (`scratch`) to set c aside.
 */
export function madd(fma: boolean, scratch: number): number[] {
  return fma ? simd(0x105) : [...set(scratch), ...f32x4Mul, ...get(scratch), ...f32x4Add];
}
