/**
 * Optimizer construction from a parsed `OptimizerSpec` (see spec.ts for fields and defaults).
 */
import * as tf from '@tensorflow/tfjs';
import type { OptimizerSpec } from './spec';

/**
 * A fresh tfjs optimizer for `spec`. The caller owns it: `optimizer.dispose()` frees its slot
 * variables (LayersModel.dispose() does not). SGD with momentum > 0 or `nesterov` becomes
 * tf.train.momentum, as Keras's SGD does.
 */
export function createOptimizer(spec: OptimizerSpec): tf.Optimizer {
  switch (spec.type) {
    case 'adam':
      return tf.train.adam(spec.learningRate, spec.beta1, spec.beta2, spec.epsilon);
    case 'adamax':
      return tf.train.adamax(spec.learningRate, spec.beta1, spec.beta2, spec.epsilon, spec.decay);
    case 'rmsprop':
      return tf.train.rmsprop(spec.learningRate, spec.rho, spec.momentum, spec.epsilon, spec.centered);
    case 'sgd':
      return spec.momentum > 0 || spec.nesterov
        ? tf.train.momentum(spec.learningRate, spec.momentum, spec.nesterov)
        : tf.train.sgd(spec.learningRate);
    case 'adagrad':
      return tf.train.adagrad(spec.learningRate, spec.initialAccumulatorValue);
    case 'adadelta':
      return tf.train.adadelta(spec.learningRate, spec.rho, spec.epsilon);
    default: {
      const unknown: never = spec;
      throw new Error(`unhandled optimizer ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * Frees an optimizer's slot variables and constants. Works around tfjs 4.22's
 * MomentumOptimizer.dispose(), which skips its parent's and leaks the learning-rate scalar.
 */
export function disposeOptimizer(optimizer: tf.Optimizer): void {
  optimizer.dispose();
  if (optimizer instanceof tf.MomentumOptimizer) {
    // `c` is MomentumOptimizer's private learning-rate scalar, which its dispose() leaves alive.
    const rate = (optimizer as unknown as { c?: tf.Tensor }).c;
    if (rate && !rate.isDisposed) rate.dispose();
  }
}
