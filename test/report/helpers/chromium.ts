/**
 * Headless Chromium for the report's browser tests: Debian's `chromium` driven by
 * playwright-core (which downloads no browser). `launchChromium` skips the test (fails it in CI) when either is
 * missing (`apt-get install -y chromium`; `MELBOOK_CHROMIUM` names another binary).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import type { BrowserContext } from 'playwright-core';
import { requireOrSkip } from '../../helpers/skip';

export const CHROMIUM = process.env.MELBOOK_CHROMIUM ?? '/usr/bin/chromium';
export const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** playwright-core's chromium launcher, or a skip when the package is missing. */
export async function loadChromium(t: TestContext): Promise<typeof import('playwright-core').chromium | undefined> {
  try {
    return (await import('playwright-core')).chromium;
  } catch {
    requireOrSkip(t, false, 'playwright-core is not installed: npm install --save-dev playwright-core');
    return undefined;
  }
}

/**
 * A browser context with a fresh profile, and a `close` that removes the profile; undefined
 * (the test skipped) when chromium or playwright-core is missing.
 */
export async function launchChromium(t: TestContext, viewport?: { width: number; height: number }): Promise<{ context: BrowserContext; close: () => Promise<void> } | undefined> {
  if (!requireOrSkip(t, existsSync(CHROMIUM), `${CHROMIUM} not found: apt-get install -y chromium (or set MELBOOK_CHROMIUM)`)) return undefined;
  const chromium = await loadChromium(t);
  if (!chromium) return undefined;
  const profile = mkdtempSync(path.join(os.tmpdir(), 'melbook-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true, ...(viewport ? { viewport } : {}) });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
