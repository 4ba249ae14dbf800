/**
 * mixup (Zhang et al. 2018), the batch-level augmentation: pairs of clips and their labels mixed
 * with one Beta-distributed weight. Needs soft labels, so the dataset turns it on with `oneHot`.
 */
import { MelbookError } from '../errors';
import { gaussianSource, type Random } from './random';

/**
 * mixup (Zhang et al. 2018): x = lambda xa + (1 - lambda) xb and the same for the labels, which
 * must be vectors of one length (one-hot or already soft; class indices need `oneHot` first).
 * Training on the mixed pairs needs a loss that takes soft labels (categorical cross-entropy,
 * not the sparse one). `lambda` in [0, 1]; draw it with `mixupLambda`.
 */
export function mixup(xa: Float32Array, ya: ArrayLike<number>, xb: Float32Array, yb: ArrayLike<number>, lambda: number): { x: Float32Array; y: Float32Array } {
  if (!(lambda >= 0 && lambda <= 1)) throw new MelbookError(`mixup: lambda must be in [0, 1], got ${lambda}`);
  if (xa.length !== xb.length) throw new MelbookError(`mixup: the two clips differ in length (${xa.length} vs ${xb.length}); mix clips of one shape`);
  if (ya.length !== yb.length) throw new MelbookError(`mixup: the two label vectors differ in length (${ya.length} vs ${yb.length}); one-hot both with the same class count`);
  const mix = (a: ArrayLike<number>, b: ArrayLike<number>) => Float32Array.from({ length: a.length }, (_, i) => lambda * a[i] + (1 - lambda) * b[i]);
  return { x: mix(xa, xb), y: mix(ya, yb) };
}

/** A one-hot label vector of `classes` entries. */
export function oneHot(index: number, classes: number): Float32Array {
  if (!Number.isInteger(index) || index < 0 || index >= classes) throw new MelbookError(`oneHot: class index must be an integer in 0..${classes - 1}, got ${index}`);
  const y = new Float32Array(classes);
  y[index] = 1;
  return y;
}

/** mixup's lambda ~ Beta(alpha, alpha), from two Gamma(alpha) draws (Marsaglia-Tsang). alpha > 0. */
export function mixupLambda(alpha: number, random: Random): number {
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new MelbookError(`mixupLambda: alpha must be a positive number, got ${alpha}`);
  const normal = gaussianSource(random);
  const gamma = (a: number): number => {
    if (a < 1) return gamma(a + 1) * (1 - random()) ** (1 / a);
    const d = a - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const z = normal();
      const v = (1 + c * z) ** 3;
      if (v <= 0) continue;
      const u = 1 - random();
      if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
    }
  };
  const g1 = gamma(alpha);
  const g2 = gamma(alpha);
  return g1 + g2 > 0 ? g1 / (g1 + g2) : 0.5;
}

/**
 * mixup of a whole batch, as the reference implementation does: one lambda ~ Beta(alpha, alpha)
 * per batch, each clip mixed with the clip a random permutation of the batch pairs it with.
 * `xs` is `[batch, clipSize]` row-major, `labels` the class indices; returns new arrays with
 * soft labels `[batch, classes]`.
 */
export function mixupBatch(xs: Float32Array, labels: ArrayLike<number>, classes: number, alpha: number, random: Random): { xs: Float32Array; ys: Float32Array; lambda: number } {
  const batch = labels.length;
  if (batch === 0 || xs.length % batch !== 0) throw new MelbookError(`mixupBatch: ${xs.length} values do not split into ${batch} clips`);
  const size = xs.length / batch;
  const lambda = mixupLambda(alpha, random);
  const partner = Array.from({ length: batch }, (_, i) => i);
  for (let i = batch - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [partner[i], partner[j]] = [partner[j], partner[i]];
  }
  const out = new Float32Array(xs.length);
  const ys = new Float32Array(batch * classes);
  for (let k = 0; k < batch; k++) {
    const p = partner[k];
    for (let i = 0; i < size; i++) out[k * size + i] = lambda * xs[k * size + i] + (1 - lambda) * xs[p * size + i];
    ys[k * classes + labels[k]] += lambda;
    ys[k * classes + labels[p]] += 1 - lambda;
  }
  return { xs: out, ys, lambda };
}
