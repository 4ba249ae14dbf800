/**
 * A small hand-assembled WebAssembly SIMD module that works directly on the tfjs wasm heap (it
 * imports the backend's own `WebAssembly.Memory`, so no data is copied). It holds kernels that
 * plain JS runs slowly because they are branchy per element. The module is built once per wasm
 * backend, on first use; if the engine lacks SIMD, `simdModule` returns undefined and callers
 * keep their JS path.
 *
 * maxPoolGrad2x2(x, y, g, dx, B, OH, OW, C4, rowBytes, imageBytes) -> problems
 *   2x2 windows, stride 2, no padding, channels a multiple of 4 (C4 = C / 4), NHWC float32.
 *   Per window and 4 channels: m = y (the forward max); the first of the four pixels equal to
 *   m gets g, the others 0 (written, not added: windows do not overlap). Lanes where m is NaN,
 *   -Infinity or matches no pixel are counted in `problems`; the caller then redoes the whole
 *   kernel in JS, which follows the cpu backend's rules for those cases.
 *
 * columnSumBlocks(src, dst, blocks, blockRows, inner4) -> 0
 *   src is [blocks * blockRows, inner] float32 (inner = 4 * inner4); dst[blk, :] = the float32
 *   sum of the blk-th block of rows. Callers add the block sums in float64, so the rounding
 *   error stays that of a blockRows-term sum.
 *
 * filterGradTile(x, xPixelBytes, xRowBytes, dy, rows, cols, coBlocks, offsets, kBlocks, dW) -> 0
 *   One chunk of a convolution's filter gradient (see conv2d-backprop-filter-simd.ts):
 *   dW[k, co] += sum over the chunk's pixels (r, c) of x[xAt(r, c) + offsets[k]] * dy[r, c, co],
 *   where xAt(r, c) = x + r * xRowBytes + c * xPixelBytes (bytes), dy is [rows, cols, Co]
 *   with Co = 8 * coBlocks, offsets is an i32 table of 4 * kBlocks byte offsets and dW is
 *   [4 * kBlocks, Co] float32. Register-blocked 4 k x 8 co (8 f32x4 accumulators): per pixel
 *   two dy loads, four splatted x values, 8 mul + 8 add. Each tile sums the chunk in its
 *   registers from zero, then adds that partial to dW, so every dW value is a float32 sum of
 *   per-chunk partials in a fixed order (bit-identical from run to run).
 *
 * reluGrad(x, dy, dx, n4) -> 0
 *   dx = x > 0 ? dy : 0 over n4 groups of 4 float32 (ReLU's gradient in one pass instead of
 *   step, cast and multiply); where x is NaN, dx is x (NaN), as step(x) * dy gives.
 *
 * batchNormGradBlocks(dy, x, mean, dst, blocks, blockRows, inner4) -> 0
 *   dy and x are [blocks * blockRows, inner] float32 (inner = 4 * inner4), mean is [inner];
 *   dst[blk, 0, :] = sum of dy and dst[blk, 1, :] = sum of dy * (x - mean) over the blk-th
 *   block of rows, in float32 (callers add the block sums in float64, as for columnSumBlocks).
 *
 * batchNormApply(x, dst, coef, rows, inner4) -> 0
 *   x and dst are [rows, inner] float32, coef is [3, inner]: mean, multiplier, offset;
 *   dst = (x - mean) * multiplier + offset, per channel (inference and training batch norm).
 *
 * adamStep(w, m, v, g, outW, outM, outV, n4, consts) -> 0
 *   One Adam update of 4 * n4 float32 values (adam-step.ts): consts holds 8 float32, b1, 1 - b1,
 *   b2, 1 - b2, 1 - b1^t, 1 - b2^t, eps and -lr; outM = m b1 + g (1 - b1), outV = v b2 +
 *   g g (1 - b2), outW = (outM / (1 - b1^t)) / (sqrt(outV / (1 - b2^t)) + eps) * -lr + w, each
 *   operation rounded to float32 in that order, as tfjs's Adam computes it op by op.
 */
import { relaxedSimdEnabled } from './relaxed-simd';
import { convTileBody, filterGradTileBody } from './simd-conv';
import { add, and, andNot, anyTrue, f32x4Add, f32x4Eq, f32x4Mul, f32x4Splat, f32x4Sub, get, i32, I32, load, loop, mul, name, negInfF32, not, or, section, set, shl, simd, store, sub, uleb, V128, zeroV128 } from './wasm-asm';
import type { BackendWasm } from './wasm-internals';

