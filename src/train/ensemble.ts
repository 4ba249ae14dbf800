/**
 * Several saved models as one classifier: the average of their class probabilities, each
 * optionally over test-time speed factors (see `Predictor.probabilities`). Seeds of one config
 * disagree most on voices they have never heard; averaging them takes the spread out.
 */
import { MelbookError } from '../errors';
import { Predictor, topClasses, type Prediction } from './predict';

export class Ensemble {
  private constructor(readonly members: readonly Predictor[]) {}

  /** Load every model folder; they must name the same classes in the same order. */
  static async load(modelDirs: readonly string[]): Promise<Ensemble> {
    if (modelDirs.length === 0) throw new MelbookError('an ensemble needs at least one model folder');
    const members: Predictor[] = [];
    try {
      for (const dir of modelDirs) {
        const member = await Predictor.load(dir);
        members.push(member);
        const first = members[0].bundle.classNames;
        if (member.bundle.classNames.join('\u0000') !== first.join('\u0000')) {
          throw new MelbookError(`${dir}: the model's classes [${member.bundle.classNames.join(', ')}] differ from ${modelDirs[0]}'s [${first.join(', ')}]; ensemble models trained on the same classes`);
        }
      }
    } catch (err) {
      for (const m of members) m.dispose();
      throw err;
    }
    return new Ensemble(members);
  }

  get classNames(): string[] {
    return this.members[0].bundle.classNames;
  }

  /** Mean of the members' probabilities, row-major `[files.length, classes]`. */
  async probabilities(files: readonly string[], speedFactors: readonly number[] = [1]): Promise<Float32Array> {
    const n = this.classNames.length;
    const sum = new Float32Array(files.length * n);
    for (const member of this.members) {
      const p = await member.probabilities(files, speedFactors);
      for (let i = 0; i < sum.length; i++) sum[i] += p[i] / this.members.length;
    }
    return sum;
  }

  async predict(files: readonly string[], top = 3, speedFactors: readonly number[] = [1]): Promise<Prediction[]> {
    return topClasses(files, await this.probabilities(files, speedFactors), this.classNames, top);
  }

  dispose(): void {
    for (const m of this.members) m.dispose();
  }
}
