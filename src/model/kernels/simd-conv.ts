/**
 * The convolution kernels of the SIMD module (simd.ts), as WebAssembly function bodies. Both
 * are register-blocked the same way: 8 f32x4 accumulators hold a 4 x 8 tile, and each step of
 * the reduction loads two f32x4 values and splats four scalars for 8 multiply-adds. With `fma`
 * the multiply-adds are relaxed SIMD's f32x4.relaxed_madd (one fused instruction on hardware
 * with FMA, about 1.4x the throughput of a multiply and an add); without, a multiply and an add.
 *
 * filterGradTile: one chunk of a filter gradient (conv2d-backprop-filter-simd.ts), a 4 k x
 *   8 co tile of dW summed over the chunk's pixels.
 * convTile: a stride-1 convolution over a zero-padded input (conv2d.ts), a 4 pixel x 8 co tile
 *   of y summed over the KH x KW x Ci window.
 */
import { add, f32x4Add, get, i32, I32, loop, madd, mul, set, shl, simd, uleb, V128, zeroV128 } from './wasm-asm';

export function filterGradTileBody(fma: boolean): number[] {
  // params 0 x, 1 xPixelBytes, 2 xRowBytes, 3 dy, 4 rows, 5 cols, 6 coBlocks, 7 offsets,
  // 8 kBlocks, 9 dW; i32 locals 10 kb, 11 cb, 12 r, 13 c, 14-17 o0..o3, 18 xq, 19 dp,
  // 20 xRow, 21 dyPixelBytes, 22 w; v128 locals 23-30 a0..a7, 31 d0, 32 d1, 33 the splat,
  // 34 madd's scratch
  const [X, XPIX, XROW, DY, ROWS, COLS, COB, OFFS, KB, DW] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [kb, cb, r, c, o0, xq, dp, xRow, dyPix, w] = [10, 11, 12, 13, 14, 18, 19, 20, 21, 22];
  const [a0, d0, d1] = [23, 31, 32];
  const j4 = [0, 1, 2, 3];
  const zero = zeroV128;
  const fmadd = madd(fma, d1 + 2);
  const loadAt = (offset: number) => [...simd(0x00), 0x04, ...uleb(offset)];
  const storeAt = (offset: number) => [...simd(0x0b), 0x04, ...uleb(offset)];
  const i32Load = (offset: number) => [0x28, 0x02, ...uleb(offset)];
  const splat32 = [...simd(0x09), 0x02, 0x00]; // v128.load32_splat
  // acc(2j + h) += splat(x[xq + o_j]) * d_h, for h = 0, 1
  const tap = (j: number) => [
    ...get(xq), ...get(o0 + j), ...add, ...splat32, 0x22, ...uleb(d1 + 1), // tee a spare v128 local
    ...get(d0), ...get(a0 + 2 * j), ...fmadd, ...set(a0 + 2 * j),
    ...get(d1 + 1), ...get(d1), ...get(a0 + 2 * j + 1), ...fmadd, ...set(a0 + 2 * j + 1),
  ];
  const pixel = [
    ...get(dp), ...loadAt(0), ...set(d0),
    ...get(dp), ...loadAt(16), ...set(d1),
    ...j4.flatMap(tap),
    ...get(xq), ...get(XPIX), ...add, ...set(xq),
    ...get(dp), ...get(dyPix), ...add, ...set(dp),
  ];
  // dW row (4 kb + j) at w + j * dyPixelBytes: two f32x4 += the tile's partial sums
  const flush = j4.flatMap((j) => [
    ...get(w), ...get(w), ...loadAt(0), ...get(a0 + 2 * j), ...f32x4Add, ...storeAt(0),
    ...get(w), ...get(w), ...loadAt(16), ...get(a0 + 2 * j + 1), ...f32x4Add, ...storeAt(16),
    ...get(w), ...get(dyPix), ...add, ...set(w),
  ]);
  const tile = [
    ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((a) => [...zero, ...set(a0 + a)]),
    ...get(X), ...set(xRow),
    ...get(DY), ...get(cb), ...i32(5), ...shl, ...add, ...set(dp),
    ...loop(r, ROWS, [
      ...get(xRow), ...set(xq),
      ...loop(c, COLS, pixel),
      ...get(xRow), ...get(XROW), ...add, ...set(xRow),
    ]),
    // w = dW + 4 kb * dyPixelBytes + cb * 32
    ...get(DW), ...get(kb), ...i32(2), ...shl, ...get(dyPix), ...mul, ...add, ...get(cb), ...i32(5), ...shl, ...add, ...set(w),
    ...flush,
  ];
  const body = [
    ...get(COB), ...i32(5), ...shl, ...set(dyPix),
    ...loop(kb, KB, [
      ...j4.flatMap((j) => [...get(OFFS), ...get(kb), ...i32(4), ...shl, ...add, ...i32Load(4 * j), ...set(o0 + j)]),
      ...loop(cb, COB, tile),
    ]),
    ...i32(0),
  ];
  const code = [0x02, 13, I32, 12, V128, ...body, 0x0b];
  return [...uleb(code.length), ...code];
}

/**
 * convTile(x, xPixelBytes, xRowBytes, xImageBytes, w, kRun, kRows, coBlocks, batch, outRows, quads, y, bias, relu) -> 0
 *   y[b, oh, ow, co] = act(bias[co] + sum over kh < kRows, t < kRun of x[b, oh + kh, ow, t] * w[kh * kRun + t, co]),
 *   with act = max(., 0) (NaN stays NaN) when relu is 1 and the identity when it is 0; bias is
 *   Co float32 (zeros for a convolution without one), the sums start from it,
 *   reading x at xAt(b, oh + kh, ow) + 4 t bytes, where xAt(b, r, c) = x + b * xImageBytes +
 *   r * xRowBytes + c * xPixelBytes: with t running over (kw, ci), that is the window's row kh,
 *   contiguous in a padded NHWC image. w is [kRows * kRun, Co] float32 (a [KH, KW, Ci, Co]
 *   filter), Co = 8 * coBlocks; y is [batch, outRows, 4 * quads, Co], written (not added).
 */