export interface SimdKernels {
  maxPoolGrad2x2(
    x: number, y: number, g: number, dx: number,
    batch: number, outHeight: number, outWidth: number, c4: number, rowBytes: number, imageBytes: number,
  ): number;
  columnSumBlocks(src: number, dst: number, blocks: number, blockRows: number, inner4: number): number;
  filterGradTile(
    x: number, xPixelBytes: number, xRowBytes: number, dy: number,
    rows: number, cols: number, coBlocks: number, offsets: number, kBlocks: number, dW: number,
  ): number;
  convTile(
    x: number, xPixelBytes: number, xRowBytes: number, xImageBytes: number, w: number, kRun: number,
    kRows: number, coBlocks: number, batch: number, outRows: number, quads: number, y: number, bias: number, relu: number,
  ): number;
  reluGrad(x: number, dy: number, dx: number, n4: number): number;
  batchNormGradBlocks(dy: number, x: number, mean: number, dst: number, blocks: number, blockRows: number, inner4: number): number;
  batchNormApply(x: number, dst: number, coef: number, rows: number, inner4: number): number;
  adamStep(w: number, m: number, v: number, g: number, outW: number, outM: number, outV: number, n4: number, consts: number): number;
}

/** A backend's SIMD kernels and whether their multiply-adds are fused (relaxed SIMD). */
interface Built {
  kernels: SimdKernels;
  fma: boolean;
}

const cache = new WeakMap<object, Built | null>();

/** The SIMD kernels bound to this backend's heap, or undefined where wasm SIMD is missing. */
export function simdModule(backend: BackendWasm): SimdKernels | undefined {
  return built(backend)?.kernels;
}

/** True when this backend's SIMD kernels use fused multiply-adds (relaxed-simd.ts). */
export function simdUsesFma(backend: BackendWasm): boolean {
  return built(backend)?.fma ?? false;
}

function built(backend: BackendWasm): Built | undefined {
  const key = backend.wasm as object;
  if (!cache.has(key)) {
    // Prefer the fused build; a module that does not compile leaves the plain SIMD one.
    const attempts = relaxedSimdEnabled() ? [true, false] : [false];
    let result: Built | null = null;
    for (const fma of attempts) {
      const kernels = instantiate(backend, fma);
      if (kernels) {
        result = { kernels, fma };
        break;
      }
    }
    cache.set(key, result);
  }
  return cache.get(key) ?? undefined;
}

/**
 * A new instance of the SIMD module on this backend's heap, with or without fused multiply-adds,
 * or undefined when it does not compile here. `simdModule` caches its choice; tests compare both.
 */
export function instantiate(backend: BackendWasm, fma: boolean): SimdKernels | undefined {
  return compile(backend, buildModule(fma));
}

/** Instantiates module bytes on the backend's heap; undefined when they do not compile here. */
function compile(backend: BackendWasm, bytes: Uint8Array): SimdKernels | undefined {
  try {
    // The emscripten module's memory is not in tfjs-backend-wasm's public types.
    const memory = (backend.wasm as unknown as { asm: { memory: WebAssembly.Memory } }).asm.memory;
    const module = new WebAssembly.Module(bytes);
    // WebAssembly exports are untyped; every module built here exports SimdKernels functions by name.
    return new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SimdKernels;
  } catch {
    return undefined;
  }
}

