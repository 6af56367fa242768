import { propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http'
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import type { ReadableSpan } from '@opentelemetry/sdk-trace'
import http from 'node:http'
import type { RequestTrace } from '../../src/index.js'
import {
  defaultPropagator,
  getRequestTrace,
  REDACTED,
  traceHandler,
  tryGetRequestTrace,
} from '../../src/index.js'
import { listen, request, setupTracing, sleep, waitForSpans } from '../support/tracing.js'

interface ModuleDefinition {
  name: string
  patch?: (exports: unknown) => unknown
  unpatch?: (exports: unknown) => void
}

describe('coexistence with @opentelemetry/instrumentation-http', () => {
  let tracing: ReturnType<typeof setupTracing>
  let instrumentation: HttpInstrumentation
  let definition: ModuleDefinition

  beforeAll(() => {
    // the test client's own requests stay untraced, so the traceparent it sends arrives as written
    instrumentation = new HttpInstrumentation({ ignoreOutgoingRequestHook: () => true })
    // Jest's module registry bypasses require-in-the-middle, so apply the instrumentation's own
    // patch to node:http, exactly as its require hook does in a plain Node process.
    const definitions = (
      instrumentation as unknown as { getModuleDefinitions(): ModuleDefinition[] }
    ).getModuleDefinitions()
    definition = definitions.find((d) => d.name === 'http')!
    definition.patch?.(http)
  })
  afterAll(() => {
    definition.unpatch?.(http)
    instrumentation.disable()
  })
  beforeEach(() => {
    tracing = setupTracing()
    trace.setGlobalTracerProvider(tracing.provider)
    instrumentation.setTracerProvider(tracing.provider)
  })
  afterEach(async () => {
    await tracing.teardown()
  })

  it('adopts its SERVER span: exactly one, renamed, enriched, ended by it', async () => {
    let adopted: RequestTrace | undefined
    const app = await listen(
      traceHandler(
        (req, res) => {
          adopted = getRequestTrace(req)
          adopted.setRoute('/orders/:id')
          expect(trace.getActiveSpan()).toBe(adopted.span)
          res.end('ok')
        },
        {
          requestHook: (span) => span.setAttribute('from.requestHook', true),
          captureHeaders: { request: ['authorization'] },
        },
      ),
    )
    try {
      expect((http.Server.prototype.emit as { __wrapped?: boolean }).__wrapped).toBe(true)
      const reply = await request(`${app.url}/orders/9?token=t0p-secret&page=1`, {
        headers: { authorization: 'Bearer t0p-secret', 'x-forwarded-for': '203.0.113.5' },
      })
      expect(reply.body).toBe('ok')
      await waitForSpans(tracing.exporter, 1)
      await sleep(50)
      const servers = tracing.exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER)
      expect(servers).toHaveLength(1)
      const span = servers[0]!
      expect(adopted?.adopted).toBe(true)
      expect(span.instrumentationScope.name).toBe('@opentelemetry/instrumentation-http')
      expect(span.name).toBe('GET /orders/:id')
      expect(span.attributes['http.route']).toBe('/orders/:id')
      expect(span.attributes['from.requestHook']).toBe(true)
      expect(span.attributes['url.query']).toBe(`token=${REDACTED}&page=1`)
      expect(span.attributes['http.request.header.authorization']).toEqual([REDACTED])
      expect(span.attributes['http.response.status_code']).toBe(200)
      // its own request attributes stay as it set them (it reads X-Forwarded-For)
      expect(span.attributes['client.address']).toBe('203.0.113.5')
      expect(JSON.stringify(span.attributes)).not.toContain('t0p-secret')
    } finally {
      await app.close()
    }
  })

  it('takes back a route cleared with setRoute(undefined): its end-time naming and route see none', async () => {
    const app = await listen(
      traceHandler((req, res) => {
        const requestTrace = getRequestTrace(req)
        requestTrace.setRoute('/orders/:id')
        requestTrace.setRoute(undefined)
        res.statusCode = 404
        res.end()
      }),
    )
    try {
      await request(`${app.url}/orders/9`)
      await waitForSpans(tracing.exporter, 1)
      await sleep(50)
      const servers = tracing.exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER)
      expect(servers).toHaveLength(1)
      expect(servers[0]!.instrumentationScope.name).toBe('@opentelemetry/instrumentation-http')
      expect(servers[0]!.name).toBe('GET')
      expect(servers[0]!.attributes['http.route']).toBeUndefined()
    } finally {
      await app.close()
    }
  })

  it('names an adopted span after the last route set, with its responseHook seeing it', async () => {
    const inHook: unknown[] = []
    const app = await listen(
      traceHandler(
        (req, res) => {
          const requestTrace = getRequestTrace(req)
          requestTrace.setRoute('/orders/:id')
          requestTrace.setRoute('/orders/latest')
          res.end('ok')
        },
        {
          responseHook: (span) =>
            inHook.push((span as unknown as ReadableSpan).attributes['http.route']),
        },
      ),
    )
    try {
      await request(`${app.url}/orders/latest`)
      await waitForSpans(tracing.exporter, 1)
      const [span] = tracing.exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER)
      expect(span?.name).toBe('GET /orders/latest')
      expect(span?.attributes['http.route']).toBe('/orders/latest')
      expect(inHook).toEqual(['/orders/latest'])
    } finally {
      await app.close()
    }
  })

  it('continues the incoming trace through the adopted span and records errors on it', async () => {
    // instrumentation-http extracts with the global propagator, as sdk-node registers it
    propagation.setGlobalPropagator(defaultPropagator())
    const app = await listen(
      traceHandler((req, res) => {
        getRequestTrace(req).recordError(new TypeError('bad input'))
        res.statusCode = 500
        res.end()
      }),
    )
    try {
      await request(`${app.url}/fail`, {
        headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      })
      const [span] = await waitForSpans(tracing.exporter, 1)
      expect(span?.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c')
      expect(span?.parentSpanContext?.spanId).toBe('b7ad6b7169203331')
      expect(span?.status.code).toBe(SpanStatusCode.ERROR)
      expect(span?.attributes['error.type']).toBe('500')
      expect(span?.events.some((e) => e.attributes?.['exception.message'] === 'bad input')).toBe(
        true,
      )
    } finally {
      await app.close()
    }
  })

  it('marks an adopted span aborted when the client leaves before the response is written', async () => {
    const app = await listen(
      traceHandler(() => {
        // never answers: the client goes away first
      }),
    )
    try {
      await new Promise<void>((resolve) => {
        const req = http.get(`${app.url}/slow`, { agent: false })
        req.on('error', () => resolve())
        setTimeout(() => req.destroy(), 50)
      })
      const spans = await waitForSpans(tracing.exporter, 1)
      await sleep(50)
      expect(tracing.exporter.getFinishedSpans()).toHaveLength(1)
      const [span] = spans
      expect(span?.instrumentationScope.name).toBe('@opentelemetry/instrumentation-http')
      expect(span?.status.code).toBe(SpanStatusCode.ERROR)
      expect(span?.attributes['error.type']).toBe('aborted')
    } finally {
      await app.close()
    }
  })

  it('stays silent for requests its ignoreIncomingRequestHook skips', async () => {
    const config = instrumentation.getConfig()
    instrumentation.setConfig({
      ...config,
      ignoreIncomingRequestHook: (req) => req.url === '/skip',
    })
    let traced: boolean | undefined
    const app = await listen(
      traceHandler((req, res) => {
        traced = tryGetRequestTrace(req) !== undefined
        res.end()
      }),
    )
    try {
      await request(`${app.url}/skip`)
      expect(traced).toBe(false)
      await request(`${app.url}/kept`)
      const spans = await waitForSpans(tracing.exporter, 1)
      expect(traced).toBe(true)
      expect(spans.map((s) => s.attributes['url.path'])).toEqual(['/kept'])
    } finally {
      instrumentation.setConfig(config)
      await app.close()
    }
  })

  it('leaves the duration metric to it and still counts active requests', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
    const meterProvider = new MeterProvider({ readers: [reader] })
    const app = await listen(
      traceHandler((_req, res) => res.end(), { meterProvider, metrics: { activeRequests: true } }),
    )
    try {
      await request(`${app.url}/m`)
      await waitForSpans(tracing.exporter, 1)
      await reader.forceFlush()
      const names = exporter
        .getMetrics()
        .flatMap((rm) => rm.scopeMetrics)
        .filter((sm) => sm.scope.name === '@tracehop/core')
        .flatMap((sm) => sm.metrics)
        .filter((m) => m.dataPoints.length > 0)
        .map((m) => m.descriptor.name)
      expect(names).toEqual(['http.server.active_requests'])
    } finally {
      await app.close()
      await meterProvider.shutdown()
    }
  })
})
