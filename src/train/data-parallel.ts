/**
 * Synchronous data-parallel training over worker threads, as PyTorch's DistributedDataParallel
 * without SyncBatchNorm: each batch is cut into one shard per replica, every replica computes the
 * gradients of its shard's mean loss on its own tfjs backend (replica-worker.ts), and this thread
 * averages them (weighted by shard size, in replica order, so a run is repeatable) and applies
 * them once with the model's own optimizer. The model, its optimizer state, checkpoints and
 * learning-rate changes therefore stay exactly where single-thread training keeps them.
 *
 * BatchNorm normalises each shard by its own statistics; the moving statistics the model keeps
 * are the replicas' updated ones, averaged by shard size. Dropout masks are drawn per replica,
 * seeded from the step's position and the replica's rank when the caller gives the position.
 */
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { MelbookError } from '../errors';
import { layoutOf, packVariables, sameShapes, unpackTensors, writeVariables, type VariableLayout } from '../model/flat-weights';
import { compiledWorker } from '../worker-file';
import { adamFlatApplies, applyAdamFlat } from '../model/adam-flat';
import { stepSeed, type StepPosition } from '../model/dropout-seeds';
import type { ReplicaInit, ReplicaReply, ReplicaStep } from './replica-protocol';

/** Sizes of the shards of a batch of `batch` clips over `replicas`: as equal as can be, larger first, none empty. */
export function shardSizes(batch: number, replicas: number): number[] {
  const base = Math.floor(batch / replicas);
  const extra = batch % replicas;
  return Array.from({ length: Math.min(replicas, batch) }, (_, i) => base + (i < extra ? 1 : 0));
}

/** `Σ weights[i] * parts[i]` into a new array, summed in order (the same inputs give the same bits). */
export function weightedSum(parts: readonly Float32Array[], weights: readonly number[]): Float32Array {
  const out = new Float32Array(parts[0].length);
  parts.forEach((p, r) => {
    const w = weights[r];
    for (let i = 0; i < out.length; i++) out[i] += w * p[i];
  });
  return out;
}

type Grads = Extract<ReplicaReply, { type: 'grads' }>;

/** One worker thread holding a replica, answering one message at a time. */
class Replica {
  private pending: { resolve: (r: ReplicaReply) => void; reject: (e: Error) => void } | undefined;
  private dead: Error | undefined;

  constructor(
    readonly rank: number,
    private readonly worker: Worker,
  ) {
    worker.on('message', (msg: ReplicaReply) => this.settle((p) => p.resolve(msg)));
    worker.on('error', (err) => this.fail(new MelbookError(`data-parallel replica ${rank} failed: ${err.message}`)));
    worker.on('exit', (code) => this.fail(new MelbookError(`data-parallel replica ${rank} exited (code ${code}) during training`)));
  }

  /** The replica's next message (after posting `msg`, if given). */
  request(msg?: ReplicaStep, transfer: ArrayBuffer[] = []): Promise<ReplicaReply> {
    if (this.dead) return Promise.reject(this.dead);
    const reply = new Promise<ReplicaReply>((resolve, reject) => (this.pending = { resolve, reject }));
    if (msg) this.worker.postMessage(msg, transfer);
    return reply;
  }

  async stop(): Promise<void> {
    this.dead ??= new MelbookError(`data-parallel replica ${this.rank} was stopped`);
    this.worker.postMessage({ type: 'stop' });
    await this.worker.terminate();
  }

  private fail(err: Error): void {
    if (this.dead) return;
    this.dead = err;
    this.settle((p) => p.reject(err));
  }

  private settle(f: (p: NonNullable<Replica['pending']>) => void): void {
    const p = this.pending;
    this.pending = undefined;
    if (p) f(p);
  }
}

export interface ReplicaPoolOptions extends ReplicaInit {
  /** Worker threads, each holding a replica. At least 2 (1 is plain trainOnBatch). */
  replicas: number;
}

export class ReplicaPool {
  private constructor(
    private readonly replicas: Replica[],
    private readonly trainable: VariableLayout,
    private readonly nonTrainable: VariableLayout,
  ) {}

