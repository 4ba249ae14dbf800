/**
 * Entry of the helper thread started by `startHelperThread` (see helper-thread.ts). It owns a
 * second wasm backend and runs one kernel at a time on request, blocking in `Atomics.wait`
 * between requests. Nothing here runs unless a Worker is started on this file.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../backend';
import { HELPER_LAYOUT, HelperRequest, readRequest, writeResult } from './helper-protocol';

async function serve(): Promise<void> {
  const { control, data, text } = workerData as { control: SharedArrayBuffer; data: SharedArrayBuffer; text: SharedArrayBuffer };
  const ctrl = new Int32Array(control);
  const floats = new Float32Array(data);
  const selection = await selectBackend({ prefer: 'wasm' });
  Atomics.store(ctrl, HELPER_LAYOUT.ready, selection.name === 'wasm' ? 1 : -1);
  Atomics.notify(ctrl, HELPER_LAYOUT.ready);
  parentPort?.postMessage(selection.name);
  if (selection.name !== 'wasm') return;
  let seen = 0;
  for (;;) {
    Atomics.wait(ctrl, HELPER_LAYOUT.request, seen);
    seen = Atomics.load(ctrl, HELPER_LAYOUT.request);
    if (seen < 0) return; // shutdown
    let status = 1;
    try {
      const request: HelperRequest = readRequest(text);
      const inputs: Record<string, tf.Tensor> = {};
      for (const input of request.inputs) {
        inputs[input.name] = tf.tensor(floats.subarray(input.offset, input.offset + input.size), input.shape);
      }
      const out = tf.engine().runKernel(request.kernel, inputs, request.attrs as tf.NamedAttrMap) as tf.Tensor;
      writeResult(ctrl, floats, out.dataSync() as Float32Array, out.shape, request.outputOffset);
      tf.dispose([out, ...Object.values(inputs)]);
    } catch {
      status = 2;
    }
    Atomics.store(ctrl, HELPER_LAYOUT.status, status);
    Atomics.store(ctrl, HELPER_LAYOUT.done, seen);
    Atomics.notify(ctrl, HELPER_LAYOUT.done);
  }
}

void serve();
