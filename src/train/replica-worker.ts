/**
 * Worker side of data-parallel training (data-parallel.ts): one replica of the model on its own
 * tfjs backend. Each step it takes the current weights and its shard of the batch, runs Keras's
 * trainOnBatch with a GradientCapture optimizer (so the loss, metrics, regularisers and
 * BatchNorm updates are Keras's own), and sends back the flat gradients, its BatchNorm moving
 * statistics after the step, and the shard's loss and accuracy. It never applies an update: the
 * owning thread averages the replicas' gradients and applies them once.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../model/backend';
import { buildModel } from '../model/model';
import { GradientCapture } from '../model/gradient-capture';
import { withDropoutSeed } from '../model/dropout-seeds';
import { layoutOf, packVariables, writeVariables } from '../model/flat-weights';
import type { ReplicaInit, ReplicaReply, ReplicaStep } from './replica-protocol';

async function main(): Promise<void> {
  const init = workerData as ReplicaInit;
  const port = parentPort!;
  const backend = await selectBackend({ configured: init.backend });
  const model = buildModel(init.model, init.inputShape, init.numClasses, { seed: init.seed });
  const capture = new GradientCapture();
  model.compile({ optimizer: capture, loss: init.loss, metrics: [...init.metrics] });
  const all = [...model.trainableWeights, ...model.nonTrainableWeights];
  const ready: ReplicaReply = { type: 'ready', backend: backend.name, trainable: layoutOf(model.trainableWeights).shapes, nonTrainable: layoutOf(model.nonTrainableWeights).shapes };
  port.postMessage(ready);
  port.on('message', (msg: ReplicaStep | { type: 'stop' }) => {
    if (msg.type === 'stop') {
      model.dispose();
      port.close();
      return;
    }
    void step(msg).catch((err: unknown) => port.postMessage(failure(err)));
  });

  async function step(msg: ReplicaStep): Promise<void> {
    const start = performance.now();
    writeVariables(all, msg.weights);
    const xs = tf.tensor(msg.xs, msg.xsShape, 'float32');
    const ys = tf.tensor(msg.ys, msg.ysShape, msg.ysDtype);
    const train = async () => (await model.trainOnBatch(xs, ys)) as number[];
    const out = msg.dropoutSeed === undefined ? await train() : await withDropoutSeed(model, msg.dropoutSeed, train);
    tf.dispose([xs, ys]);
    const grads = capture.take();
    const moving = packVariables(model.nonTrainableWeights);
    const reply: ReplicaReply = { type: 'grads', grads, moving, loss: out[0], accuracy: out[1] ?? Number.NaN, tensors: tf.memory().numTensors, busyMs: performance.now() - start };
    port.postMessage(reply, [grads.buffer, moving.buffer]);
  }
}

/** What the owner is told of an error: its name and message (a stack of tfjs internals helps nobody). */
function failure(err: unknown): ReplicaReply {
  return { type: 'failed', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
}

main().catch((err: unknown) => parentPort?.postMessage(failure(err)));
