import { type Attributes } from '@opentelemetry/api'
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type HistogramMetricData,
} from '@opentelemetry/sdk-metrics'
import {
  TracerProvider as BasicTracerProvider,
  InMemorySpanExporter,
  SamplingDecision,
  SimpleSpanProcessor,
  type ReadableSpan,
  type Sampler,
} from '@opentelemetry/sdk-trace'
import {
  createRequestLifecycle,
  getRequestTrace,
  traceHandler,
  type RequestTrace,
  type SpanNameInfo,
  type TraceOptions,
} from '../../src/index.js'
import { listen, request, setupTracing, waitForSpans } from '../support/tracing.js'

describe('the route of a request', () => {
  let tracing: ReturnType<typeof setupTracing>
  beforeEach(() => {
    tracing = setupTracing()
  })
  afterEach(async () => {
    await tracing.teardown()
  })

  async function one(
    handle: (requestTrace: RequestTrace) => void,
    options: TraceOptions = {},
  ): Promise<ReadableSpan> {
    const app = await listen(
      traceHandler(
        (req, res) => {
          handle(getRequestTrace(req))
          res.end('ok')
        },
        { tracerProvider: tracing.provider, ...options },
      ),
    )
    try {
      await request(`${app.url}/files/readme`)
      const [span] = await waitForSpans(tracing.exporter, 1)
      return span!
    } finally {
      await app.close()
    }
  }

  describe('setRoute', () => {
    it('clears the route with undefined: no http.route, the span named after its method', async () => {
      const span = await one((requestTrace) => {
        requestTrace.setRoute('/files/:name')
        requestTrace.setRoute(undefined)
        expect(requestTrace.route).toBeUndefined()
      })
      expect(span.name).toBe('GET')
      expect(span.attributes['http.route']).toBeUndefined()
    })

    it('writes the last route set when the span ends', async () => {
      const span = await one((requestTrace) => {
        requestTrace.setRoute('/files/:name')
        requestTrace.setRoute('/files/readme')
      })
      expect(span.name).toBe('GET /files/readme')
      expect(span.attributes['http.route']).toBe('/files/readme')
    })

    it('gives spanName the final route, and responseHook a span that already carries it', async () => {
      const named: (string | undefined)[] = []
      const inHook: unknown[] = []
      const span = await one(
        (requestTrace) => {
          requestTrace.setRoute('/files/:name')
          requestTrace.setRoute(undefined)
          requestTrace.setRoute('/files/readme')
        },
        {
          spanName: ({ method, route }: SpanNameInfo) => {
            named.push(route)
            return `${method} ${route ?? '-'} (custom)`
          },
          responseHook: (hooked) => {
            const readable = hooked as unknown as ReadableSpan
            inHook.push(readable.name, readable.attributes['http.route'])
          },
        },
      )
      // once at the start (no route yet), once with the route the request ended with
      expect(named).toEqual([undefined, '/files/readme'])
      expect(inHook).toEqual(['GET /files/readme (custom)', '/files/readme'])
      expect(span.name).toBe('GET /files/readme (custom)')
    })

    it('labels the duration metric with the final route, or none', async () => {
      const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
      const reader = new PeriodicExportingMetricReader({
        exporter,
        exportIntervalMillis: 3_600_000,
      })
      const meterProvider = new MeterProvider({ readers: [reader] })
      try {
        await one(
          (requestTrace) => {
            requestTrace.setRoute('/files/:name')
            requestTrace.setRoute(undefined)
          },
          { meterProvider },
        )
        await reader.forceFlush()
        const duration = exporter
          .getMetrics()
          .flatMap((rm) => rm.scopeMetrics)
          .flatMap((sm) => sm.metrics)
          .find((m) => m.descriptor.name === 'http.server.request.duration') as HistogramMetricData
        expect(duration.dataPoints).toHaveLength(1)
        expect(duration.dataPoints[0]?.attributes['http.route']).toBeUndefined()
      } finally {
        await meterProvider.shutdown()
      }
    })
  })

  describe('a route known at start()', () => {
    function startWithRoute(
      route: string,
      options: TraceOptions,
      then?: (t: RequestTrace) => void,
    ) {
      const lifecycle = createRequestLifecycle(options, '@tracehop/test')
      return listen((req, res) => {
        const requestTrace = lifecycle.start(req, res, route)
        then?.(requestTrace!)
        res.end('ok')
      })
    }

    it('is a start attribute: samplers and requestHook see it', async () => {
      const sampled: Attributes[] = []
      const sampler: Sampler = {
        shouldSample(_ctx, _traceId, _name, _kind, attributes) {
          sampled.push(attributes)
          return { decision: SamplingDecision.RECORD_AND_SAMPLED }
        },
        toString: () => 'capturing',
      }
      const exporter = new InMemorySpanExporter()
      const provider = new BasicTracerProvider({
        sampler,
        spanProcessors: [new SimpleSpanProcessor({ exporter })],
      })
      const inRequestHook: unknown[] = []
      const app = await startWithRoute('/files/:name', {
        tracerProvider: provider,
        requestHook: (span) =>
          inRequestHook.push((span as unknown as ReadableSpan).attributes['http.route']),
      })
      try {
        await request(`${app.url}/files/readme`)
        const [span] = await waitForSpans(exporter, 1)
        expect(sampled.map((a) => a['http.route'])).toEqual(['/files/:name'])
        expect(inRequestHook).toEqual(['/files/:name'])
        expect(span?.name).toBe('GET /files/:name')
        expect(span?.attributes['http.route']).toBe('/files/:name')
      } finally {
        await app.close()
        await provider.shutdown()
      }
    })

    it('can be replaced; clearing it renames the span but cannot remove the start attribute', async () => {
      const replacedApp = await startWithRoute(
        '/files/:name',
        { tracerProvider: tracing.provider },
        (t) => t.setRoute('/files/readme'),
      )
      try {
        await request(`${replacedApp.url}/files/readme`)
        const [replaced] = await waitForSpans(tracing.exporter, 1)
        expect(replaced?.name).toBe('GET /files/readme')
        expect(replaced?.attributes['http.route']).toBe('/files/readme')
      } finally {
        await replacedApp.close()
      }
      tracing.exporter.reset()
      const clearedApp = await startWithRoute(
        '/files/:name',
        { tracerProvider: tracing.provider },
        (t) => t.setRoute(undefined),
      )
      try {
        await request(`${clearedApp.url}/files/readme`)
        const [cleared] = await waitForSpans(tracing.exporter, 1)
        expect(cleared?.name).toBe('GET')
        expect(cleared?.attributes['http.route']).toBe('/files/:name')
      } finally {
        await clearedApp.close()
      }
    })
  })
})
