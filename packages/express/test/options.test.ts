import { traceMiddleware, type TraceMiddlewareOptions } from '@tracehop/express'
import {
  EXPRESS_VERSIONS,
  eventually,
  listen,
  request,
  serverSpans,
  setupTracing,
} from './helpers.js'

const tracing = setupTracing()
afterEach(() => tracing.exporter.reset())
afterAll(() => tracing.teardown())

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