export function convTileBody(fma: boolean): number[] {
  // params 0 x, 1 xPixelBytes, 2 xRowBytes, 3 xImageBytes, 4 w, 5 kRun, 6 kRows, 7 coBlocks,
  // 8 batch, 9 outRows, 10 quads, 11 y, 12 bias, 13 relu; i32 locals 14 b, 15 oh, 16 q, 17 cb,
  // 18 r, 19 t, 20 xq, 21 wp, 22 pix, 23 yq, 24 coBytes, 25-27 o1..o3, 28 rowStart, 29 yt;
  // v128 locals 30-37 a0..a7, 38 w0, 39 w1, 40 the splat, 41 madd's scratch
  const [X, XPIX, XROW, XIMG, W, KRUN, KROWS, COB, BATCH, OUTROWS, QUADS, Y, BIAS, RELU] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
  const [b, oh, q, cb, r, t, xq, wp, pix, yq, coBytes, o1, rowStart, yt] = [14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 28, 29];
  const [a0, w0, w1, s] = [30, 38, 39, 40];
  const fmadd = madd(fma, s + 1);
  const loadAt = (offset: number) => [...simd(0x00), 0x04, ...uleb(offset)];
  const splat32 = [...simd(0x09), 0x02, 0x00]; // v128.load32_splat
  const j4 = [0, 1, 2, 3];
  // acc(2j + h) += splat(x[xq + o_j]) * w_h
  const tap = (j: number) => [
    ...get(xq), ...(j > 0 ? [...get(o1 + j - 1), ...add] : []), ...splat32, 0x22, ...uleb(s),
    ...get(w0), ...get(a0 + 2 * j), ...fmadd, ...set(a0 + 2 * j),
    ...get(s), ...get(w1), ...get(a0 + 2 * j + 1), ...fmadd, ...set(a0 + 2 * j + 1),
  ];
  const step = [
    ...get(wp), ...loadAt(0), ...set(w0),
    ...get(wp), ...loadAt(16), ...set(w1),
    ...j4.flatMap(tap),
    ...get(xq), ...i32(4), ...add, ...set(xq),
    ...get(wp), ...get(coBytes), ...add, ...set(wp),
  ];
  const a8 = [0, 1, 2, 3, 4, 5, 6, 7];
  const flush = convTileFlush({ relu: RELU, a0, yt, coBytes });
  const tile = [
    // the sums start from the bias of the tile's 8 channels (bias + cb * 32, two f32x4)
    ...a8.flatMap((a) => [...get(BIAS), ...get(cb), ...i32(5), ...shl, ...add, ...loadAt(16 * (a % 2)), ...set(a0 + a)]),
    ...get(pix), ...set(rowStart),
    ...get(W), ...get(cb), ...i32(5), ...shl, ...add, ...set(wp),
    ...loop(r, KROWS, [
      ...get(rowStart), ...set(xq),
      ...loop(t, KRUN, step),
      ...get(rowStart), ...get(XROW), ...add, ...set(rowStart),
    ]),
    ...get(yq), ...get(cb), ...i32(5), ...shl, ...add, ...set(yt),
    ...flush,
  ];
  const body = [
    ...get(COB), ...i32(5), ...shl, ...set(coBytes),
    ...get(XPIX), ...set(o1), ...get(XPIX), ...i32(1), ...shl, ...set(o1 + 1), ...get(o1), ...get(o1 + 1), ...add, ...set(o1 + 2),
    ...get(Y), ...set(yq),
    ...loop(b, BATCH, loop(oh, OUTROWS, loop(q, QUADS, [
      // pix = x + b * xImageBytes + oh * xRowBytes + q * 4 * xPixelBytes
      ...get(X), ...get(b), ...get(XIMG), ...mul, ...add, ...get(oh), ...get(XROW), ...mul, ...add, ...get(q), ...get(XPIX), ...mul, ...i32(2), ...shl, ...add, ...set(pix),
      ...loop(cb, COB, tile),
      ...get(yq), ...get(coBytes), ...i32(2), ...shl, ...add, ...set(yq),
    ]))),
    ...i32(0),
  ];
  const code = [0x02, 16, I32, 12, V128, ...body, 0x0b];
  return [...uleb(code.length), ...code];
}

/**
 * convTile's way out for one tile: ReLU on the 8 accumulators when the `relu` param is 1, then
 * pixel j's 8 channels stored at yt + j * coBytes (yt advances). Arguments are local indices.
 */
function convTileFlush(at: { relu: number; a0: number; yt: number; coBytes: number }): number[] {
  const f32x4Max = simd(0xe9);
  const storeAt = (offset: number) => [...simd(0x0b), 0x04, ...uleb(offset)];
  const relu = [...get(at.relu), 0x04, 0x40, ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((a) => [...get(at.a0 + a), ...zeroV128, ...f32x4Max, ...set(at.a0 + a)]), 0x0b];
  return [...relu, ...[0, 1, 2, 3].flatMap((j) => [
    ...get(at.yt), ...get(at.a0 + 2 * j), ...storeAt(0),
    ...get(at.yt), ...get(at.a0 + 2 * j + 1), ...storeAt(16),
    ...get(at.yt), ...get(at.coBytes), ...add, ...set(at.yt),
  ])];
}
