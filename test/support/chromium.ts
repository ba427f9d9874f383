/**
 * Headless Chromium for tests (Debian's `chromium`, driven by playwright-core), one helper for every
 * browser test: the bench's screenshot test and the client's web example. Chromium is installed by
 * scripts/setup-chromium.sh (called by .ci/run); a test that needs it fails, never skips, and says
 * how to install it.
 */
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const SETUP_CHROMIUM = fileURLToPath(new URL('../../scripts/setup-chromium.sh', import.meta.url));
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Why Chromium cannot run here (with the command that installs it), or null. */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `Chromium is missing: run ${SETUP_CHROMIUM} (apt-get install -y chromium)`;
}

/** A fresh browser profile (its own temporary folder, removed on close). */
export async function launchChromium(options: { viewport?: { width: number; height: number } } = {}): Promise<BrowserContext & { dispose(): Promise<void> }> {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  const profile = mkdtempSync(join(tmpdir(), 'pinhole-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: options.viewport ?? { width: 1300, height: 900 } });
  return Object.assign(context, {
    async dispose() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  });
}
