import { SpanKind } from '@opentelemetry/api'
import {
  startOtlpReceiver,
  type OtlpReceiver,
  type ReceivedSpan,
} from '../../../test-utils/otlp-receiver.js'
import { runApp } from './helpers/app.js'

// Each OTEL_* variable about export changes what it should, in a real process that exports to
// a real receiver. The app: top-level fetch → front (traceHandler) → fetch + http.get → downstream.
let receiver: OtlpReceiver
beforeEach(async () => {
  receiver = await startOtlpReceiver()
})
afterEach(() => receiver.close())

/** The six spans of the app's one request, checked as one trace with the right links. */
function expectAppTrace(spans: ReceivedSpan[]): void {
  expect(spans).toHaveLength(6)
  const traceIds = new Set(spans.map((s) => s.traceId))
  expect(traceIds.size).toBe(1)
  const server = (path: string): ReceivedSpan =>
    spans.find((s) => s.kind === SpanKind.SERVER && s.attributes['url.path'] === path)!
  const client = (suffix: string): ReceivedSpan =>
    spans.find(
      (s) => s.kind === SpanKind.CLIENT && String(s.attributes['url.full']).endsWith(suffix),
    )!
  const root = client('/work')
  expect(root.parentSpanId).toBeUndefined()
  expect(server('/work').parentSpanId).toBe(root.spanId)
  expect(client('/via-fetch').parentSpanId).toBe(server('/work').spanId)
  expect(server('/via-fetch').parentSpanId).toBe(client('/via-fetch').spanId)
  expect(client('/via-http').parentSpanId).toBe(server('/work').spanId)
  expect(server('/via-http').parentSpanId).toBe(client('/via-http').spanId)
}

describe('OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  it('exports OTLP/HTTP protobuf to <endpoint>/v1/traces, one trace with the right links', async () => {
    const { report } = await runApp({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 'app',
    })
    expect(report).toMatchObject({ body: 'done', exporter: 'otlp', warnings: [] })
    expect(report.startup).toEqual([
      `@tracehop/node: spans go to ${receiver.url}/v1/traces (OTLP http/protobuf)`,
    ])
    expect(report.stats).toMatchObject({ queued: 0, exported: 6, dropped: 0, failed: 0 })
    expect(
      receiver.requests.every((r) => r.path === '/v1/traces' && r.encoding === 'protobuf'),
    ).toBe(true)
    expectAppTrace(receiver.spans)
  })
})

describe('an endpoint that already ends in a signal path', () => {
  it.each(['/v1/traces', '/v1/traces/'])(
    'OTEL_EXPORTER_OTLP_ENDPOINT=<url>%s is used as the traces URL, with a note',
    async (suffix) => {
      const { report } = await runApp({
        OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}${suffix}`,
        OTEL_SERVICE_NAME: 'app',
      })
      const url = receiver.url
      expect(report.warnings).toEqual([
        `@tracehop/node: OTEL_EXPORTER_OTLP_ENDPOINT (${url}${suffix}) already ends in /v1/traces; ` +
          `spans go to ${url}/v1/traces, not ${url}/v1/traces/v1/traces (the endpoint is the base URL: ${url})`,
      ])
      expect(report.startup).toEqual([
        `@tracehop/node: spans go to ${url}/v1/traces (OTLP http/protobuf)`,
      ])
      expect(receiver.requests.map((r) => r.path)).toEqual(['/v1/traces'])
      expectAppTrace(receiver.spans)
    },
  )

  it('the endpoint option with /v1/metrics sends metrics there and spans to /v1/traces', async () => {
    const { report } = await runApp(
      { OTEL_SERVICE_NAME: 'app', NODE_ENV: 'production' },
      { endpoint: `${receiver.url}/v1/metrics`, metrics: true },
    )
    const url = receiver.url
    expect(report.warnings).toEqual([
      `@tracehop/node: the "endpoint" option (${url}/v1/metrics) already ends in /v1/metrics; ` +
        `metrics go to ${url}/v1/metrics, not ${url}/v1/metrics/v1/metrics (the endpoint is the base URL: ${url})`,
    ])
    expect(new Set(receiver.requests.map((r) => r.path))).toEqual(
      new Set(['/v1/traces', '/v1/metrics']),
    )
  })

  it('warnings name the URL requested', async () => {
    await receiver.stop() // refused from here
    const { report } = await runApp(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/v1/traces`,
        OTEL_BSP_EXPORT_TIMEOUT: '300',
        NODE_ENV: 'production',
      },
      { serviceName: 'app', shutdownTimeoutMillis: 2000 },
    )
    expect(report.warnings[1]).toBe(
      `@tracehop/node: exporting spans to ${receiver.url}/v1/traces failed ` +
        `(connect ECONNREFUSED 127.0.0.1:${receiver.port}); 6 spans lost so far, will keep trying`,
    )
  })
})

