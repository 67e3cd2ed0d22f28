import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium: playwright-core ships no browser, and downloading one is not possible here. */
const chromiumPath = '/usr/bin/chromium';

/** Headless Chromium without the background traffic a normal profile makes (sync, updates, first run). */
export function launchHeadlessChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
