// The browser of the end-to-end tests: Debian's Chromium (`apt-get install chromium`) driven by
// playwright-core, never a downloaded browser.
import { chromium, type Browser } from 'playwright-core'

/** Where Chromium is (`CHROMIUM_PATH` overrides). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Launches headless Chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
    ],
  })
}
