import {
  metrics,
  trace,
  type Context,
  type Histogram,
  type Meter,
  type MeterProvider as ApiMeterProvider,
  type UpDownCounter,
} from '@opentelemetry/api'
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type HistogramMetricData,
  type MetricData,
  type SumMetricData,
} from '@opentelemetry/sdk-metrics'
import http from 'node:http'
import { DURATION_BUCKETS, getRequestTrace, traceHandler } from '../../src/index.js'
import { listen, request, setupTracing, sleep, waitForSpans } from '../support/tracing.js'

function meter(): {
  provider: MeterProvider
  collect: () => Promise<MetricData[]>
} {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
  const provider = new MeterProvider({ readers: [reader] })
  return {
    provider,
    async collect() {
      exporter.reset()
      await reader.forceFlush()
      return exporter
        .getMetrics()
        .flatMap((rm) => rm.scopeMetrics)
        .filter((sm) => sm.scope.name === '@tracehop/core')
        .flatMap((sm) => sm.metrics)
    },
  }
}

/**
 * Wraps the SDK's meter provider and keeps the context passed with every measurement of the HTTP
 * server instruments, as an SDK sampling exemplars would see it.
 */
function contextCapturing(sdk: MeterProvider): {
  provider: ApiMeterProvider
  seen: { instrument: string; value: number; context: Context | undefined }[]
} {
  const seen: { instrument: string; value: number; context: Context | undefined }[] = []
  const provider: ApiMeterProvider = {
    getMeter(name, version, options) {
      const meter = sdk.getMeter(name, version, options)
      return {
        ...meter,
        createHistogram(instrument, histogramOptions) {
          const real = meter.createHistogram(instrument, histogramOptions)
          return {
            record(value, attributes, ctx) {
              seen.push({ instrument, value, context: ctx })
              real.record(value, attributes, ctx)
            },
          } satisfies Histogram
        },
        createUpDownCounter(instrument, counterOptions) {
          const real = meter.createUpDownCounter(instrument, counterOptions)
          return {
            add(value, attributes, ctx) {
              seen.push({ instrument, value, context: ctx })
              real.add(value, attributes, ctx)
            },
          } satisfies UpDownCounter
        },
      } as Meter
    },
  }
  return { provider, seen }
}

