import { MeterProvider, MetricReader, type HistogramMetricData } from '@opentelemetry/sdk-metrics'
import { traceMiddleware, type TraceMiddlewareOptions } from '@tracehop/express'
import {
  EXPRESS_VERSIONS,
  eventually,
  listen,
  request,
  serverSpans,
  useTracing,
} from './helpers.js'

const tracing = useTracing()

describe('option validation', () => {
  it.each<[string, unknown, string]>([
    [
      'trust',
      { trust: 'yes' },
      `@tracehop/express: option "trust" must be 'continue', 'link', 'ignore' or a function; received "yes"`,
    ],
    [
      'ignore',
      { ignore: [42] },
      '@tracehop/express: option "ignore[0]" must be a string, a RegExp or a function (or an array of them); received 42',
    ],
    [
      'tracerProvider',
      { tracerProvider: {} },
      '@tracehop/express: option "tracerProvider" must be a TracerProvider (an object with getTracer()); received {}',
    ],
    ['options', 'fast', '@tracehop/express: options must be an object; received "fast"'],
  ])('throws a TypeError naming the package and option %s', (_name, options, message) => {
    expect(() => traceMiddleware(options as TraceMiddlewareOptions)).toThrow(new TypeError(message))
  })
})

describe.each(EXPRESS_VERSIONS)('options pass through to the engine (%s)', (_label, express) => {
  it('applies ignore, spanName, requestHook and captureHeaders', async () => {
    const app = express()
    app.use(
      traceMiddleware({
        tracerProvider: tracing.provider,
        metrics: false,
        ignore: ['/healthz', '/assets/:file'],
        spanName: ({ method, route }) => `${method.toLowerCase()} ${route ?? 'unmatched'}`,
        requestHook: (span) => span.setAttribute('hooked', true),
        captureHeaders: { request: ['x-tenant'] },
      }),
    )
    app.get('/healthz', (_req, res) => {
      res.send('ok')
    })
    app.get('/assets/:file', (_req, res) => {
      res.send('asset')
    })
    app.get('/users/:id', (_req, res) => {
      res.send('user')
    })
    const server = await listen(app)
    try {
      await request(`${server.url}/healthz`)
      await request(`${server.url}/assets/logo.png`)
      await request(`${server.url}/users/3?x=1`, { headers: { 'x-tenant': 'acme' } })
    } finally {
      await server.close()
    }
    await eventually(() => expect(serverSpans(tracing.exporter)).toHaveLength(1))
    const span = serverSpans(tracing.exporter)[0]!
    expect(span.name).toBe('get /users/:id')
    expect(span.attributes.hooked).toBe(true)
    expect(span.attributes['http.request.header.x-tenant']).toEqual(['acme'])
    expect(span.attributes['url.path']).toBe('/users/3')
    expect(span.attributes['url.query']).toBe('x=1')
  })
})

/** A reader the test collects from on demand. */
class CollectingReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve()
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve()
  }
}

describe.each(EXPRESS_VERSIONS)('metrics (%s)', (_label, express) => {
  it('records the request duration under the route template through the meterProvider option', async () => {
    const reader = new CollectingReader()
    const meterProvider = new MeterProvider({ readers: [reader] })
    const app = express()
    app.use(traceMiddleware({ tracerProvider: tracing.provider, meterProvider }))
    const router = express.Router()
    router.get('/:id', (_req, res) => {
      res.send('ok')
    })
    app.use('/orders', router)
    const server = await listen(app)
    try {
      await request(`${server.url}/orders/1`)
      await request(`${server.url}/orders/2`)
    } finally {
      await server.close()
    }
    await eventually(() => expect(serverSpans(tracing.exporter)).toHaveLength(2))
    const { resourceMetrics } = await reader.collect()
    const metrics = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics)
    const duration = metrics.find(
      (m) => m.descriptor.name === 'http.server.request.duration',
    ) as HistogramMetricData
    expect(duration).toBeDefined()
    const points = duration.dataPoints.filter((p) => p.attributes['http.route'] === '/orders/:id')
    expect(points).toHaveLength(1)
    expect(points[0]!.value.count).toBe(2)
    expect(points[0]!.attributes['http.response.status_code']).toBe(200)
    await meterProvider.shutdown()
  })
})
