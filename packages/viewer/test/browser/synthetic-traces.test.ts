// The page in a real browser on traces made to order: a broken one, a hostile one, a round trip
// through a downloaded file, live updates, the theme and the evicted count.
import { readFile } from 'node:fs/promises'
import type { Browser } from 'playwright-core'
import type { OtlpTracesData } from '../../src/shared/api.js'
import type { StartedViewer } from '../../src/server/viewer.js'
import { batch, getJson, otlpSpan, postJson, spanId, startTestViewer, traceId } from '../helpers.js'
import { launchChromium, pagePerTest } from './chromium.js'
import { buildPageDir } from './fixtures.js'

jest.setTimeout(60_000)

const ROWS = 'table.traces tbody tr'
const MAX_SPANS = 40

let viewer: StartedViewer
let browser: Browser

beforeAll(async () => {
  const [pageDir, launched] = await Promise.all([buildPageDir(), launchChromium()])
  browser = launched
  viewer = await startTestViewer({ maxSpans: MAX_SPANS }, pageDir)
})
afterAll(async () => {
  await browser?.close()
  await viewer?.close()
})
const page = pagePerTest(() => browser)

function url(path: string): string {
  return `${viewer.otlpEndpoint}${path}`
}

async function post(data: OtlpTracesData): Promise<void> {
  const response = await postJson(viewer, data)
  expect(response.status).toBe(200)
}

/** Polls until `count()` is `n` (the page's CSP forbids string evaluation for waitForFunction). */
async function until(count: () => Promise<number>, n: number, what: string): Promise<void> {
  const deadline = Date.now() + 10_000
  let seen = await count()
  while (seen !== n) {
    if (Date.now() > deadline) throw new Error(`${what}: ${seen}, not ${n}`)
    await page().waitForTimeout(50)
    seen = await count()
  }
}

/** A gateway → orders trace whose orders span names a parent that never arrived. */
function brokenTrace(id: string): OtlpTracesData {
  return batch({
    gateway: [
      otlpSpan({ traceId: id, spanId: spanId(1), name: 'GET /checkout', kind: 2, endMs: 40 }),
    ],
    orders: [
      otlpSpan({
        traceId: id,
        spanId: spanId(2),
        parentSpanId: spanId(0x99),
        name: 'orders.lookup',
        startMs: 10,
        endMs: 30,
      }),
    ],
  })
}

describe('broken-trace hints', () => {
  it('shows the missing parent on top of the trace, with its span one click away', async () => {
    const id = traceId(0xb0)
    await post(brokenTrace(id))
    await page().goto(url('/'))
    const row = page().locator(`${ROWS}[data-trace-id="${id}"]`)
    expect(await row.locator('.hint-count').textContent()).toBe('⚠ 1')

    await row.locator('.root a').click()
    await page().waitForURL(url(`/trace/${id}`))
    const hint = page().locator('[data-testid=hints] li[data-hint-kind=missing-parent]')
    expect(await hint.locator('.hint-message').textContent()).toBe(
      'parent b0000000… is missing: the caller did not export, or the context was lost before this call',
    )
    expect(await page().locator('[data-testid=hints] h2').textContent()).toBe(
      '⚠ One problem with this trace',
    )
    await hint.locator('button.span-ref', { hasText: 'orders.lookup' }).click()
    expect(await page().locator('.wf-row.selected').getAttribute('data-span-id')).toBe(spanId(2))
    const detail = page().getByTestId('span-detail')
    expect(await detail.locator('h2').textContent()).toBe('orders orders.lookup')
    expect(await detail.textContent()).toContain(`${spanId(0x99)} (missing)`)
  })
})

describe('span detail', () => {
  it('shows exception events with their stack, and links that open the linked trace', async () => {
    const id = traceId(0xe0)
    const linked = traceId(0xe1)
    await post(
      batch({
        billing: [
          otlpSpan({
            traceId: id,
            spanId: spanId(0x10),
            name: 'charge',
            status: { code: 2, message: 'card declined' },
            events: [
              {
                name: 'exception',
                timeUnixNano: '1700000000005000000',
                attributes: [
                  { key: 'exception.type', value: { stringValue: 'CardError' } },
                  { key: 'exception.message', value: { stringValue: 'card declined' } },
                  {
                    key: 'exception.stacktrace',
                    value: {
                      stringValue: 'CardError: card declined\n    at charge (billing.js:12:7)',
                    },
                  },
                ],
              },
            ],
            links: [{ traceId: linked, spanId: spanId(0x11) }],
          }),
          otlpSpan({ traceId: linked, spanId: spanId(0x11), name: 'batch.settle' }),
        ],
      }),
    )
    await page().goto(url(`/trace/${id}`))
    const detail = page().getByTestId('span-detail')
    await detail.waitFor()
    expect(await detail.locator('.exception').first().textContent()).toContain(
      '+5 ms exception CardError: card declined',
    )
    expect(await detail.locator('pre.stack').textContent()).toBe(
      'CardError: card declined\n    at charge (billing.js:12:7)',
    )
    expect(await detail.textContent()).toContain('ERROR: card declined')
    await detail.locator('.links a').click()
    await page().waitForURL(url(`/trace/${linked}?span=${spanId(0x11)}`))
    await page().locator('.wf-row.selected', { hasText: 'batch.settle' }).waitFor()
  })
})

