/**
 * Delta (time-derivative) features of a `[rows, cols]` feature matrix (rows = mel bands or
 * MFCCs, cols = frames), computed along the frames of each row.
 *
 * Inside the clip both modes use the same local regression over `width = 2N + 1` frames:
 *
 *   order 1:  d[t] = sum_{k=-N..N} k * x[t+k] / sum_{k=-N..N} k^2
 *
 * the slope of the least-squares line through the window, which is what torchaudio's
 * `compute_deltas`, Kaldi's `add-deltas` and the Savitzky-Golay derivative filter of
 * `scipy.signal.savgol_filter(x, width, polyorder=1, deriv=1)` all compute. They differ at the
 * first and last N frames:
 *
 * - `interp` (librosa.feature.delta's default, which calls
 *   `savgol_filter(x, width, deriv=order, polyorder=order, mode='interp')`): a polynomial of degree
 *   `order` is fitted to the first (last) `width` frames and its `order`-th derivative taken at the
 *   edge frames. That derivative of a degree-`order` polynomial is a constant, so every edge frame
 *   gets the value of the first (last) full window, d[N] (d[cols-1-N]). Needs `width <= cols`.
 * - `replicate` (torchaudio.functional.compute_deltas, Kaldi): the row is padded by repeating its
 *   first and last frame N times, then the regression runs everywhere.
 *
 * Order 2 differs too: `interp` follows librosa and fits a quadratic (Savitzky-Golay `deriv=2,
 * polyorder=2`, d2[t] = sum_k 2 (k^2 - m) x[t+k] / sum_k (k^2 - m)^2 with m the mean of k^2 over
 * the window); `replicate` follows torchaudio/Kaldi usage and applies the order-1 delta twice.
 */
import { MelbookError } from '../errors';
import { checkFeatureShape, type FeatureShape } from './normalize';

/** Edge handling, from one list so the union cannot drift. */
export const DELTA_MODES = ['interp', 'replicate'] as const;
export type DeltaMode = (typeof DELTA_MODES)[number];
/** Delta orders: 1 deltas, 2 deltas and delta-deltas (0, none, is no stacking at all). */
export const DELTA_ORDERS = [1, 2] as const;
/** Defaults of the regression, declared once: librosa's window and edge convention. */
export const DELTA_DEFAULTS = { width: 9, mode: 'interp' } as const;

export interface DeltaOptions {
  /** Frames in the regression window, odd and >= 3. Default 9 (librosa); torchaudio's default is 5. */
  width?: number;
  /** Derivative order, 1 (delta) or 2 (delta-delta, acceleration). Default 1. */
  order?: 1 | 2;
  /** Edge handling, see the module comment: `interp` (librosa) or `replicate` (torchaudio). Default `interp`. */
  mode?: DeltaMode;
}

/**
 * Delta features along the frames of each row.
 * @returns a new Float32Array of shape `[rows, cols]` (the input's), in feature units per frame
 *   (per frame squared for order 2). Accumulates in float64.
 */
export function deltas(x: Float32Array, shape: FeatureShape, options: DeltaOptions = {}): Float32Array {
  const width = options.width ?? DELTA_DEFAULTS.width;
  const order = options.order ?? 1;
  const mode = options.mode ?? DELTA_DEFAULTS.mode;
  checkFeatureShape('deltas', x.length, shape);
  if (!Number.isInteger(width) || width < 3 || width % 2 === 0) {
    throw new MelbookError(`deltas: width must be an odd integer >= 3 frames, got ${width}`);
  }
  if (order !== 1 && order !== 2) throw new MelbookError(`deltas: order must be 1 or 2, got ${order}`);
  if (!DELTA_MODES.includes(mode)) throw new MelbookError(`deltas: mode must be one of ${DELTA_MODES.join(', ')}, got ${JSON.stringify(mode)}`);
  const cols = shape[1];
  if (mode === 'interp' && width > cols) {
    throw new MelbookError(`deltas: mode 'interp' needs width <= frames, got width ${width} for ${cols} frames; use a smaller width or mode 'replicate'`);
  }
  if (mode === 'replicate') {
    const once = replicateDeltas(x, shape, width);
    return order === 1 ? once : replicateDeltas(once, shape, width);
  }
  return interpDeltas(x, shape, width, order);
}

