// The browser of the end-to-end tests: Debian's Chromium (`apt-get install chromium`) driven by
// playwright-core, never a downloaded browser.
import { chromium, type Browser, type Page } from 'playwright-core'

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

/**
 * A fresh page per test (call at the top of a file, inside no `describe`); a test fails when its
 * page throws an uncaught error.
 */
export function pagePerTest(browser: () => Browser): () => Page {
  let page: Page | undefined
  let errors: string[] = []
  beforeEach(async () => {
    page = await browser().newPage()
    errors = []
    page.on('pageerror', (error) => errors.push(error.message))
  })
  afterEach(async () => {
    await page?.close()
    expect(errors).toEqual([])
  })
  return () => page!
}