function maxPoolGrad2x2Body(): number[] {
  // params 0 x, 1 y, 2 g, 3 dx, 4 B, 5 OH, 6 OW, 7 C4, 8 rowBytes, 9 imageBytes
  // i32 locals 10 b, 11 oh, 12 ow, 13 cb, 14 p0, 15 k, 16 problems, 17 delta, 18 cBytes, 19 rowBase
  // v128 locals 20 m, 21 e0, 22 e1, 23 e2, 24 e3, 25 found, 26 g
  const [B, OH, OW, C4, ROW, IMG] = [4, 5, 6, 7, 8, 9];
  const [b, oh, ow, cb, p0, k, problems, delta, cBytes, rowBase] = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19];
  const [m, e0, e1, e2, e3, found, g] = [20, 21, 22, 23, 24, 25, 26];
  const pixel = (extra: number[]) => [...get(p0), ...extra]; // address of one of the 4 pixels
  const at1 = [...get(cBytes), ...add];
  const at2 = [...get(ROW), ...add];
  const at3 = [...get(ROW), ...add, ...get(cBytes), ...add];
  const eqAt = (addr: number[]) => [...addr, ...load, ...get(m), ...f32x4Eq];
  const storeAt = (addr: number[], e: number) => [...addr, ...get(delta), ...add, ...get(g), ...get(e), ...and, ...store];
  const inner = [
    // p0 = rowBase + ow * 2 * cBytes + cb * 16
    ...get(rowBase), ...get(ow), ...i32(1), ...shl, ...get(cBytes), ...mul, ...add, ...get(cb), ...i32(4), ...shl, ...add, ...set(p0),
    ...get(1), ...get(k), ...add, ...load, ...set(m),
    ...eqAt(pixel([])), ...set(e0),
    ...eqAt(pixel(at1)), ...get(e0), ...andNot, ...set(e1),
    ...get(e0), ...get(e1), ...or, ...set(found),
    ...eqAt(pixel(at2)), ...get(found), ...andNot, ...set(e2),
    ...get(found), ...get(e2), ...or, ...set(found),
    ...eqAt(pixel(at3)), ...get(found), ...andNot, ...set(e3),
    ...get(found), ...get(e3), ...or, ...set(found),
    // problems += any_true(!found | m == -Inf)
    ...get(found), ...not, ...get(m), ...negInfF32, ...f32x4Splat, ...f32x4Eq, ...or, ...anyTrue, ...get(problems), ...add, ...set(problems),
    ...get(2), ...get(k), ...add, ...load, ...set(g),
    ...storeAt(pixel([]), e0), ...storeAt(pixel(at1), e1), ...storeAt(pixel(at2), e2), ...storeAt(pixel(at3), e3),
    ...get(k), ...i32(16), ...add, ...set(k),
  ];
  const body = [
    ...get(3), ...get(0), ...sub, ...set(delta),
    ...get(C4), ...i32(4), ...shl, ...set(cBytes),
    ...loop(b, B, loop(oh, OH, [
      // rowBase = x + b * imageBytes + oh * 2 * rowBytes
      ...get(0), ...get(b), ...get(IMG), ...mul, ...add, ...get(oh), ...i32(1), ...shl, ...get(ROW), ...mul, ...add, ...set(rowBase),
      ...loop(ow, OW, loop(cb, C4, inner)),
    ])),
    ...get(problems),
  ];
  const locals = [0x02, 10, I32, 7, V128];
  const code = [...locals, ...body, 0x0b];
  return [...uleb(code.length), ...code];
}

function columnSumBlocksBody(): number[] {
  // params 0 src, 1 dst, 2 blocks, 3 blockRows, 4 inner4; i32 locals 5 blk, 6 c4, 7 r, 8 p,
  // 9 rowBytes, 10 out; v128 local 11 acc
  const [blocks, blockRows, inner4] = [2, 3, 4];
  const [blk, c4, r, p, rowBytes, out] = [5, 6, 7, 8, 9, 10];
  const acc = 11;
  const zero = zeroV128;
  const body = [
    ...get(inner4), ...i32(4), ...shl, ...set(rowBytes),
    ...get(1), ...set(out),
    ...loop(blk, blocks, loop(c4, inner4, [
      // p = src + (blk * blockRows) * rowBytes + c4 * 16
      ...get(0), ...get(blk), ...get(blockRows), ...mul, ...get(rowBytes), ...mul, ...add, ...get(c4), ...i32(4), ...shl, ...add, ...set(p),
      ...zero, ...set(acc),
      ...loop(r, blockRows, [
        ...get(acc), ...get(p), ...load, ...f32x4Add, ...set(acc),
        ...get(p), ...get(rowBytes), ...add, ...set(p),
      ]),
      ...get(out), ...get(acc), ...store,
      ...get(out), ...i32(16), ...add, ...set(out),
    ])),
    ...i32(0),
  ];
  const code = [0x02, 6, I32, 1, V128, ...body, 0x0b];
  return [...uleb(code.length), ...code];
}

