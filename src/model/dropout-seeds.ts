/**
 * Seeded dropout masks, so that a training run is reproducible: the same seed and replica count
 * give the same weights, bit for bit.
 *
 * tfjs draws each dropout mask from a generator seeded with Math.random() unless the Dropout
 * layer has a seed, and a layer's fixed seed draws the same mask at every step. melbook
 * therefore gives every Dropout layer a seed for one training step only, derived from the run's
 * seed, the epoch, the step and the replica, and takes it away after the step (a saved or
 * reused model keeps tfjs's unseeded behaviour).
 */
import * as tf from '@tensorflow/tfjs';

/** Where a training step sits in a run; every field an integer. */
export interface StepPosition {
  /** training.seed */
  seed: number;
  epoch: number;
  /** The batch's index within the epoch. */
  step: number;
  /** The data-parallel replica computing the step (0 without replicas). */
  replica?: number;
}

/** A 32-bit seed for one step's dropout masks (a hash of the position; distinct positions give unrelated seeds). */
export function stepSeed({ seed, epoch, step, replica = 0 }: StepPosition): number {
  let h = 0x9e3779b9;
  for (const v of [seed, epoch, step, replica]) {
    h = Math.imul(h ^ (v | 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** The model's Dropout layers (tf.layers.dropout), in layer order. */
function dropoutLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((layer) => layer.getClassName() === 'Dropout');
}

/** A Dropout layer's seed field, which tfjs keeps private and reads at every call. */
type Seeded = { seed: number | undefined };

/**
 * Runs `step` (one training step of `model`) with every Dropout layer seeded from `seed`: layer
 * i gets `seed + i`, so two layers never share a mask. The seeds are removed afterwards, also
 * when the step fails.
 */
export async function withDropoutSeed<T>(model: tf.LayersModel, seed: number, step: () => Promise<T>): Promise<T> {
  const layers = dropoutLayers(model);
  // tfjs-layers' Dropout stores its seed in a private field and passes it to tf.dropout per call.
  layers.forEach((layer, i) => ((layer as unknown as Seeded).seed = (seed + i) >>> 0));
  try {
    return await step();
  } finally {
    // The same private field, cleared: tfjs then seeds from Math.random() again.
    for (const layer of layers) (layer as unknown as Seeded).seed = undefined;
  }
}
