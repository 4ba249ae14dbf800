/** Messages between the data-parallel pool (data-parallel.ts) and its replicas (replica-worker.ts). */
import type { BackendName } from '../model/backend';
import type { ModelSpec } from '../model/spec';

/** What a replica is built from (its workerData). */
export interface ReplicaInit {
  model: ModelSpec;
  inputShape: number[];
  numClasses: number;
  /** Weight initialisation seed; the weights are overwritten by the owner's before every step. */
  seed: number;
  /** Keras loss and metric names, as the owner compiled its model with. */
  loss: string;
  metrics: readonly string[];
  backend: BackendName;
}

/** One step: the owner's weights (trainable, then non-trainable, flat) and this replica's shard. */
export interface ReplicaStep {
  type: 'step';
  weights: Float32Array;
  xs: Float32Array;
  xsShape: number[];
  ys: Float32Array | Int32Array;
  ysShape: number[];
  ysDtype: 'float32' | 'int32';
  /** Seed of this replica's dropout masks for the step (dropout-seeds.ts), or undefined for tfjs's unseeded masks. */
  dropoutSeed?: number;
}

export type ReplicaReply =
  | { type: 'ready'; backend: string; trainable: number[][]; nonTrainable: number[][] }
  /** Gradients of the shard's mean loss (flat, trainable order), moving statistics after the step, and the shard's metrics. */
  | { type: 'grads'; grads: Float32Array; moving: Float32Array; loss: number; accuracy: number; tensors: number; /** Milliseconds from receiving the step to replying. */ busyMs: number }
  | { type: 'failed'; message: string };
