// The page in a real browser (Debian's Chromium) on a viewer in process, fed by `pnpm demo`.
import type { Browser } from 'playwright-core'
import type { OtlpTracesData, TraceListResponse, ViewSpan } from '../../src/shared/api.js'
import { flattenTrace } from '../../src/shared/flatten.js'
import type { StartedViewer } from '../../src/server/viewer.js'
import { getJson, startTestViewer } from '../helpers.js'
import { launchChromium, pagePerTest } from './chromium.js'
import { buildPageDir, runDemo, type DemoRequest } from './fixtures.js'

jest.setTimeout(90_000)

const ROWS = 'table.traces tbody tr'

let viewer: StartedViewer
let browser: Browser
let demo: DemoRequest[]

beforeAll(async () => {
  const [pageDir, launched] = await Promise.all([buildPageDir(), launchChromium()])
  browser = launched
  viewer = await startTestViewer({}, pageDir)
  demo = await runDemo(viewer.otlpEndpoint)
})
afterAll(async () => {
  await browser?.close()
  await viewer?.close()
})
const page = pagePerTest(() => browser)

/** Waits until the list shows `n` rows (polling: the page's CSP forbids string evaluation). */
async function rowCount(n: number): Promise<void> {
  const deadline = Date.now() + 10_000
  let count = await page().locator(ROWS).count()
  while (count !== n) {
    if (Date.now() > deadline) throw new Error(`the list shows ${count} rows, not ${n}`)
    await page().waitForTimeout(50)
    count = await page().locator(ROWS).count()
  }
}

async function listedTraceIds(): Promise<string[]> {
  return page()
    .locator(ROWS)
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-trace-id')!))
}

function url(path: string): string {
  return `${viewer.otlpEndpoint}${path}`
}

describe('the trace list', () => {
  it("lists the demo's five traces, newest first, with services, span counts and error marks", async () => {
    expect(demo.map((d) => d.outcome.slice(0, 3))).toEqual(['201', '401', '429', '500', 'cli'])
    await page().goto(url('/'))
    await rowCount(5)
    expect(await listedTraceIds()).toEqual(demo.map((d) => d.traceId).reverse())
    const names = await page().locator(`${ROWS} .root a`).allTextContents()
    expect(names).toEqual([
      'linus gives up after 300 ms',
      'inventory fails for grace',
      'ada orders again within the minute',
      'no token',
      'ada places an order',
    ])
    const success = page().locator(`${ROWS}[data-trace-id="${demo[0]!.traceId}"]`)
    expect(await success.locator('.chip').allTextContents()).toEqual([
      'client',
      'gateway',
      'orders',
      'inventory',
      'notifier',
    ])
    expect(await success.locator('td.num').textContent()).toBe('11')
    expect(await success.locator('td.mark').textContent()).toBe('')
    const failed = page().locator(`${ROWS}[data-trace-id="${demo[3]!.traceId}"]`)
    expect(await failed.locator('td.mark').textContent()).toBe('●')
    expect(await page().getByTestId('stats').textContent()).toBe('5 traces · 35 spans · 0 evicted')
  })

  it('narrows the list with every filter and keeps them in the URL', async () => {
    await page().goto(url('/'))
    await rowCount(5)
    await page().selectOption('select[name=service]', 'notifier')
    await rowCount(1)
    expect(page().url()).toBe(url('/?service=notifier'))
    expect(await listedTraceIds()).toEqual([demo[0]!.traceId])

    await page().goto(url('/?error=false'))
    await rowCount(1)
    await page().goto(url('/?service=inventory'))
    await rowCount(3)
    await page().fill('#filter-q', 'grace')
    await rowCount(1)
    expect(page().url()).toBe(url('/?service=inventory&q=grace'))
    expect(await listedTraceIds()).toEqual([demo[3]!.traceId])

    // duration bounds, between the longest trace and the next
    const { traces } = await getJson<TraceListResponse>(viewer, '/api/traces')
    const [longest, next] = [...traces].sort((a, b) => b.durationMs - a.durationMs)
    const bound = Math.round((longest!.durationMs + next!.durationMs) / 2)
    expect(bound).toBeGreaterThan(next!.durationMs)
    await page().goto(url(`/?minMs=${bound}`))
    await rowCount(1)
    expect(await listedTraceIds()).toEqual([longest!.traceId])
    await page().goto(url(`/?maxMs=${bound}&limit=2`))
    await rowCount(2)
    expect(await page().getByTestId('list-summary').textContent()).toMatch(
      /^4 traces match · showing the newest 2/,
    )
    await page().click('button.clear')
    await rowCount(5)
    expect(page().url()).toBe(url('/'))
  })

  it('moves with j/k and the arrows, opens with Enter, goes back with Esc, searches with /', async () => {
    await page().goto(url('/?limit=5'))
    await rowCount(5)
    await page().keyboard.press('j')
    await page().keyboard.press('j')
    await page().keyboard.press('ArrowDown')
    await page().keyboard.press('k')
    const selected = page().locator(`${ROWS}.selected`)
    expect(await selected.getAttribute('data-trace-id')).toBe(demo[2]!.traceId)
    await page().keyboard.press('Enter')
    await page().waitForURL(url(`/trace/${demo[2]!.traceId}`))
    await page().locator('.wf-row[data-span-id]').first().waitFor()
    await page().keyboard.press('Escape')
    await page().waitForURL(url('/?limit=5'))
    await rowCount(5)
    await page().keyboard.press('/')
    expect(await page().evaluate('document.activeElement.id')).toBe('filter-q')
  })
})

