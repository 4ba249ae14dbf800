/** Using a saved model bundle on raw audio files: decode, extract, normalise, classify. */
import * as tf from '@tensorflow/tfjs';
import { prepareAudio, readAudioFile } from '../audio/load';
import { fitLength } from '../audio/fit';
import { Resampler } from '../audio/resample';
import { clipLength } from '../audio/settings';
import { speedPerturb } from '../data/augment-waveform';
import { createExtractor, type Extractor } from '../features/extractor';
import { normalizeClip } from '../data/dataset';
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

  private resampler?: Resampler;

  static async load(modelDir: string): Promise<Predictor> {
    const bundle = readBundleMetadata(modelDir);
    const extractor = createExtractor(bundle.features);
    const model = await loadModel(modelDir);
    return new Predictor(model, bundle, extractor);
  }

  /**
   * Features of one file as the model expects them (normalised), shape = bundle.inputShape.
   * `speedFactor` other than 1 first plays the clip that much faster (and higher) by resampling,
   * as `speedPerturb` does in training, then fits it to the clip length: one view for
   * test-time augmentation.
   */
  async features(file: string, speedFactor = 1): Promise<Float32Array> {
    const { audio } = this.bundle;
    this.resampler ??= new Resampler();
    const { speech, samples: fitted } = await prepareAudio(await readAudioFile(file), file, { ...audio, resampler: this.resampler });
    const samples = speedFactor === 1
      ? fitted
      : fitLength(await speedPerturb(speech, speedFactor, this.resampler, { baseRateHz: audio.sampleRateHz }), clipLength(audio), audio);
    const feats = this.extractor.extract(samples, audio.sampleRateHz);
    const size = this.bundle.inputShape.reduce((a, b) => a * b, 1);
    if (feats.data.length !== size) throw new MelbookError(`${file}: features have ${feats.data.length} values, the model expects ${size} ([${this.bundle.inputShape}])`);
    return normalizeClip(feats.data, this.bundle.normalization.mode, { normalization: this.bundle.normalization.stats, featureShape: feats.shape });
  }

  /**
   * Class probabilities, row-major `[files.length, classes]`, in the order of
   * `bundle.classNames`. With several `speedFactors` (test-time augmentation, e.g. [0.9, 1, 1.1])
   * each file is classified once per factor and the probabilities are averaged. Default [1].
   */
  async probabilities(files: readonly string[], speedFactors: readonly number[] = [1]): Promise<Float32Array> {
    checkSpeedFactors(speedFactors);
    const size = this.bundle.inputShape.reduce((a, b) => a * b, 1);
    const n = this.bundle.classNames.length;
    const sum = new Float32Array(files.length * n);
    for (const factor of speedFactors) {
      const xs = new Float32Array(files.length * size);
      for (const [i, f] of files.entries()) xs.set(await this.features(f, factor), i * size);
      const probs = tf.tidy(() => this.model.predict(tf.tensor(xs, [files.length, ...this.bundle.inputShape])) as tf.Tensor);
      const values = await probs.data();
      probs.dispose();
      for (let i = 0; i < sum.length; i++) sum[i] += values[i] / speedFactors.length;
    }
    return sum;
  }

  /** Class probabilities for each file, top `top` classes each (see `probabilities`). */
  async predict(files: readonly string[], top = 3, speedFactors: readonly number[] = [1]): Promise<Prediction[]> {
    return topClasses(files, await this.probabilities(files, speedFactors), this.bundle.classNames, top);
  }

  dispose(): void {
    this.model.dispose();
    this.resampler?.dispose();
  }
}

/** Each file's `top` classes by decreasing probability, from row-major `[files, classes]` probabilities. */
export function topClasses(files: readonly string[], probabilities: ArrayLike<number>, classNames: readonly string[], top: number): Prediction[] {
  const n = classNames.length;
  return files.map((file, i) => ({
    file,
    top: classNames
      .map((c, k) => ({ class: c, probability: probabilities[i * n + k] }))
      .sort((a, b) => b.probability - a.probability)
      .slice(0, top),
  }));
}

/** Speed factors for test-time augmentation: at least one, each in (0, 2]. */
export function checkSpeedFactors(speedFactors: readonly number[]): void {
  if (speedFactors.length === 0 || speedFactors.some((f) => !(f > 0 && f <= 2))) {
    throw new MelbookError(`test-time speed factors must be one or more numbers in (0, 2] (1 = the clip as recorded), got [${speedFactors.join(', ')}]`);
  }
}