describe('HTTP server metrics', () => {
  let tracing: ReturnType<typeof setupTracing>
  beforeEach(() => {
    tracing = setupTracing()
  })
  afterEach(async () => {
    metrics.disable()
    await tracing.teardown()
  })

  it('records http.server.request.duration in seconds with semconv buckets and attributes', async () => {
    const m = meter()
    const app = await listen(
      traceHandler(
        (req, res) => {
          if (req.url === '/boom') {
            res.statusCode = 500
            res.end()
            return
          }
          getRequestTrace(req).setRoute('/items/:id')
          setTimeout(() => res.end('ok'), 30)
        },
        { tracerProvider: tracing.provider, meterProvider: m.provider },
      ),
    )
    try {
      await request(`${app.url}/items/1`)
      await request(`${app.url}/items/2`)
      await request(`${app.url}/boom`)
      await waitForSpans(tracing.exporter, 3)
      const collected = await m.collect()
      const duration = collected.find(
        (d) => d.descriptor.name === 'http.server.request.duration',
      ) as HistogramMetricData
      expect(duration.descriptor.unit).toBe('s')
      expect(duration.dataPointType).toBe(DataPointType.HISTOGRAM)
      const ok = duration.dataPoints.find((p) => p.attributes['http.route'] === '/items/:id')
      expect(ok?.attributes).toEqual({
        'http.request.method': 'GET',
        'url.scheme': 'http',
        'http.route': '/items/:id',
        'http.response.status_code': 200,
        'network.protocol.version': '1.1',
      })
      expect(ok?.value.count).toBe(2)
      expect(ok?.value.buckets.boundaries).toEqual(DURATION_BUCKETS)
      // two requests of at least ~30ms: seconds, not milliseconds
      expect(ok?.value.sum).toBeGreaterThan(0.05)
      expect(ok?.value.sum).toBeLessThan(20)
      const failed = duration.dataPoints.find(
        (p) => p.attributes['http.response.status_code'] === 500,
      )
      expect(failed?.attributes).toEqual({
        'http.request.method': 'GET',
        'url.scheme': 'http',
        'http.response.status_code': 500,
        'error.type': '500',
        'network.protocol.version': '1.1',
      })
    } finally {
      await app.close()
      await m.provider.shutdown()
    }
  })

  it('counts http.server.active_requests up while a request runs and back down after', async () => {
    const m = meter()
    let release: () => void = () => undefined
    const app = await listen(
      traceHandler(
        (_req, res) => {
          release = () => res.end()
        },
        {
          tracerProvider: tracing.provider,
          meterProvider: m.provider,
          metrics: { activeRequests: true },
        },
      ),
    )
    try {
      const pending = request(`${app.url}/slow`)
      for (let i = 0; i < 200 && tracing.exporter.getFinishedSpans().length === 0; i++) {
        const active = (await m.collect()).find(
          (d) => d.descriptor.name === 'http.server.active_requests',
        ) as SumMetricData | undefined
        if (active?.dataPoints[0]?.value === 1) break
        await sleep(5)
      }
      const during = (await m.collect()).find(
        (d) => d.descriptor.name === 'http.server.active_requests',
      ) as SumMetricData
      expect(during.dataPoints[0]?.value).toBe(1)
      expect(during.dataPoints[0]?.attributes).toEqual({
        'http.request.method': 'GET',
        'url.scheme': 'http',
      })
      expect(during.isMonotonic).toBe(false)
      release()
      await pending
      await waitForSpans(tracing.exporter, 1)
      const after = (await m.collect()).find(
        (d) => d.descriptor.name === 'http.server.active_requests',
      ) as SumMetricData
      expect(after.dataPoints[0]?.value).toBe(0)
    } finally {
      await app.close()
      await m.provider.shutdown()
    }
  })

  it('measures nothing before a global MeterProvider is registered, and every request after', async () => {
    const handler = traceHandler((_req, res) => res.end('ok'), {
      tracerProvider: tracing.provider,
      metrics: { duration: true, activeRequests: true },
    })
    const app = await listen(handler)
    const m = meter()
    try {
      // the API's no-op meter: nothing to record into, and nothing recorded later from it
      await request(`${app.url}/before`)
      metrics.setGlobalMeterProvider(m.provider)
      await request(`${app.url}/after`)
      await waitForSpans(tracing.exporter, 2)
      const exported = await m.collect()
      const duration = exported.find(
        (d) => d.descriptor.name === 'http.server.request.duration',
      ) as HistogramMetricData
      expect(duration.dataPoints.map((p) => p.value.count)).toEqual([1])
      const active = exported.find(
        (d) => d.descriptor.name === 'http.server.active_requests',
      ) as SumMetricData
      expect(active.dataPoints.map((p) => p.value)).toEqual([0])
    } finally {
      await app.close()
      await m.provider.shutdown()
    }
  })

  it('picks up a global MeterProvider registered after the handler was made, and records aborted requests', async () => {
    const handler = traceHandler(
      (_req, res) => {
        res.writeHead(200)
        res.write('partial')
      },
      { tracerProvider: tracing.provider },
    )
    const m = meter()
    metrics.setGlobalMeterProvider(m.provider)
    const app = await listen(handler)
    try {
      await new Promise<void>((resolve) => {
        const req = http.get(`${app.url}/a`, { agent: false }, (res) => {
          res.once('data', () => {
            req.destroy()
            resolve()
          })
        })
        req.on('error', () => undefined)
      })
      await waitForSpans(tracing.exporter, 1)
      const duration = (await m.collect()).find(
        (d) => d.descriptor.name === 'http.server.request.duration',
      ) as HistogramMetricData
      expect(duration.dataPoints[0]?.attributes).toMatchObject({
        'error.type': 'aborted',
        'http.response.status_code': 200,
      })
    } finally {
      await app.close()
      await m.provider.shutdown()
    }
  })

  it("passes the request's context with every measurement, so exemplars point at its trace", async () => {
    const m = meter()
    const capturing = contextCapturing(m.provider)
    const app = await listen(
      traceHandler(
        (_req, res) => {
          res.end('ok')
        },
        {
          tracerProvider: tracing.provider,
          meterProvider: capturing.provider,
          metrics: { activeRequests: true },
        },
      ),
    )
    try {
      await request(`${app.url}/a`)
      await request(`${app.url}/b`)
      const spans = await waitForSpans(tracing.exporter, 2)
      const spanIds = spans.map((span) => span.spanContext().spanId).sort()
      const idsFor = (instrument: string, value?: number) =>
        capturing.seen
          .filter((s) => s.instrument === instrument && (value === undefined || s.value === value))
          .map((s) =>
            s.context === undefined ? undefined : trace.getSpanContext(s.context)?.spanId,
          )
          .sort()
      expect(idsFor('http.server.request.duration')).toEqual(spanIds)
      expect(idsFor('http.server.active_requests', 1)).toEqual(spanIds)
      expect(idsFor('http.server.active_requests', -1)).toEqual(spanIds)
      // the SDK behind the wrapper took the measurements
      const duration = (await m.collect()).find(
        (d) => d.descriptor.name === 'http.server.request.duration',
      ) as HistogramMetricData
      expect(duration.dataPoints[0]?.value.count).toBe(2)
    } finally {
      await app.close()
      await m.provider.shutdown()
    }
  })

  it('records nothing with metrics: false', async () => {
    const m = meter()
    const app = await listen(
      traceHandler((_req, res) => res.end(), {
        tracerProvider: tracing.provider,
        meterProvider: m.provider,
        metrics: false,
      }),
    )
    try {
      await request(`${app.url}/x`)
      await waitForSpans(tracing.exporter, 1)
      expect((await m.collect()).filter((d) => d.dataPoints.length > 0)).toEqual([])
    } finally {
      await app.close()
      await m.provider.shutdown()
    }
  })

  describe.each([
    [undefined, ['http.server.request.duration']],
    [true, ['http.server.request.duration']],
    [{}, ['http.server.request.duration']],
    [{ activeRequests: true }, ['http.server.active_requests', 'http.server.request.duration']],
    [{ duration: false, activeRequests: true }, ['http.server.active_requests']],
    [{ duration: true, activeRequests: false }, ['http.server.request.duration']],
  ] as const)('metrics: %j', (option, expected) => {
    it(`records ${expected.join(' and ')}`, async () => {
      const m = meter()
      const app = await listen(
        traceHandler((_req, res) => res.end(), {
          tracerProvider: tracing.provider,
          meterProvider: m.provider,
          metrics: option,
        }),
      )
      try {
        await request(`${app.url}/x`)
        await waitForSpans(tracing.exporter, 1)
        // the up-down counter is back to 0 after the request, but its point stays
        const names = (await m.collect())
          .filter((d) => d.dataPoints.length > 0)
          .map((d) => d.descriptor.name)
          .sort()
        expect(names).toEqual(expected)
      } finally {
        await app.close()
        await m.provider.shutdown()
      }
    })
  })
})