describe('a trace', () => {
  it('/trace/<id> shows every span of each demo trace with its service', async () => {
    for (const { traceId: id } of demo) {
      const spans = flattenTrace(await getJson<OtlpTracesData>(viewer, `/api/traces/${id}`))
      await page().goto(url(`/trace/${id}`))
      await page().locator('.wf-row[data-span-id]').first().waitFor()
      const rows = await page()
        .locator('.wf-row[data-span-id]')
        .evaluateAll((els) =>
          els.map((el) => [
            el.getAttribute('data-span-id'),
            el.querySelector('.wf-service')!.textContent,
            el.querySelector('.wf-name')!.textContent,
          ]),
        )
      expect(new Set(rows.map((r) => r.join(' ')))).toEqual(
        new Set(spans.map((s: ViewSpan) => `${s.spanId} ${s.service} ${s.name}`)),
      )
      expect(rows).toHaveLength(spans.length)
    }
  })

  it('draws the tree across services: depth, status codes, client targets, errors, critical path', async () => {
    await page().goto(url(`/trace/${demo[3]!.traceId}`))
    await page().locator('.wf-row[data-span-id]').first().waitFor()
    const inventory = page().locator('.wf-row', { hasText: 'GET /stock/:sku' })
    expect(await inventory.locator('.code').textContent()).toBe('500')
    expect(await inventory.locator('.wf-error').count()).toBe(1)
    // client → POST → gateway → POST → orders → orders.place → GET → inventory
    expect(await inventory.locator('.wf-label').evaluate((el) => el.style.paddingLeft)).toBe(
      `${4 + 7 * 14}px`,
    )
    const call = page()
      .locator('.wf-row', { hasText: 'orders' })
      .filter({ hasText: '/stock/broken' })
    expect(await call.locator('.wf-detail').textContent()).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/stock\/broken$/,
    )
    expect(await page().locator('.wf-row.critical').count()).toBeGreaterThanOrEqual(4)
    expect(await page().locator('.wf-row.failed').count()).toBeGreaterThanOrEqual(4)
  })

  it('collapses and expands a subtree', async () => {
    await page().goto(url(`/trace/${demo[0]!.traceId}`))
    await page().locator('.wf-row[data-span-id]').first().waitFor()
    expect(await page().locator('.wf-row[data-span-id]').count()).toBe(11)
    const gateway = page().locator('.wf-row', { hasText: 'POST /api/orders' })
    await gateway.locator('button.twisty').click()
    // the gateway SERVER span and the client's two spans stay; its 8 descendants fold away
    expect(await page().locator('.wf-row[data-span-id]').count()).toBe(3)
    expect(await gateway.locator('.wf-folded').textContent()).toBe('+8')
    await gateway.locator('button.twisty').click()
    expect(await page().locator('.wf-row[data-span-id]').count()).toBe(11)
  })

  it('shows the detail of a clicked span: attributes, resource and scope, kept in the URL', async () => {
    const id = demo[0]!.traceId
    await page().goto(url(`/trace/${id}`))
    const row = page().locator('.wf-row', { hasText: 'GET /stock/:sku' })
    await row.click()
    const detail = page().getByTestId('span-detail')
    await detail.locator('h2', { hasText: 'GET /stock/:sku' }).waitFor()
    const spanId = await row.getAttribute('data-span-id')
    expect(page().url()).toBe(url(`/trace/${id}?span=${spanId}`))
    const text = await detail.textContent()
    expect(text).toContain('http.route/stock/:sku')
    expect(text).toContain('http.response.status_code200')
    expect(text).toContain('service.nameinventory')
    expect(text).toContain('KindSERVER')
    // a deep link to the span selects it
    await page().goto(url(`/trace/${id}?span=${spanId}`))
    await detail.locator('h2', { hasText: 'GET /stock/:sku' }).waitFor()
    expect(await page().locator('.wf-row.selected').getAttribute('data-span-id')).toBe(spanId)
  })
})

describe('RED and the service map', () => {
  it('shows count, error rate and percentiles per service and route, with links to examples', async () => {
    await page().goto(url('/red'))
    const row = page().locator('.red-table tbody tr', { hasText: '/stock/:sku' })
    await row.waitFor()
    const cells = await row.locator('td').allTextContents()
    expect(cells.slice(0, 4)).toEqual(['inventory', '/stock/:sku', '3', '2 · 66.7%'])
    await row.locator('td').nth(8).locator('a').first().click()
    await page().waitForURL(/\/trace\/[0-9a-f]{32}\?span=[0-9a-f]{16}$/)
    await page().locator('.wf-row.selected', { hasText: 'GET /stock/:sku' }).waitFor()
  })

  it('draws each service with the calls between them, and lists a service on click', async () => {
    await page().goto(url('/map'))
    await page().locator('svg.service-map').waitFor()
    expect(await page().locator('.service-map .node-name').allTextContents()).toEqual([
      'client',
      'gateway',
      'orders',
      'inventory',
      'notifier',
    ])
    expect(await page().locator('.service-map .edge').count()).toBe(4)
    await page().locator('.service-map .node', { hasText: 'notifier' }).click()
    await page().waitForURL(url('/?service=notifier'))
    await rowCount(1)
  })
})