  /**
   * Starts `replicas` workers and waits until each has built its replica, checking that its
   * variables have `model`'s shapes. Stops them all if one fails.
   */
  static async start(model: tf.LayersModel, options: ReplicaPoolOptions): Promise<ReplicaPool> {
    if (!Number.isInteger(options.replicas) || options.replicas < 2) throw new MelbookError(`training.replicas ${options.replicas}: data parallelism needs 2 or more replicas`);
    const { replicas: count, ...init } = options;
    const file = compiledWorker('train/replica-worker');
    const replicas = Array.from({ length: count }, (_, rank) => new Replica(rank, new Worker(file, { workerData: { ...init, seed: init.seed + rank } })));
    const pool = new ReplicaPool(replicas, layoutOf(model.trainableWeights), layoutOf(model.nonTrainableWeights));
    try {
      const ready = await Promise.all(replicas.map((r) => r.request()));
      ready.forEach((msg, rank) => pool.checkReady(msg, rank));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  get size(): number {
    return this.replicas.length;
  }

  /** Live tensors in each replica after its last step: constant from step to step when nothing leaks. */
  replicaTensors: number[] = [];

  /** Milliseconds each replica spent on the last step, from receiving it to replying (the rest of a step's wall time is this thread's and messaging). */
  replicaBusyMs: number[] = [];

  /**
   * One training step of `model` on the batch: returns `[loss, accuracy]` of the whole batch
   * (the shards' values weighted by size), as `model.trainOnBatch` would. With `position`, each
   * replica's dropout masks are seeded from it and the replica's rank (dropout-seeds.ts), so a
   * run is reproducible for a given replica count.
   */
  async trainOnBatch(model: tf.LayersModel, xs: tf.Tensor, ys: tf.Tensor, position?: Omit<StepPosition, 'replica'>): Promise<[number, number]> {
    const batch = xs.shape[0];
    const sizes = shardSizes(batch, this.replicas.length);
    const weights = packVariables([...model.trainableWeights, ...model.nonTrainableWeights]);
    const xsAll = xs.dataSync() as Float32Array;
    const ysAll = ys.dataSync() as Float32Array | Int32Array;
    const xsRow = xs.size / batch;
    const ysRow = ys.size / batch;
    let start = 0;
    const replies = await Promise.all(
      sizes.map((n, rank) => {
        const msg: ReplicaStep = {
          type: 'step',
          weights,
          xs: xsAll.slice(start * xsRow, (start + n) * xsRow),
          xsShape: [n, ...xs.shape.slice(1)],
          ys: ysAll.slice(start * ysRow, (start + n) * ysRow),
          ysShape: [n, ...ys.shape.slice(1)],
          ysDtype: ys.dtype === 'int32' ? 'int32' : 'float32',
          dropoutSeed: position ? stepSeed({ ...position, replica: rank }) : undefined,
        };
        start += n;
        return this.replicas[rank].request(msg, [msg.xs.buffer as ArrayBuffer, msg.ys.buffer as ArrayBuffer]).then((r) => this.expectGrads(r, rank));
      }),
    );
    this.replicaTensors = replies.map((r) => r.tensors);
    this.replicaBusyMs = replies.map((r) => r.busyMs);
    const share = sizes.map((n) => n / batch);
    this.apply(model, weightedSum(replies.map((r) => r.grads), share), weightedSum(replies.map((r) => r.moving), share));
    return [replies.reduce((s, r, i) => s + share[i] * r.loss, 0), replies.reduce((s, r, i) => s + share[i] * r.accuracy, 0)];
  }

  /** Stops every worker; safe to call twice. */
  async close(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.stop()));
  }

  private apply(model: tf.LayersModel, grads: Float32Array, moving: Float32Array): void {
    if (adamFlatApplies(model.optimizer)) {
      applyAdamFlat(model.optimizer, this.trainable.names, grads); // bit for bit tfjs's Adam, in one pass
    } else {
      const tensors = unpackTensors(this.trainable, grads);
      const named: tf.NamedTensorMap = {};
      this.trainable.names.forEach((name, i) => (named[name] = tensors[i]));
      model.optimizer.applyGradients(named);
      tf.dispose(tensors);
    }
    if (this.nonTrainable.total > 0) writeVariables(model.nonTrainableWeights, moving);
  }

  private checkReady(msg: ReplicaReply, rank: number): void {
    if (msg.type === 'failed') throw new MelbookError(`data-parallel replica ${rank} could not start: ${msg.message}`);
    if (msg.type !== 'ready') throw new MelbookError(`data-parallel replica ${rank} sent ${msg.type} before ready`);
    for (const part of ['trainable', 'nonTrainable'] as const) {
      if (!sameShapes(this[part].shapes, msg[part])) {
        throw new MelbookError(`data-parallel replica ${rank} built ${part} variables shaped ${JSON.stringify(msg[part])}, not the model's ${JSON.stringify(this[part].shapes)}`);
      }
    }
  }

  private expectGrads(msg: ReplicaReply, rank: number): Grads {
    if (msg.type === 'grads') return msg;
    throw new MelbookError(`data-parallel replica ${rank}: ${msg.type === 'failed' ? msg.message : `unexpected ${msg.type}`}`);
  }
}
