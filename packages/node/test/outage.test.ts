import {
  startOtlpReceiver,
  type OtlpReceiver,
  type ReceivedSpan,
} from '../../../test-utils/otlp-receiver.js'
import { startBlackHole } from './helpers/black-hole.js'
import { runApp, startApp } from './helpers/app.js'
import { type RunningFixture } from './helpers/fixtures.js'

// The collector goes away while the app serves requests, then comes back: refusing
// connections, or accepting them and never answering (a hung collector). Small batches and
// short timeouts keep it quick; production, so no startup line joins the warnings.
const settings = {
  NODE_ENV: 'production',
  OTEL_SERVICE_NAME: 'app',
  OTEL_BSP_SCHEDULE_DELAY: '100',
  OTEL_BSP_MAX_QUEUE_SIZE: '100',
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '50',
  OTEL_BSP_EXPORT_TIMEOUT: '500',
}
// 4 spans a request: SERVER, fetch CLIENT + SERVER, and the http.get SERVER (http tracing off)
const SPANS_PER_REQUEST = 4
const RECOVERY_REQUESTS = 10 // 40 spans: fit the 100-span queue however late the first export is

async function timed(url: string): Promise<{ status: number; ms: number }> {
  const started = performance.now()
  const res = await fetch(url)
  await res.text()
  return { status: res.status, ms: performance.now() - started }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

function tracehopLines(app: RunningFixture): string[] {
  return app
    .stderr()
    .split('\n')
    .filter((line) => line.startsWith('@tracehop/node:'))
}

async function serve(endpoint: string): Promise<{ app: RunningFixture; base: string }> {
  const app = await startApp(
    { ...settings, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint },
    { outbound: { http: false } },
    'serve',
  )
  await app.waitForOutput('port=')
  return { app, base: `http://127.0.0.1:${/port=(\d+)/.exec(app.stdout())![1]}` }
}

async function stats(base: string): Promise<Record<string, number>> {
  return JSON.parse(await (await fetch(`${base}/stats`)).text()) as Record<string, number>
}

/** Requests made once the collector is back: every one of their SERVER spans must arrive. */
async function expectRecovered(app: RunningFixture, base: string, receiver: OtlpReceiver) {
  for (let i = 0; i < RECOVERY_REQUESTS; i++) {
    expect((await timed(`${base}/after-${i}`)).status).toBe(200)
  }
  const isAfter = (s: ReceivedSpan): boolean =>
    /^\/after-\d+$/.test(String(s.attributes['url.path']))
  // the /after-N front SERVER spans (their downstream spans are at other paths)
  const spans = await receiver.waitForSpans(
    (all) =>
      new Set(all.filter(isAfter).map((s) => s.attributes['url.path'])).size === RECOVERY_REQUESTS,
    15_000,
  )
  expect(spans.filter(isAfter).length).toBeGreaterThanOrEqual(RECOVERY_REQUESTS)
  await waitFor(() => tracehopLines(app).some((line) => line.includes(' again; ')))
}

const lost = '\\d+ spans lost so far, will keep trying'
const queueFull = (url: string): RegExp =>
  new RegExp(
    `^@tracehop/node: span export queue is full \\(100 spans\\); dropping the oldest ` +
      `\\(\\d+ dropped so far\\) while exports to ${url}/v1/traces do not keep up$`,
  )
const again = (url: string): RegExp =>
  new RegExp(`^@tracehop/node: spans reach ${url}/v1/traces again; \\d+ spans were lost meanwhile$`)

describe('a collector that refuses connections', () => {
  it('keeps requests fast, keeps the newest spans, names the cause, exports what ends after it is back', async () => {
    const receiver = await startOtlpReceiver()
    const { app, base } = await serve(receiver.url)
    try {
      const before: number[] = []
      for (let i = 0; i < 20; i++) before.push((await timed(`${base}/work`)).ms)
      await receiver.waitForSpans((spans) => spans.length >= 20 * SPANS_PER_REQUEST)

      await receiver.stop()
      const during: number[] = []
      for (let i = 0; i < 150; i++) {
        const { status, ms } = await timed(`${base}/work`)
        expect(status).toBe(200)
        during.push(ms)
      }
      // A blocked request would take the export timeout; allow for a loaded machine.
      expect(median(during)).toBeLessThan(median(before) * 3 + 25)

      // Refused at once, each attempt loses its batch (failed); whatever piles up meanwhile
      // meets a full queue (dropped). 600 spans went through a 100-span queue.
      const during600 = await stats(base)
      expect(during600.queued).toBeLessThanOrEqual(100)
      expect(during600.dropped! + during600.failed!).toBeGreaterThan(400)

      // The cause is named, whatever the full queue said meanwhile (a slot of its own).
      const refused = new RegExp(
        `^@tracehop/node: exporting spans to ${receiver.url}/v1/traces failed ` +
          `\\(connect ECONNREFUSED 127\\.0\\.0\\.1:${receiver.port}\\); ${lost}$`,
      )
      const lines = tracehopLines(app)
      expect(lines[0]).toMatch(refused)
      expect(lines.slice(1)).toEqual(
        during600.dropped! > 0 ? [expect.stringMatching(queueFull(receiver.url))] : [],
      )
      const troubleLines = lines.length

      receiver.clear()
      await receiver.start()
      await expectRecovered(app, base, receiver)
      expect(tracehopLines(app)).toHaveLength(troubleLines + 1)
      expect(tracehopLines(app).at(-1)).toMatch(again(receiver.url))
    } finally {
      app.child.kill('SIGKILL')
      await app.done
      await receiver.close()
    }
  })
})

describe('a collector that accepts and never answers', () => {
  it('bounds each attempt, says it timed out, and exports what ends after the collector is back', async () => {
    const hole = await startBlackHole()
    const { app, base } = await serve(hole.url)
    let receiver: OtlpReceiver | undefined
    try {
      for (let i = 0; i < 100; i++) expect((await timed(`${base}/work`)).status).toBe(200)
      await waitFor(() => tracehopLines(app).length >= 2)
      expect(hole.accepted).toBeGreaterThan(0)
      expect(tracehopLines(app)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            new RegExp(
              `^@tracehop/node: exporting spans to ${hole.url}/v1/traces failed ` +
                `\\(timed out after 500 ms\\); ${lost}$`,
            ),
          ),
          expect.stringMatching(queueFull(hole.url)),
        ]),
      )
      const held = await stats(base)
      expect(held.queued).toBeLessThanOrEqual(100)
      expect(held.dropped).toBeGreaterThan(0)

      // The collector restarts healthy on the same port.
      await hole.close()
      receiver = await startOtlpReceiver({ port: hole.port })
      await expectRecovered(app, base, receiver)
      expect(tracehopLines(app).at(-1)).toMatch(again(hole.url))
    } finally {
      app.child.kill('SIGKILL')
      await app.done
      await hole.close()
      await receiver?.close()
    }
  })
})

describe('a collector that answers with an error status', () => {
  it('names the HTTP status and the URL requested', async () => {
    const receiver = await startOtlpReceiver({ status: 503 })
    try {
      const { report } = await runApp(
        // one batch, sent by the flush at shutdown
        {
          ...settings,
          OTEL_BSP_SCHEDULE_DELAY: '60000',
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        },
        { shutdownTimeoutMillis: 3000 },
      )
      expect(report.warnings).toEqual([
        `@tracehop/node: exporting spans to ${receiver.url}/v1/traces failed ` +
          `(HTTP 503 Service Unavailable); 6 spans lost so far, will keep trying`,
      ])
      expect(report.stats).toEqual({ queued: 0, exported: 0, dropped: 0, failed: 6 })
    } finally {
      await receiver.close()
    }
  })
})

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
