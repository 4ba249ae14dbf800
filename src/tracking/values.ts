/**
 * How values become text in the file store, the way MLflow's Python writes them: metric values
 * with Python's `repr(float)` (`0.5`, `1.0`, `1e-05`, `nan`), param and tag values with
 * Python's `str()` of the equivalent Python value (`True`, `10`, `0.001`).
 */

/**
 * Python's `repr()` of a float: the shortest digits that round-trip (as JavaScript's), written
 * in fixed notation with at least one decimal when the decimal exponent is in [-4, 16),
 * otherwise as `d.ddde±XX` (two exponent digits at least).
 */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mantissa, expText] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exp = Number(expText); // value = d.ddd × 10^exp
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp).toString().padStart(2, '0');
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return `${sign}${intPart}.${frac || '0'}`;
}

/** Parses a metric value as Python's `float()` does for what MLflow writes. */
export function parsePythonFloat(text: string): number {
  const t = text.trim().toLowerCase();
  if (t === 'nan' || t === '+nan' || t === '-nan') return NaN;
  if (t === 'inf' || t === '+inf' || t === 'infinity' || t === '+infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  return t === '' ? NaN : Number(t.replace(/_/g, ''));
}

/** A param or tag value as accepted by the tracker. */
export type LoggableValue = string | number | boolean | bigint | null | undefined;

/**
 * Python's `str()` of the equivalent value, as MLflow's `_writeable_value` stores it: strings
 * unchanged, `null`/`undefined` as the empty string, booleans as `True`/`False`, integers in
 * full digits, other numbers as `repr(float)`.
 */
export function pythonStr(value: LoggableValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'bigint') return value.toString();
  if (Number.isInteger(value)) return BigInt(value).toString();
  return pythonFloatRepr(value);
}
