// How long the viewer's page takes to show a large trace: a 5,000-span trace (five services, a
// tree eight levels deep) is imported into an in-process viewer, then Debian's Chromium opens
// /trace/<id> and the time until every span row is in the DOM is measured, several times.
//
//   node bench/viewer-render.mjs [--spans 5000] [--runs 5]
//
// Needs the built viewer (pnpm --filter @tracehop/viewer build) and /usr/bin/chromium
// (CHROMIUM_PATH overrides). Not a test: it prints the median and every run.
import { createRequire } from 'node:module'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: { spans: { type: 'string', default: '5000' }, runs: { type: 'string', default: '5' } },
})
const SPANS = Number(values.spans)
const RUNS = Number(values.runs)
const viewerDir = fileURLToPath(new URL('../packages/viewer/', import.meta.url))
const { startViewer } = await import(`${viewerDir}dist/index.js`)
// playwright-core is the viewer's devDependency
const { chromium } = createRequire(`${viewerDir}package.json`)('playwright-core')

/** One trace as OTLP/JSON: span i's parent is span floor((i - 1) / 4), so the tree is wide and deep. */
function bigTrace() {
  const traceId = randomBytes(16).toString('hex')
  const start = BigInt(Date.now()) * 1_000_000n
  const services = ['gateway', 'orders', 'inventory', 'payments', 'notifier']
  const bySpan = services.map(() => [])
  const ids = []
  for (let i = 0; i < SPANS; i++) {
    const spanId = randomBytes(8).toString('hex')
    ids.push(spanId)
    const depth = Math.floor(Math.log(3 * i + 1) / Math.log(4))
    const begin = start + BigInt(i) * 10_000n
    bySpan[depth % services.length].push({
      traceId,
      spanId,
      ...(i === 0 ? {} : { parentSpanId: ids[Math.floor((i - 1) / 4)] }),
      name: i === 0 ? 'GET /orders/:id' : `step ${i}`,
      kind: i === 0 ? 2 : 1,
      startTimeUnixNano: String(begin),
      endTimeUnixNano: String(begin + 5_000_000n),
      attributes: [{ key: 'step', value: { intValue: String(i) } }],
      status: { code: i % 97 === 0 ? 2 : 0 },
    })
  }
  const resourceSpans = services.map((name, s) => ({
    resource: { attributes: [{ key: 'service.name', value: { stringValue: name } }] },
    scopeSpans: [{ scope: { name: 'bench' }, spans: bySpan[s] }],
  }))
  return { traceId, body: JSON.stringify({ resourceSpans }) }
}

const viewer = await startViewer({ port: 0, maxSpans: Math.max(100_000, SPANS * 2) })
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
  ],
})
try {
  const { traceId, body } = bigTrace()
  const posted = await fetch(`${viewer.otlpEndpoint}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  })
  if (posted.status !== 200) throw new Error(`import failed: HTTP ${posted.status}`)
  const times = []
  for (let run = 0; run < RUNS + 1; run++) {
    const page = await browser.newPage()
    const began = performance.now()
    await page.goto(`${viewer.url}trace/${traceId}`)
    await page.waitForFunction(
      (n) => globalThis.document.querySelectorAll('[data-span-id]').length >= n,
      SPANS,
      {
        timeout: 120_000,
        polling: 10,
      },
    )
    const ms = performance.now() - began
    await page.close()
    if (run > 0) times.push(ms) // the first run warms the server's caches and the browser
  }
  const sorted = [...times].sort((a, b) => a - b)
  const median = sorted[Math.floor(sorted.length / 2)]
  console.log(
    `viewer page, ${SPANS}-span trace: navigation to every row in the DOM, median ${median.toFixed(0)} ms ` +
      `of ${RUNS} runs (${times.map((t) => t.toFixed(0)).join(', ')} ms)`,
  )
} finally {
  await browser.close()
  await viewer.close()
}