/**
 * The matrix with its deltas stacked under it: `[x; delta; delta-delta]` up to `order`
 * (0 returns a copy), each delta computed from `x` as `deltas(x, shape, { ...options, order: k })`
 * (librosa's `np.vstack([x, delta(x), delta(x, order=2)])`).
 * @returns a new Float32Array of shape `[rows * (order + 1), cols]`.
 */
export function stackDeltas(x: Float32Array, shape: FeatureShape, order: 0 | 1 | 2, options: Omit<DeltaOptions, 'order'> = {}): Float32Array {
  checkFeatureShape('stackDeltas', x.length, shape);
  if (order !== 0 && order !== 1 && order !== 2) throw new MelbookError(`stackDeltas: order must be 0, 1 or 2, got ${order}`);
  const out = new Float32Array(x.length * (order + 1));
  out.set(x);
  for (let k = 1; k <= order; k++) out.set(deltas(x, shape, { ...options, order: k as 1 | 2 }), k * x.length);
  return out;
}

/** Shape of `stackDeltas`' output: `[rows * (order + 1), cols]`. */
export function stackedDeltaShape(shape: FeatureShape, order: 0 | 1 | 2): [number, number] {
  return [shape[0] * (order + 1), shape[1]];
}

/** Regression weights c_k, k = -N..N, such that d[t] = sum_k c_k x[t+k] (see the module comment). */
function regressionWeights(width: number, order: 1 | 2): Float64Array {
  const n = (width - 1) / 2;
  const w = new Float64Array(width);
  if (order === 1) {
    let denom = 0;
    for (let k = -n; k <= n; k++) denom += k * k;
    for (let k = -n; k <= n; k++) w[k + n] = k / denom;
    return w;
  }
  // Quadratic fit a0 + a1 k + a2 k^2 over a symmetric window: k is orthogonal to 1 and k^2, so
  // a2 is the regression of x on (k^2 - mean k^2), and the second derivative is 2 a2.
  let m = 0;
  for (let k = -n; k <= n; k++) m += k * k;
  m /= width;
  let denom = 0;
  for (let k = -n; k <= n; k++) denom += (k * k - m) ** 2;
  for (let k = -n; k <= n; k++) w[k + n] = (2 * (k * k - m)) / denom;
  return w;
}

function interpDeltas(x: Float32Array, [rows, cols]: FeatureShape, width: number, order: 1 | 2): Float32Array {
  const n = (width - 1) / 2;
  const w = regressionWeights(width, order);
  const out = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) {
    const row = r * cols;
    for (let t = n; t < cols - n; t++) {
      let acc = 0;
      for (let k = 0; k < width; k++) acc += w[k] * x[row + t - n + k];
      out[row + t] = acc;
    }
    // Edges: the derivative of the polynomial fitted to the first/last full window (a constant).
    out.fill(out[row + n], row, row + n);
    out.fill(out[row + cols - 1 - n], row + cols - n, row + cols);
  }
  return out;
}

function replicateDeltas(x: Float32Array, [rows, cols]: FeatureShape, width: number): Float32Array {
  const n = (width - 1) / 2;
  const w = regressionWeights(width, 1);
  const out = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) {
    const row = r * cols;
    for (let t = 0; t < cols; t++) {
      let acc = 0;
      for (let k = -n; k <= n; k++) acc += w[k + n] * x[row + Math.min(cols - 1, Math.max(0, t + k))];
      out[row + t] = acc;
    }
  }
  return out;
}