describe('download and upload', () => {
  it('downloads a trace as OTLP JSON that uploads back to the same trace', async () => {
    const id = traceId(0xd0)
    await post(brokenTrace(id))
    const served = await getJson<OtlpTracesData>(viewer, `/api/traces/${id}`)
    await page().goto(url(`/trace/${id}`))
    const [download] = await Promise.all([
      page().waitForEvent('download'),
      page().getByTestId('download').click(),
    ])
    expect(download.suggestedFilename()).toBe(`trace-${id}.json`)
    const file = await download.path()
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(served)

    // empty the store, then bring the trace back from the file
    expect((await fetch(url('/api/traces'), { method: 'DELETE' })).status).toBe(204)
    await page().goto(url('/'))
    await page().locator('p.empty').waitFor()
    await page().getByTestId('upload-input').setInputFiles(file)
    await page().waitForURL(url(`/trace/${id}`))
    await until(() => page().locator('.wf-row[data-span-id]').count(), 2, 'rows')
    expect(await page().locator('[data-hint-kind=missing-parent]').count()).toBe(1)
    expect(await getJson<OtlpTracesData>(viewer, `/api/traces/${id}`)).toEqual(served)
  })
})

describe('hostile span data', () => {
  const XSS = '<img src=x onerror=window.__xss=1>'

  it('renders a span named like markup as text, in the list, the waterfall and the detail', async () => {
    const id = traceId(0x55)
    await post(
      batch({
        '<b>svc</b>': [
          otlpSpan({
            traceId: id,
            spanId: spanId(0x55),
            name: XSS,
            kind: 2,
            attrs: { 'http.route': '<script>window.__xss=2</script>', note: XSS },
            status: { code: 2, message: '<svg onload=window.__xss=3>' },
          }),
        ],
      }),
    )
    await page().goto(url('/'))
    const row = page().locator(`${ROWS}[data-trace-id="${id}"]`)
    expect(await row.locator('.root a').textContent()).toBe(XSS)
    expect(await row.locator('.chip').textContent()).toBe('<b>svc</b>')
    await row.locator('.root a').click()
    const detail = page().getByTestId('span-detail')
    await detail.waitFor()
    expect(await page().locator('.wf-name').textContent()).toBe(XSS)
    expect(await page().locator('.wf-detail').textContent()).toBe('<script>window.__xss=2</script>')
    expect(await detail.textContent()).toContain(`note${XSS}`)
    expect(await detail.textContent()).toContain('ERROR: <svg onload=window.__xss=3>')
    expect(await page().locator('#app img, #app script, #app b, main svg').count()).toBe(0)
    expect(await page().evaluate('typeof window.__xss')).toBe('undefined')
  })
})

describe('live updates, theme, evictions', () => {
  it('shows a new trace as it arrives, without a reload', async () => {
    await page().goto(url('/'))
    await page().getByTestId('list-summary').filter({ hasNotText: 'Loading' }).waitFor()
    const before = await page().locator(ROWS).count()
    const id = traceId(0x1ae)
    await post(batch({ live: [otlpSpan({ traceId: id, name: 'arrived live' })] }))
    await page().locator(`${ROWS}[data-trace-id="${id}"]`).waitFor()
    expect(await page().locator(ROWS).count()).toBe(before + 1)
  })

  it('follows the system theme until the toggle picks one, and remembers it', async () => {
    await page().emulateMedia({ colorScheme: 'dark' })
    await page().goto(url('/'))
    const background = () =>
      page()
        .locator('body')
        .evaluate((b) => b.ownerDocument.defaultView!.getComputedStyle(b).backgroundColor)
    expect(await background()).toBe('rgb(20, 23, 29)')
    await page().click('button.theme-toggle')
    expect(await page().locator('html').getAttribute('data-theme')).toBe('light')
    expect(await background()).toBe('rgb(255, 255, 255)')
    await page().reload()
    expect(await page().locator('html').getAttribute('data-theme')).toBe('light')
  })

  it('shows how many traces the store evicted to stay under its cap', async () => {
    for (let t = 0; t < 6; t++) {
      const id = traceId(0x700 + t)
      const spans = Array.from({ length: 10 }, (_, i) =>
        otlpSpan({ traceId: id, spanId: spanId(0x700 + t * 16 + i), name: `s${i}`, startMs: t }),
      )
      await post(batch({ bulk: spans }))
    }
    const stats = await getJson<{ evictedTraces: number; spanCount: number }>(viewer, '/api/stats')
    expect(stats.evictedTraces).toBeGreaterThan(0)
    expect(stats.spanCount).toBeLessThanOrEqual(MAX_SPANS)
    await page().goto(url('/'))
    await page()
      .getByTestId('stats')
      .filter({ hasText: `${stats.evictedTraces} evicted` })
      .waitFor()
  })
})