function reluGradBody(): number[] {
  // params 0 x, 1 dy, 2 dx, 3 n4; i32 locals 4 i, 5 at; v128 local 6 v
  const [X, DY, DX, N4] = [0, 1, 2, 3];
  const [i, at, v] = [4, 5, 6];
  const zero = zeroV128;
  const f32x4Gt = simd(0x44);
  const f32x4Ne = simd(0x42);
  const body = [
    ...loop(i, N4, [
      ...get(i), ...i32(4), ...shl, ...set(at),
      ...get(DX), ...get(at), ...add,
      ...get(X), ...get(at), ...add, ...load, ...set(v),
      // (dy & (x > 0)) | (x & (x != x))
      ...get(DY), ...get(at), ...add, ...load, ...get(v), ...zero, ...f32x4Gt, ...and,
      ...get(v), ...get(v), ...get(v), ...f32x4Ne, ...and, ...or,
      ...store,
    ]),
    ...i32(0),
  ];
  const code = [0x02, 2, I32, 1, V128, ...body, 0x0b];
  return [...uleb(code.length), ...code];
}

function batchNormGradBlocksBody(): number[] {
  // params 0 dy, 1 x, 2 mean, 3 dst, 4 blocks, 5 blockRows, 6 inner4; i32 locals 7 blk, 8 c4,
  // 9 r, 10 p (byte offset of the row in dy and x), 11 rowBytes, 12 out; v128 locals 13 s1,
  // 14 s2, 15 m, 16 g
  const [DY, X, MEAN, DST, BLOCKS, BLOCK_ROWS, INNER4] = [0, 1, 2, 3, 4, 5, 6];
  const [blk, c4, r, p, rowBytes, out] = [7, 8, 9, 10, 11, 12];
  const [s1, s2, m, g] = [13, 14, 15, 16];
  const zero = zeroV128;
  const body = [
    ...get(INNER4), ...i32(4), ...shl, ...set(rowBytes),
    ...loop(blk, BLOCKS, loop(c4, INNER4, [
      // p = (blk * blockRows) * rowBytes + c4 * 16; out = dst + (2 blk * inner4 + c4) * 16
      ...get(blk), ...get(BLOCK_ROWS), ...mul, ...get(rowBytes), ...mul, ...get(c4), ...i32(4), ...shl, ...add, ...set(p),
      ...get(DST), ...get(blk), ...i32(1), ...shl, ...get(rowBytes), ...mul, ...add, ...get(c4), ...i32(4), ...shl, ...add, ...set(out),
      ...get(MEAN), ...get(c4), ...i32(4), ...shl, ...add, ...load, ...set(m),
      ...zero, ...set(s1), ...zero, ...set(s2),
      ...loop(r, BLOCK_ROWS, [
        ...get(DY), ...get(p), ...add, ...load, 0x22, ...uleb(g), // tee g = dy
        ...get(s1), ...f32x4Add, ...set(s1),
        ...get(X), ...get(p), ...add, ...load, ...get(m), ...f32x4Sub, ...get(g), ...f32x4Mul, ...get(s2), ...f32x4Add, ...set(s2),
        ...get(p), ...get(rowBytes), ...add, ...set(p),
      ]),
      ...get(out), ...get(s1), ...store,
      ...get(out), ...get(rowBytes), ...add, ...get(s2), ...store,
    ])),
    ...i32(0),
  ];
  const code = [0x02, 6, I32, 4, V128, ...body, 0x0b];
  return [...uleb(code.length), ...code];
}

function batchNormApplyBody(): number[] {
  // params 0 x, 1 dst, 2 coef, 3 rows, 4 inner4; i32 locals 5 r, 6 c4, 7 p (byte offset in x
  // and dst), 8 q (byte offset in coef's first row), 9 rowBytes
  const [X, DST, COEF, ROWS, INNER4] = [0, 1, 2, 3, 4];
  const [r, c4, p, q, rowBytes] = [5, 6, 7, 8, 9];
  const coefAt = (row: number) => [...get(COEF), ...get(q), ...add, ...(row ? [...get(rowBytes), ...i32(row), ...mul, ...add] : []), ...load];
  const body = [
    ...get(INNER4), ...i32(4), ...shl, ...set(rowBytes),
    ...i32(0), ...set(p),
    ...loop(r, ROWS, loop(c4, INNER4, [
      ...get(c4), ...i32(4), ...shl, ...set(q),
      ...get(DST), ...get(p), ...add,
      ...get(X), ...get(p), ...add, ...load, ...coefAt(0), ...f32x4Sub, ...coefAt(1), ...f32x4Mul, ...coefAt(2), ...f32x4Add,
      ...store,
      ...get(p), ...i32(16), ...add, ...set(p),
    ])),
    ...i32(0),
  ];
  const code = [0x01, 5, I32, ...body, 0x0b];
  return [...uleb(code.length), ...code];
}

