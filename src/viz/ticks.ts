/**
 * Choosing and labelling axis ticks: evenly stepped "nice" values (1, 2 or 5 times a power of
 * ten) for linear axes, and a greedy pick of round values for warped axes such as mel frequency,
 * where even steps in Hz would crowd at the top.
 */

/** A tick: where it sits along its axis (0 = left or bottom edge, 1 = right or top) and its text. */
export interface AxisTick {
  at: number;
  label: string;
}

/** The 1-2-5 step that gives about `target` intervals over `span`. */
export function niceStep(span: number, target: number): number {
  if (!(span > 0) || !(target > 0)) return 1;
  const raw = span / target;
  const power = 10 ** Math.floor(Math.log10(raw));
  const mantissa = raw / power;
  const nice = mantissa < 1.5 ? 1 : mantissa < 3.5 ? 2 : mantissa < 7.5 ? 5 : 10;
  return nice * power;
}

/** Multiples of `niceStep(max - min, target)` inside [min, max], ascending. */
export function linearTickValues(min: number, max: number, target: number, minStep = 0): { values: number[]; step: number } {
  const step = Math.max(niceStep(max - min, target), minStep);
  const values: number[] = [];
  const first = Math.ceil(min / step - 1e-9);
  const last = Math.floor(max / step + 1e-9);
  for (let k = first; k <= last; k++) values.push(cleanZero(k * step));
  return { values, step };
}

/** Decimal places needed to print multiples of `step` exactly: 0.25 -> 2, 5 -> 0. */
export function decimalsFor(step: number): number {
  if (!(step > 0)) return 0;
  for (let d = 0; d < 6; d++) {
    const scaled = step * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-6 * Math.max(1, scaled)) return d;
  }
  return 6;
}

/** `value` printed with `decimals` places, never as "-0". */
export function formatTickValue(value: number, decimals: number): string {
  const text = cleanZero(value).toFixed(decimals);
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}

/** Frequency in Hz as a short tick label: `250`, `1k`, `1.5k`, `12k`. */
export function formatHz(hz: number): string {
  if (Math.abs(hz) < 1000) return formatTickValue(hz, decimalsFor(hz));
  const k = Math.round((hz / 1000) * 100) / 100;
  return `${formatTickValue(k, decimalsFor(k))}k`;
}

/**
 * Round frequencies for a warped axis: every m * 10^k Hz (m = 1..9, plus 1.5 and 2.5) in
 * [minHz, maxHz], ordered from the roundest (1, then 5, then 2, ...) to the least round.
 */
export function roundFrequencyCandidates(minHz: number, maxHz: number): number[] {
  const rank: Array<[number, number]> = [
    [1, 0], [5, 1], [2, 2], [3, 3], [4, 3], [6, 3], [8, 3], [2.5, 4], [1.5, 4], [7, 5], [9, 5],
  ];
  const out: Array<{ hz: number; rank: number }> = [];
  for (let power = 1; power <= Math.max(10, maxHz); power *= 10) {
    for (const [m, r] of rank) {
      const hz = m * power;
      if (hz >= minHz && hz <= maxHz) out.push({ hz, rank: r + (power === 1 ? 10 : 0) });
    }
  }
  if (minHz <= 0 && maxHz >= 0) out.push({ hz: 0, rank: 0 });
  return out.sort((a, b) => a.rank - b.rank || b.hz - a.hz).map((c) => c.hz);
}

/**
 * Keeps candidates in the given order of preference while each stays at least `minGapPx`
 * from every kept one, given their pixel positions. Returns the kept values ascending.
 */
export function pickSpacedValues(candidates: readonly number[], positionPx: (value: number) => number, minGapPx: number): number[] {
  const kept: Array<{ value: number; px: number }> = [];
  for (const value of candidates) {
    const px = positionPx(value);
    if (!Number.isFinite(px)) continue;
    if (kept.every((k) => Math.abs(k.px - px) >= minGapPx)) kept.push({ value, px });
  }
  return kept.map((k) => k.value).sort((a, b) => a - b);
}

function cleanZero(value: number): number {
  return Math.abs(value) < 1e-12 ? 0 : value;
}

export interface LinearTickRequest {
  /** Data range covered by the ticks (values outside the axis are dropped by `at`). */
  min: number;
  max: number;
  /** Axis length in pixels. */
  lengthPx: number;
  /** Extent of a label along the axis in pixels (its width on a horizontal axis, its height on a vertical one). */
  labelExtentPx: (label: string) => number;
  /** Blank pixels required between neighbouring labels. */
  gapPx: number;
  /** Position of a value along the axis, 0..1. */
  at: (value: number) => number;
  /** Label of a value given the step between ticks. Default: the value with the step's decimals. */
  format?: (value: number, step: number) => string;
  /** Smallest allowed step (1 for whole bin numbers). Default 0. */
  minStep?: number;
}

/** The densest evenly stepped ticks whose labels do not collide; at least one tick when any fits on the axis. */
export function fitLinearTicks(request: LinearTickRequest): AxisTick[] {
  const format = request.format ?? ((v: number, step: number) => formatTickValue(v, decimalsFor(step)));
  const maxTarget = Math.max(1, Math.floor(request.lengthPx / Math.max(request.gapPx, 1)));
  let fallback: AxisTick[] = [];
  for (let target = maxTarget; target >= 1; target--) {
    const { values, step } = linearTickValues(request.min, request.max, target, request.minStep ?? 0);
    const ticks = values
      .map((v) => ({ at: request.at(v), label: format(v, step) }))
      .filter((t) => t.at >= -1e-9 && t.at <= 1 + 1e-9);
    if (ticks.length > 0 && fallback.length === 0) fallback = ticks.slice(0, 1);
    const fits = ticks.every((t, i) => {
      if (i === 0) return true;
      const prev = ticks[i - 1];
      const need = (request.labelExtentPx(prev.label) + request.labelExtentPx(t.label)) / 2 + request.gapPx;
      return Math.abs(t.at - prev.at) * request.lengthPx >= need;
    });
    if (fits && ticks.length > 0) return ticks;
  }
  return fallback;
}
