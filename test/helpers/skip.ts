/**
 * Skipping a test for a missing dependency. Outside CI the test is skipped with the reason; in
 * CI (env CI=true), where .ci/run installs every such dependency (python3 numpy, scipy, torch,
 * torchaudio, yaml, nbconvert/jupyter, chromium, espeak-ng, redis-server, FSDD from ../shared/fsdd; npm ci the optional deno), a missing one is a
 * broken CI setup, so the test fails with the same reason instead of passing as skipped.
 */
import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';
import { DenoMissingError, resolveDenoBinary } from '../../src/runner/deno';

/** The Python .ci/run installs packages for (Debian's python3-* packages). */
export const PYTHON = '/usr/bin/python3';

/**
 * True when `available`; otherwise skips the test and returns false, or throws inside CI.
 * Use as `if (!requireOrSkip(t, hasFsdd(), FSDD_MISSING)) return;`.
 */
export function requireOrSkip(t: TestContext, available: boolean, reason: string): boolean {
  if (available) return true;
  if (inCi()) throw new Error(`missing test dependency in CI (.ci/run should install it): ${reason}`);
  t.skip(reason);
  return false;
}

export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI === 'true' || env.CI === '1';
}

const importable = new Map<string, boolean>();

/** The modules among `modules` that PYTHON cannot import (each probed once per test process). */
export function missingPythonModules(...modules: string[]): string[] {
  return modules.filter((m) => {
    if (!importable.has(m)) importable.set(m, spawnSync(PYTHON, ['-c', `import ${m}`], { stdio: 'ignore' }).status === 0);
    return !importable.get(m);
  });
}

/** `requireOrSkip` for Python modules, naming the missing ones and the apt package that brings them. */
export function requirePython(t: TestContext, modules: string[], aptPackages: string): boolean {
  const missing = missingPythonModules(...modules);
  return requireOrSkip(t, missing.length === 0, `${PYTHON} cannot import ${missing.join(', ')} (apt-get install ${aptPackages})`);
}

/**
 * `requireOrSkip` for the deno binary of the optional `deno` dependency (or MELBOOK_DENO):
 * its path, or undefined after skipping (outside CI) with the reason.
 */
export function requireDeno(t: TestContext): string | undefined {
  let reason = '';
  try {
    return resolveDenoBinary();
  } catch (error) {
    if (!(error instanceof DenoMissingError)) throw error;
    reason = error.message;
  }
  requireOrSkip(t, false, reason);
  return undefined;
}
