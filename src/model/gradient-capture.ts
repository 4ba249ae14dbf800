/**
 * An "optimizer" that computes gradients and keeps them instead of applying them. A data-parallel
 * replica compiles its model with it, so `model.trainOnBatch` runs Keras's own loss, metrics,
 * regularisers and BatchNorm updates, and the gradients come out as one flat Float32Array in the
 * order of the variables Keras trains (its `trainableWeights`), ready to be averaged elsewhere.
 */
import * as tf from '@tensorflow/tfjs';
import { MelbookError } from '../errors';

export class GradientCapture extends tf.Optimizer {
  static get className(): string {
    return 'MelbookGradientCapture';
  }

  /** The last batch's gradients, concatenated in the order of `minimize`'s varList. */
  private captured: Float32Array | undefined;

  /** Gradients of `f` with respect to `varList`, flattened and kept; the variables do not change. */
  override minimize(f: () => tf.Scalar, returnCost = false, varList?: tf.Variable[]): tf.Scalar | null {
    if (!varList) throw new MelbookError('GradientCapture.minimize needs the variable list (Keras passes its trainable weights)');
    const { value, grads } = this.computeGradients(f, varList);
    const flat = new Float32Array(varList.reduce((n, v) => n + v.size, 0));
    let offset = 0;
    for (const v of varList) {
      const g = grads[v.name];
      if (!g) throw new MelbookError(`no gradient for ${v.name}: every trainable variable must take part in the loss`);
      flat.set(g.dataSync() as Float32Array, offset);
      offset += v.size;
    }
    tf.dispose(grads);
    this.captured = flat;
    if (returnCost) return value;
    value.dispose();
    return null;
  }

  /** Hands over the gradients of the last `minimize` (each batch's only once). */
  take(): Float32Array {
    const out = this.captured;
    if (!out) throw new MelbookError('no gradients captured: run model.trainOnBatch first');
    this.captured = undefined;
    return out;
  }

  override applyGradients(): void {
    throw new MelbookError('GradientCapture keeps gradients and never applies them; the averaging side applies them');
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}
