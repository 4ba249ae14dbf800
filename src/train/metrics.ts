/** Classification metrics over integer labels: pure functions, no tensors. */

export interface ClassReport {
  class: string;
  precision: number;
  recall: number;
  f1: number;
  /** Number of true examples of the class. */
  support: number;
}

export interface EvaluationReport {
  accuracy: number;
  /** Macro averages over classes with support > 0. */
  macro: { precision: number; recall: number; f1: number };
  perClass: ClassReport[];
  /** confusion[true][predicted] counts. */
  confusion: number[][];
  classNames: string[];
  /** Accuracy and count per group (e.g. speaker). */
  perGroup: Record<string, { accuracy: number; count: number }>;
  count: number;
}

/** confusion[t][p]: how many examples of class t were predicted as p. */
export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>, nClasses: number): number[][] {
  const m = Array.from({ length: nClasses }, () => new Array<number>(nClasses).fill(0));
  for (let i = 0; i < truth.length; i++) m[truth[i]][predicted[i]] += 1;
  return m;
}

/** Accuracy, per-class precision/recall/F1 (0 where undefined), confusion, per-group accuracy. */
export function classificationReport(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classNames: readonly string[],
  groups?: readonly string[],
): EvaluationReport {
  if (truth.length !== predicted.length) throw new RangeError(`truth has ${truth.length} labels but predicted has ${predicted.length}`);
  const n = classNames.length;
  const confusion = confusionMatrix(truth, predicted, n);
  let correct = 0;
  for (let i = 0; i < n; i++) correct += confusion[i][i];
  const perClass: ClassReport[] = classNames.map((name, c) => {
    const tp = confusion[c][c];
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const predictedAs = confusion.reduce((a, row) => a + row[c], 0);
    const precision = predictedAs > 0 ? tp / predictedAs : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { class: name, precision, recall, f1, support };
  });
  const present = perClass.filter((c) => c.support > 0);
  const mean = (f: (c: ClassReport) => number) => (present.length ? present.reduce((a, c) => a + f(c), 0) / present.length : 0);
  const perGroup: EvaluationReport['perGroup'] = {};
  if (groups) {
    const tally = new Map<string, { ok: number; count: number }>();
    for (let i = 0; i < truth.length; i++) {
      const t = tally.get(groups[i]) ?? { ok: 0, count: 0 };
      t.count += 1;
      if (truth[i] === predicted[i]) t.ok += 1;
      tally.set(groups[i], t);
    }
    for (const g of [...tally.keys()].sort()) perGroup[g] = { accuracy: tally.get(g)!.ok / tally.get(g)!.count, count: tally.get(g)!.count };
  }
  return {
    accuracy: truth.length ? correct / truth.length : 0,
    macro: { precision: mean((c) => c.precision), recall: mean((c) => c.recall), f1: mean((c) => c.f1) },
    perClass,
    confusion,
    classNames: [...classNames],
    perGroup,
    count: truth.length,
  };
}

/** Index of the largest value in each row of a row-major [rows, cols] array. */
export function argmaxRows(values: ArrayLike<number>, cols: number): Int32Array {
  const rows = values.length / cols;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (values[r * cols + c] > values[r * cols + best]) best = c;
    out[r] = best;
  }
  return out;
}
