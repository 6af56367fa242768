import { startOtlpReceiver, type OtlpReceiver } from '../../../test-utils/otlp-receiver.js'
import { startApp } from './helpers/app.js'

// The collector goes away while the app serves requests, then comes back.
let receiver: OtlpReceiver
beforeAll(async () => {
  receiver = await startOtlpReceiver()
})
afterAll(() => receiver.close())

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

describe('exporter down', () => {
  it('keeps requests fast, bounds the queue, counts drops, warns once, resumes', async () => {
    const app = await startApp(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_SERVICE_NAME: 'app',
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_BSP_MAX_QUEUE_SIZE: '100',
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '50',
        OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
      },
      { outbound: { http: false } },
      'serve',
    )
    try {
      await app.waitForOutput('port=')
      const base = `http://127.0.0.1:${/port=(\d+)/.exec(app.stdout())![1]}`

      const before: number[] = []
      for (let i = 0; i < 20; i++) before.push((await timed(`${base}/work`)).ms)
      // 4 spans a request: SERVER, fetch CLIENT + SERVER, and the http.get SERVER (http tracing off)
      await receiver.waitForSpans((spans) => spans.length >= 20 * 4)

      await receiver.stop()
      const during: number[] = []
      for (let i = 0; i < 150; i++) {
        const { status, ms } = await timed(`${base}/work`)
        expect(status).toBe(200)
        during.push(ms)
      }
      // A blocked request would take the exporter's 1 s timeout; allow for a loaded machine.
      expect(median(during)).toBeLessThan(median(before) * 3 + 25)

      const stats = JSON.parse(await (await fetch(`${base}/stats`)).text()) as Record<
        string,
        number
      >
      expect(stats.queued).toBeLessThanOrEqual(100) // 600 spans went through a 100-span queue
      expect(stats.dropped! + stats.failed!).toBeGreaterThan(400)
      expect(stats.dropped).toBeGreaterThan(0)

      const warnings = (): string[] =>
        app
          .stderr()
          .split('\n')
          .filter((line) => line.startsWith('@tracehop/node:'))
      expect(warnings()).toHaveLength(1) // at most one a minute
      expect(warnings()[0]).toMatch(
        /^@tracehop\/node: (exporting spans to http:\/\/127\.0\.0\.1:\d+ failed \(.+\)|span export queue is full)/,
      )

      receiver.clear()
      await receiver.start()
      // Traffic goes on. What is still queued goes out first (new spans meet a full queue until
      // then); soon after, the spans of requests made after the return arrive.
      const arrived = (): boolean =>
        receiver.spans.some((s) => s.attributes['url.path'] === '/after-restart')
      await waitFor(async () => {
        expect((await timed(`${base}/after-restart`)).status).toBe(200)
        return arrived() && warnings().some((w) => w.includes(' again; '))
      }, 20_000)
      expect(warnings()).toHaveLength(2)
      expect(warnings()[1]).toMatch(
        /^@tracehop\/node: spans reach http:\/\/127\.0\.0\.1:\d+ again; \d+ spans were lost meanwhile$/,
      )
    } finally {
      app.child.kill('SIGKILL')
      await app.done
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
