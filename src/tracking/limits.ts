/**
 * What MLflow accepts in a logged metric, param or tag (mlflow/utils/validation.py): a valid key,
 * a value of the right type and length, integer timestamps and steps. The file store checks every
 * entry before writing it, so a bad one fails with its key named instead of corrupting a run.
 */
import { TrackingError } from '../errors';
import { validateKey } from './paths';
import type { Metric, Param, RunTag } from './store';

/** MLflow's limits (mlflow/utils/validation.py). */
export const LIMITS = { metricsPerBatch: 1000, paramsPerBatch: 100, tagsPerBatch: 100, paramValueLength: 6000, tagValueLength: 5000, experimentNameLength: 500 } as const;

export function validateMetric(m: Metric): void {
  validateKey('metric', m.key);
  if (typeof m.value !== 'number') throw new TrackingError(`metric ${JSON.stringify(m.key)}: value ${String(m.value)} is not a number`);
  if (!Number.isSafeInteger(m.timestamp) || m.timestamp < 0) throw new TrackingError(`metric ${JSON.stringify(m.key)}: timestamp ${m.timestamp} must be a non-negative integer (ms since the epoch)`);
  if (!Number.isSafeInteger(m.step)) throw new TrackingError(`metric ${JSON.stringify(m.key)}: step ${m.step} must be an integer`);
}

export function validateParam(p: Param): void {
  validateKey('param', p.key);
  if (typeof p.value !== 'string') throw new TrackingError(`param ${JSON.stringify(p.key)}: value must be a string, got ${typeof p.value}`);
  if (p.value.length > LIMITS.paramValueLength) throw new TrackingError(`param ${JSON.stringify(p.key)}: value has ${p.value.length} characters; the limit is ${LIMITS.paramValueLength}`);
}

export function validateTag(t: RunTag): void {
  validateKey('tag', t.key);
  if (typeof t.value !== 'string') throw new TrackingError(`tag ${JSON.stringify(t.key)}: value must be a string, got ${typeof t.value}`);
  if (t.value.length > LIMITS.tagValueLength) throw new TrackingError(`tag ${JSON.stringify(t.key)}: value has ${t.value.length} characters; the limit is ${LIMITS.tagValueLength}`);
}
