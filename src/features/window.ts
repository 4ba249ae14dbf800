/**
 * Analysis windows. All return a Float64Array of `length` samples (JS numbers are doubles;
 * keeping the window in double keeps the STFT at double precision until the output is stored).
 */

/**
 * Hann window, periodic by default as `torch.hann_window(length)` and `scipy.signal.get_window('hann')`:
 * w[n] = 0.5 - 0.5 cos(2 pi n / N) with N = length (periodic) or length - 1 (symmetric).
 * A periodic window is the first `length` samples of a symmetric window of `length + 1`,
 * which is what makes overlapped frames sum to a constant (COLA) at hop length/2.
 * Output shape: [length].
 */
export function hannWindow(length: number, periodic = true): Float64Array {
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`hannWindow: length must be a non-negative integer, got ${length}`);
  const w = new Float64Array(length);
  if (length === 1) {
    w[0] = 1;
    return w;
  }
  const denom = periodic ? length : length - 1;
  for (let n = 0; n < length; n++) w[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / denom);
  return w;
}

/**
 * A window of `winLength` samples zero-padded on both sides to `nFft` samples, centred as
 * torch.stft does: `floor((nFft - winLength) / 2)` zeros on the left, the rest on the right.
 * Output shape: [nFft].
 */
export function padWindowCentered(window: Float64Array, nFft: number): Float64Array {
  if (window.length > nFft) throw new RangeError(`padWindowCentered: window length ${window.length} exceeds nFft ${nFft}`);
  const out = new Float64Array(nFft);
  out.set(window, Math.floor((nFft - window.length) / 2));
  return out;
}
