import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type HistogramMetricData,
} from '@opentelemetry/sdk-metrics'
import { getRequestTrace, traceHandler } from '../../src/index.js'
import { listen, request, setupTracing, waitForSpans } from '../support/tracing.js'

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'

function traceparent(flags: '00' | '01'): string {
  return `00-${TRACE_ID}-00f067aa0ba902b7-${flags}`
}

// A request whose parent was not sampled gets a span that records nothing: what would only be
// written to it is skipped, and the duration metric is still recorded and labelled.
describe('unsampled requests', () => {
  let tracing: ReturnType<typeof setupTracing>
  beforeEach(() => {
    tracing = setupTracing()
  })
  afterEach(async () => {
    await tracing.teardown()
  })

  it('skip responseHook and the exception, and still record the duration with error.type', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
    const meterProvider = new MeterProvider({ readers: [reader] })
    const hooked: boolean[] = []
    const recording: boolean[] = []
    const app = await listen(
      traceHandler(
        (req, res) => {
          const requestTrace = getRequestTrace(req)
          recording.push(requestTrace.span.isRecording())
          requestTrace.setRoute('/orders/:id')
          requestTrace.recordError(new TypeError('bad order'))
          res.end('ok')
        },
        {
          tracerProvider: tracing.provider,
          meterProvider,
          responseHook: (span) => hooked.push(span.isRecording()),
        },
      ),
    )
    try {
      const unsampled = await request(`${app.url}/orders/1`, {
        headers: { traceparent: traceparent('00') },
      })
      expect(unsampled.status).toBe(200)
      // a sampled request after it: its span is exported, so the unsampled one has ended too
      await request(`${app.url}/orders/2`, { headers: { traceparent: traceparent('01') } })
      const spans = await waitForSpans(tracing.exporter, 1)
      expect(recording).toEqual([false, true])
      expect(spans).toHaveLength(1)
      expect(spans[0]?.attributes['url.path']).toBe('/orders/2')
      expect(spans[0]?.events.map((event) => event.name)).toEqual(['exception'])
      expect(hooked).toEqual([true])

      await reader.forceFlush()
      const duration = exporter
        .getMetrics()
        .flatMap((rm) => rm.scopeMetrics)
        .flatMap((sm) => sm.metrics)
        .find((m) => m.descriptor.name === 'http.server.request.duration') as HistogramMetricData
      const point = duration.dataPoints.find((p) => p.attributes['http.route'] === '/orders/:id')
      // both requests, the unsampled one included, classified by the recorded error
      expect(point?.value.count).toBe(2)
      expect(point?.attributes['error.type']).toBe('TypeError')
    } finally {
      await app.close()
      await meterProvider.shutdown()
    }
  })
})
