import { startOtlpReceiver, type OtlpReceiver } from '../../../test-utils/otlp-receiver.js'
import { runApp, startApp } from './helpers/app.js'
import { freePort } from './helpers/ports.js'

// The HTTP server metrics the adapters record, exported over OTLP or scraped by Prometheus.
let receiver: OtlpReceiver
beforeEach(async () => {
  receiver = await startOtlpReceiver()
})
afterEach(() => receiver.close())

describe('OTEL_METRICS_EXPORTER=otlp', () => {
  it('pushes http.server.request.duration to <endpoint>/v1/metrics', async () => {
    await runApp({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 'app',
      OTEL_METRICS_EXPORTER: 'otlp',
    })
    expect(receiver.requests.some((r) => r.signal === 'metrics' && r.path === '/v1/metrics')).toBe(
      true,
    )
    const duration = receiver.metrics.find((m) => m.name === 'http.server.request.duration')!
    expect(duration).toMatchObject({
      type: 'histogram',
      unit: 's',
      resource: { 'service.name': 'app' },
    })
    // the app served three requests: /work, /via-fetch, /via-http
    expect(duration.dataPoints.reduce((n, p) => n + p.count!, 0)).toBe(3)
  })

  it('flushes the last metrics when the app ends without shutdown()', async () => {
    await runApp(
      // no spans to flush: only the pending metrics make it flush
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_SERVICE_NAME: 'app',
        OTEL_TRACES_EXPORTER: 'none',
      },
      { metrics: true },
      'exit',
    )
    const duration = receiver.metrics.find((m) => m.name === 'http.server.request.duration')!
    expect(duration.dataPoints.reduce((n, p) => n + p.count!, 0)).toBe(3)
  })

  it('is off by default', async () => {
    await runApp({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'app' })
    expect(receiver.requests.filter((r) => r.signal === 'metrics')).toEqual([])
  })
})

describe('metrics.prometheus', () => {
  it('serves the metrics for scraping', async () => {
    const port = await freePort()
    const app = await startApp(
      { OTEL_SERVICE_NAME: 'app', OTEL_TRACES_EXPORTER: 'none' },
      { metrics: { prometheus: { port, host: '127.0.0.1' } } },
      'serve',
    )
    try {
      await app.waitForOutput('port=')
      const base = `http://127.0.0.1:${/port=(\d+)/.exec(app.stdout())![1]}`
      await (await fetch(`${base}/work`)).text()
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
      // /work, /via-fetch and /via-http, summed over the label sets
      const counts = text
        .split('\n')
        .filter((line) => line.startsWith('http_server_request_duration_count{'))
        .map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)))
      expect(counts.reduce((a, b) => a + b, 0)).toBe(3)
      expect(text).toContain('# UNIT http_server_request_duration s')
      // the resource's host attributes settle asynchronously: a scrape waits for them, quietly
      expect(app.stderr()).not.toContain('Accessing resource attributes')
    } finally {
      app.child.kill('SIGKILL')
      await app.done
    }
  })
})
