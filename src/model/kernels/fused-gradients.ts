/**
 * ReLU's and batch norm's gradients through melbook's fused wasm kernels (fused-grads.ts), and
 * Mean's (used twice by every batch norm in training, through tf.moments) as one broadcast.
 *
 * tfjs keeps one gradient per kernel name for every backend, so each override here first checks
 * that the active backend is wasm with melbook's kernel registered and the tensors are float32;
 * otherwise it runs tfjs's own gradient, unchanged. The math is tfjs's (FusedBatchNorm_grad,
 * Relu_grad), regrouped: with r = 1 / sqrt(variance + epsilon), s = scale * r,
 * S1 = sum(dy) and S2 = sum(dy * (x - mean)) per channel,
 *
 *   dx = dy * s,  dmean = -s * S1,  dvariance = -0.5 * s * r^2 * S2,  dscale = r * S2,  doffset = S1.
 *
 * The per-channel sums come from one kernel call in the gradient function's body (not in a
 * thunk: the engine runs each thunk in its own tidy, so a value shared by several must be made
 * outside them; it is disposed with the rest of the gradient computation).
 */
import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_GRAD_SUMS, RELU_GRAD } from './fused-grads';

/** tfjs's gradients we replaced, to run where ours do not apply and to restore. */
const stock = new Map<string, tf.GradConfig>();

function fusedOnWasm(kernel: string, ...tensors: (tf.Tensor | undefined)[]): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(kernel, 'wasm') != null && tensors.every((t) => t == null || t.dtype === 'float32');
}

function stockGrad(kernelName: string): tf.GradConfig['gradFunc'] {
  const config = stock.get(kernelName);
  if (!config) throw new Error(`melbook: tfjs's ${kernelName} gradient was not saved before the override`);
  return config.gradFunc;
}

const reluGrad: tf.GradConfig = {
  kernelName: 'Relu',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const g = dy as tf.Tensor;
    if (!fusedOnWasm(RELU_GRAD, x, g)) return stockGrad('Relu')(dy, saved, attrs);
    return { x: () => tf.engine().runKernel(RELU_GRAD, { dy: g, x }) as tf.Tensor };
  },
};

const batchNormGrad: tf.GradConfig = {
  kernelName: 'FusedBatchNorm',
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy, saved, attrs) => {
    const [x, mean, variance, scale] = saved;
    const g = dy as tf.Tensor;
    const perChannel = mean.rank === 1 && variance.rank === 1 && x.shape[x.rank - 1] === mean.shape[0];
    if (!perChannel || !fusedOnWasm(BATCH_NORM_GRAD_SUMS, x, g, mean, variance, scale)) return stockGrad('FusedBatchNorm')(dy, saved, attrs);
    // Kernel attrs arrive as the untyped NamedAttrMap; tfjs fills them from FusedBatchNormAttrs.
    const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
    const sums = tf.engine().runKernel(BATCH_NORM_GRAD_SUMS, { dy: g, x, mean }) as tf.Tensor2D;
    const [sumDy, sumDyCentred] = tf.unstack(sums);
    const r = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
    const s = scale == null ? r : tf.mul(r, scale);
    return {
      x: () => tf.mul(g, s),
      mean: () => tf.reshape(tf.neg(tf.mul(s, sumDy)), mean.shape),
      variance: () => tf.reshape(tf.mul(tf.mul(s, tf.square(r)), tf.mul(sumDyCentred, tf.scalar(-0.5))), mean.shape),
      scale: () => tf.reshape(tf.mul(r, sumDyCentred), mean.shape),
      offset: () => tf.reshape(sumDy, mean.shape),
    };
  },
};

/**
 * Mean's gradient, dy / n broadcast back over the reduced axes: tfjs builds a tensor of ones,
 * multiplies and divides (three passes at the input's size); here the division is on dy and
 * the broadcast is a Tile (melbook's block copies). Same values, bit for bit: dy * 1 is dy.
 */
const meanGrad: tf.GradConfig = {
  kernelName: 'Mean',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const g = dy as tf.Tensor;
    if (!fusedOnWasm('Tile', x, g)) return stockGrad('Mean')(dy, saved, attrs);
    // Kernel attrs arrive as the untyped NamedAttrMap; tfjs fills them from MeanAttrs.
    const axes = tf.util.parseAxisParam((attrs as unknown as tf.MeanAttrs).axis, x.shape);
    const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const count = axes.reduce((n, a) => n * x.shape[a], 1);
    return { x: () => tf.broadcastTo(tf.div(tf.reshape(g, expanded), tf.scalar(count)), x.shape) };
  },
};

/** Each override, with the melbook wasm kernel it runs (Mean's needs melbook's Tile: tfjs's is a per-element loop). */
const OVERRIDES: { config: tf.GradConfig; needs: string }[] = [
  { config: reluGrad, needs: RELU_GRAD },
  { config: batchNormGrad, needs: BATCH_NORM_GRAD_SUMS },
  { config: meanGrad, needs: 'Tile' },
];

/**
 * Routes ReLU's, batch norm's and Mean's gradients through the fused kernels, for each override
 * whose kernel is among `installed` (the melbook kernels registered on wasm). Idempotent.
 */
export function installFusedGradients(installed: ReadonlySet<string>): void {
  for (const { config, needs } of OVERRIDES) {
    if (stock.has(config.kernelName) || !installed.has(needs)) continue;
    const original = tf.getGradient(config.kernelName);
    if (!original) continue; // no tfjs gradient to fall back on: leave this kernel alone
    stock.set(config.kernelName, original);
    tf.registerGradient(config);
  }
}

/** Puts tfjs's own gradients back. */
export function removeFusedGradients(): void {
  for (const config of stock.values()) tf.registerGradient(config);
  stock.clear();
}
