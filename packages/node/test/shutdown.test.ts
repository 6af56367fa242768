import { startOtlpReceiver, type OtlpReceiver } from '../../../test-utils/otlp-receiver.js'
import { parseReport, runApp, startApp } from './helpers/app.js'
import { startBlackHole, type BlackHole } from './helpers/black-hole.js'

// Flushing on the way out, in real processes: signals, the end of the event loop, shutdown().
// OTEL_BSP_SCHEDULE_DELAY=60000 keeps the spans queued, so only the flush can deliver them.
let receiver: OtlpReceiver
beforeEach(async () => {
  receiver = await startOtlpReceiver()
})
afterEach(() => receiver.close())

const queued = (): Record<string, string> => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_SERVICE_NAME: 'app',
  OTEL_BSP_SCHEDULE_DELAY: '60000',
})

describe.each(['SIGTERM', 'SIGINT'] as const)('%s', (signal) => {
  it('flushes the queued spans, then the process dies of the signal as it would have', async () => {
    const app = await startApp(queued(), {}, 'signal')
    await app.waitForOutput('ready')
    expect(parseReport(app.stdout(), 'ready').body).toBe('done')
    expect(receiver.spans).toEqual([]) // still queued
    app.child.kill(signal)
    const result = await app.done
    expect(result).toMatchObject({ code: null, signal })
    expect(receiver.spans).toHaveLength(6)
  })
})

describe('SIGTERM with a handler of the app', () => {
  it('flushes beside it and leaves the exit to the app', async () => {
    const app = await startApp(queued(), {}, 'app-signal')
    await app.waitForOutput('ready')
    app.child.kill('SIGTERM')
    const result = await app.done
    expect(result).toMatchObject({ code: 7, signal: null })
    expect(receiver.spans).toHaveLength(6)
  })
})

describe('SIGTERM while the collector is down', () => {
  it('gives up after shutdownTimeoutMillis and still dies of the signal', async () => {
    const app = await startApp(queued(), { shutdownTimeoutMillis: 500 }, 'signal')
    await app.waitForOutput('ready')
    await receiver.stop()
    const started = Date.now()
    app.child.kill('SIGTERM')
    const result = await app.done
    expect(result.signal).toBe('SIGTERM')
    // 500 ms flush budget + a 250 ms guard; generous for a loaded machine, far below the
    // exporter's own 10 s timeout
    expect(Date.now() - started).toBeLessThan(5000)
  })
})

describe('a second SIGTERM during the flush', () => {
  it('takes effect at once', async () => {
    const app = await startApp(queued(), { shutdownTimeoutMillis: 10_000 }, 'signal')
    await app.waitForOutput('ready')
    await receiver.stop() // the flush now waits on a collector that is gone
    const started = Date.now()
    app.child.kill('SIGTERM')
    // time for the first signal to be handled even on a loaded machine (two pending signals of
    // one kind would be delivered as one)
    await new Promise((resolve) => setTimeout(resolve, 1000))
    expect(app.child.exitCode === null && app.child.signalCode === null).toBe(true) // flushing
    app.child.kill('SIGTERM')
    const result = await app.done
    expect(result.signal).toBe('SIGTERM')
    expect(Date.now() - started).toBeLessThan(6000) // not the 10 s flush budget
  })
})

describe('the end of the event loop', () => {
  it('flushes queued spans when the app ends without calling shutdown()', async () => {
    const { result } = await runApp(queued(), {}, 'exit')
    expect(result.code).toBe(0)
    expect(receiver.spans).toHaveLength(6)
  })
})

describe('shutdown()', () => {
  it('flushes and reports what it exported', async () => {
    const { report } = await runApp(queued())
    expect(report.stats).toEqual({ queued: 0, exported: 6, dropped: 0, failed: 0 })
    expect(receiver.spans).toHaveLength(6)
  })
})

describe('shutdown() while the collector is down', () => {
  it('returns within shutdownTimeoutMillis and says so', async () => {
    await receiver.stop()
    const { report } = await runApp(
      { ...queued(), OTEL_EXPORTER_OTLP_TIMEOUT: '3000', NODE_ENV: 'production' },
      { shutdownTimeoutMillis: 300 },
    )
    // the exporter would keep retrying for 3 s; shutdown gives up after 300 ms
    expect(report.shutdownMs).toBeGreaterThanOrEqual(250)
    expect(report.shutdownMs).toBeLessThan(2500)
    expect(report.warnings).toEqual([
      '@tracehop/node: shutdown did not finish within 300 ms; 6 spans were not exported',
    ])
  })
})

describe.each(['refuses connections', 'accepts and never answers'])(
  'shutdown() while the collector %s',
  (behaviour) => {
    let hole: BlackHole | undefined
    afterEach(() => hole?.close())

    it('resolves within shutdownTimeoutMillis, and then nothing keeps the process alive', async () => {
      let endpoint = receiver.url
      if (behaviour === 'refuses connections') await receiver.stop()
      else endpoint = (hole = await startBlackHole()).url
      // metrics on too: their exporter meets the same collector at shutdown
      const app = await startApp(
        { ...queued(), OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, NODE_ENV: 'production' },
        { shutdownTimeoutMillis: 1000, metrics: true },
        'once',
      )
      await app.waitForOutput('report ')
      const reported = performance.now()
      const result = await app.done
      const exitMs = performance.now() - reported
      const report = parseReport(result.stdout)
      expect(result.code).toBe(0)
      // default export timeout 5 s and the exporter's retries: longer than the budget
      expect(report.shutdownMs).toBeGreaterThanOrEqual(950)
      expect(report.shutdownMs).toBeLessThan(2500)
      expect(report.warnings).toEqual([
        '@tracehop/node: shutdown did not finish within 1000 ms; 6 spans were not exported',
      ])
      // a generous bound for a loaded machine; an export left running would hold it for seconds
      expect(exitMs).toBeLessThan(2000)
    })
  },
)
