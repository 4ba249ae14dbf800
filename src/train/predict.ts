/** Using a saved model bundle on raw audio files: decode, extract, normalise, classify. */
import * as tf from '@tensorflow/tfjs';
import { loadAudio } from '../audio/load';
import { createExtractor, type ExtractorSpec, type Extractor } from '../features/extractor';
import { normalizeClip } from '../data/dataset';
import { audioLoadOptions } from '../data/manifest';
import { loadModel } from '../model/io';
import { readBundleMetadata, type BundleMetadata } from './bundle';
import { MelbookError } from '../errors';

export interface Prediction {
  file: string;
  /** Classes by decreasing probability (at most `top`). */
  top: { class: string; probability: number }[];
}

/** A loaded model bundle ready to classify files. */
export class Predictor {
  private constructor(
    readonly model: tf.LayersModel,
    readonly bundle: BundleMetadata,
    private readonly extractor: Extractor,
  ) {}

  static async load(modelDir: string): Promise<Predictor> {
    const bundle = readBundleMetadata(modelDir);
    const { version: _version, ...spec } = bundle.features;
    void _version;
    const extractor = createExtractor(spec as unknown as ExtractorSpec);
    const model = await loadModel(modelDir);
    return new Predictor(model, bundle, extractor);
  }

  /** Features of one file as the model expects them (normalised), shape = bundle.inputShape. */
  async features(file: string): Promise<Float32Array> {
    const { audio } = this.bundle;
    const loaded = await loadAudio(file, audioLoadOptions(audio));
    const feats = this.extractor.extract(loaded.samples, audio.sampleRateHz);
    const size = this.bundle.inputShape.reduce((a, b) => a * b, 1);
    if (feats.data.length !== size) throw new MelbookError(`${file}: features have ${feats.data.length} values, the model expects ${size} ([${this.bundle.inputShape}])`);
    return normalizeClip(feats.data, this.bundle.normalization.mode, { normalization: this.bundle.normalization.stats, featureShape: feats.shape });
  }

  /** Class probabilities for each file, top `top` classes each. */
  async predict(files: readonly string[], top = 3): Promise<Prediction[]> {
    const size = this.bundle.inputShape.reduce((a, b) => a * b, 1);
    const xs = new Float32Array(files.length * size);
    for (const [i, f] of files.entries()) xs.set(await this.features(f), i * size);
    const probs = tf.tidy(() => this.model.predict(tf.tensor(xs, [files.length, ...this.bundle.inputShape])) as tf.Tensor);
    const values = await probs.data();
    probs.dispose();
    const n = this.bundle.classNames.length;
    return files.map((file, i) => ({
      file,
      top: this.bundle.classNames
        .map((c, k) => ({ class: c, probability: values[i * n + k] }))
        .sort((a, b) => b.probability - a.probability)
        .slice(0, top),
    }));
  }

  dispose(): void {
    this.model.dispose();
  }
}