describe('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', () => {
  it('is used as the full URL', async () => {
    await runApp({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/collector/spans` })
    expect(receiver.requests.map((r) => r.path)).toContain('/collector/spans')
    expectAppTrace(receiver.spans)
  })
})

describe('OTEL_EXPORTER_OTLP_PROTOCOL', () => {
  it('http/json sends OTLP/JSON', async () => {
    await runApp({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    })
    expect(receiver.requests.every((r) => r.encoding === 'json')).toBe(true)
    expectAppTrace(receiver.spans)
  })

  it('grpc sends OTLP/gRPC', async () => {
    const grpc = await startOtlpReceiver({ grpc: true })
    try {
      await runApp({ OTEL_EXPORTER_OTLP_ENDPOINT: grpc.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })
      expect(grpc.requests.every((r) => r.transport === 'grpc')).toBe(true)
      expectAppTrace(grpc.spans)
    } finally {
      await grpc.close()
    }
  })

  it('grpc sends the headers option as metadata, over the variable', async () => {
    const grpc = await startOtlpReceiver({ grpc: true })
    try {
      await runApp(
        {
          OTEL_EXPORTER_OTLP_ENDPOINT: grpc.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
          OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=from-env,x-region=eu',
        },
        { headers: { 'x-tenant': 'from-option' } },
      )
      expect(grpc.requests.length).toBeGreaterThan(0)
      for (const request of grpc.requests) {
        expect(request.headers).toMatchObject({ 'x-tenant': 'from-option', 'x-region': 'eu' })
      }
    } finally {
      await grpc.close()
    }
  })

  it('an unknown value warns and falls back to http/protobuf', async () => {
    const { report } = await runApp({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'carrier-pigeon',
      OTEL_SERVICE_NAME: 'app',
    })
    expect(report.warnings).toEqual([
      '@tracehop/node: OTEL_EXPORTER_OTLP_PROTOCOL="carrier-pigeon" is not supported; using http/protobuf',
    ])
    expect(receiver.requests[0]!.encoding).toBe('protobuf')
  })
})

describe('OTEL_EXPORTER_OTLP_HEADERS', () => {
  it('sends the headers with every export', async () => {
    await runApp({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=s3cret,x-tenant=acme',
    })
    expect(receiver.requests.length).toBeGreaterThan(0)
    for (const request of receiver.requests) {
      expect(request.headers).toMatchObject({ 'x-api-key': 's3cret', 'x-tenant': 'acme' })
    }
  })
})

describe('OTEL_TRACES_EXPORTER', () => {
  it('none exports nothing, even with an endpoint', async () => {
    const { report } = await runApp({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_TRACES_EXPORTER: 'none',
    })
    expect(report).toMatchObject({ body: 'done', exporter: 'none' })
    // spans still exist, so context still travels
    expect(report.received[0]!.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-03$/)
    expect(receiver.requests).toEqual([])
  })

  it('console prints the waterfall instead of exporting, even with an endpoint', async () => {
    const { result, report } = await runApp({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_TRACES_EXPORTER: 'console',
    })
    expect(report.exporter).toBe('console')
    const traceId = report.received[0]!.traceparent!.split('-')[1]
    expect(result.stdout).toContain(`trace ${traceId}`)
    expect(result.stdout).toMatch(/└─ GET .* server .* 200 {2}\/via-http$/m)
    expect(receiver.requests).toEqual([])
  })

  it('otlp exports even where the default would be the console', async () => {
    const { report } = await runApp({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`,
      NODE_ENV: 'development',
    })
    expect(report.exporter).toBe('otlp')
    expectAppTrace(receiver.spans)
  })
})

describe('exporter choice without variables', () => {
  it('prints the waterfall when nothing is configured and NODE_ENV is not production', async () => {
    const { result, report } = await runApp({ OTEL_SERVICE_NAME: 'app' })
    expect(report.exporter).toBe('console')
    expect(report.startup).toEqual([
      '@tracehop/node: spans go to the console waterfall; set OTEL_EXPORTER_OTLP_ENDPOINT to send them to a collector',
    ])
    expect(result.stdout).toMatch(/^trace [0-9a-f]{32} {2}app GET {2}/m)
    expect(result.stdout).not.toContain('\x1b[') // not a TTY: no colours
  })

  it('uses OTLP in production', async () => {
    const { report } = await runApp(
      { OTEL_SERVICE_NAME: 'app', NODE_ENV: 'production', OTEL_EXPORTER_OTLP_TIMEOUT: '200' },
      { shutdownTimeoutMillis: 300 },
    )
    expect(report.exporter).toBe('otlp')
  })

  it('says nothing on a healthy production start', async () => {
    const { result, report } = await runApp({
      OTEL_SERVICE_NAME: 'app',
      NODE_ENV: 'production',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    })
    expect(report.stats).toMatchObject({ exported: 6, failed: 0 })
    expect(result.stderr).toBe('')
  })
})

describe('OTEL_SDK_DISABLED', () => {
  it('turns everything off: no spans, no propagation, the app works', async () => {
    const { report } = await runApp({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SDK_DISABLED: 'true',
    })
    expect(report).toMatchObject({ body: 'done', enabled: false })
    expect(report.received[0]!.traceparent).toBeUndefined()
    expect(receiver.requests).toEqual([])
  })
})

describe('options over variables', () => {
  it('exporter, endpoint, protocol and headers options win', async () => {
    const { report } = await runApp(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', // nothing listens there
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_TRACES_EXPORTER: 'none',
        OTEL_EXPORTER_OTLP_TIMEOUT: '500',
      },
      {
        exporter: 'otlp',
        endpoint: receiver.url,
        protocol: 'http/json',
        headers: { authorization: 'Bearer t' },
      },
    )
    expect(report.exporter).toBe('otlp')
    expect(receiver.requests[0]).toMatchObject({
      encoding: 'json',
      path: '/v1/traces',
      headers: expect.objectContaining({ authorization: 'Bearer t' }),
    })
    expectAppTrace(receiver.spans)
  })
})