function adamStepBody(): number[] {
  // params 0 w, 1 m, 2 v, 3 g, 4 outW, 5 outM, 6 outV, 7 n4, 8 consts; i32 locals 9 i, 10 at;
  // v128 locals 11-18 the constants (b1, 1-b1, b2, 1-b2, 1-b1^t, 1-b2^t, eps, -lr), 19 g, 20 m', 21 v'
  const [W, M, V, G, OUTW, OUTM, OUTV, N4, CONSTS] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [i, at, c0, g, mj, vj] = [9, 10, 11, 19, 20, 21];
  const [b1, omb1, b2, omb2, oma1, oma2, eps, nlr] = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => c0 + k);
  const f32x4Div = simd(0xe7);
  const f32x4Sqrt = simd(0xe3);
  const splatAt = (k: number) => [...get(CONSTS), ...simd(0x09), 0x02, ...uleb(4 * k)];
  const at4 = (base: number) => [...get(base), ...get(at), ...add];
  const body = [
    ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((k) => [...splatAt(k), ...set(c0 + k)]),
    ...loop(i, N4, [
      ...get(i), ...i32(4), ...shl, ...set(at),
      ...at4(G), ...load, ...set(g),
      // m' = m b1 + g (1 - b1); v' = v b2 + g^2 (1 - b2): tfjs's ops, each rounded
      ...at4(M), ...load, ...get(b1), ...f32x4Mul, ...get(g), ...get(omb1), ...f32x4Mul, ...f32x4Add, ...set(mj),
      ...at4(V), ...load, ...get(b2), ...f32x4Mul, ...get(g), ...get(g), ...f32x4Mul, ...get(omb2), ...f32x4Mul, ...f32x4Add, ...set(vj),
      ...at4(OUTM), ...get(mj), ...store,
      ...at4(OUTV), ...get(vj), ...store,
      // w' = (m' / (1 - b1^t)) / (sqrt(v' / (1 - b2^t)) + eps) * -lr + w
      ...at4(OUTW),
      ...get(mj), ...get(oma1), ...f32x4Div,
      ...get(vj), ...get(oma2), ...f32x4Div, ...f32x4Sqrt, ...get(eps), ...f32x4Add,
      ...f32x4Div, ...get(nlr), ...f32x4Mul, ...at4(W), ...load, ...f32x4Add,
      ...store,
    ]),
    ...i32(0),
  ];
  const code = [0x02, 2, I32, 11, V128, ...body, 0x0b];
  return [...uleb(code.length), ...code];
}

type KernelBody = [name: string, params: number, body: number[]];

function buildModule(fma: boolean): Uint8Array {
  return moduleBytes([
    ['maxPoolGrad2x2', 10, maxPoolGrad2x2Body()],
    ['columnSumBlocks', 5, columnSumBlocksBody()],
    ['filterGradTile', 10, filterGradTileBody(fma)],
    ['convTile', 14, convTileBody(fma)],
    ['reluGrad', 4, reluGradBody()],
    ['batchNormGradBlocks', 7, batchNormGradBlocksBody()],
    ['batchNormApply', 5, batchNormApplyBody()],
    ['adamStep', 9, adamStepBody()],
  ]);
}

/** A module importing `env.memory` and exporting each kernel, all of whose params are i32 and which return an i32. */
function moduleBytes(kernels: KernelBody[]): Uint8Array {
  const i32s = (n: number) => [0x60, n, ...new Array(n).fill(I32), 1, I32];
  const n = kernels.length;
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [n, ...kernels.flatMap(([, params]) => i32s(params))]),
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 0x00]),
    ...section(3, [n, ...kernels.map((_, i) => i)]),
    ...section(7, [n, ...kernels.flatMap(([kernel], i) => [...name(kernel), 0x00, i])]),
    ...section(10, [n, ...kernels.flatMap(([, , body]) => body)]),
  ];
  return new Uint8Array(bytes);
}
