import { existsSync } from 'fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium, installed by `scripts/services.sh up` (scripts/services.d/chromium.sh). */
export const CHROMIUM_PATH = process.env.VECRON_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** Headless Chromium through playwright-core (never a downloaded browser). */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} not found: run "bash scripts/services.sh up" (installs Debian chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
    ],
  });
}
