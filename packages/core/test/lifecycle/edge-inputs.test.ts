import { context, ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api'
import http from 'node:http'
import net from 'node:net'
import { createRequestLifecycle, tryGetRequestTrace, type TraceOptions } from '../../src/index.js'
import { captureDiag } from '../support/diag.js'
import { setupTracing } from '../support/tracing.js'

// Real node:http request/response objects on an unconnected socket: the edge inputs a framework
// or a proxy can hand over that a well-behaved client never sends.
function pair(init: {
  method?: string | undefined
  url?: string | undefined
  headers?: http.IncomingHttpHeaders
  encrypted?: boolean
}): { req: http.IncomingMessage; res: http.ServerResponse } {
  const socket = new net.Socket()
  if (init.encrypted === true) Object.assign(socket, { encrypted: true })
  const req = new http.IncomingMessage(socket)
  req.method = init.method as string
  req.url = init.url as string
  req.httpVersion = '1.1'
  req.headers = init.headers ?? {}
  const res = new http.ServerResponse(req)
  return { req, res }
}

function finish(res: http.ServerResponse, status = 200): void {
  res.statusCode = status
  Object.defineProperty(res, 'headersSent', { value: true })
  res.emit('finish')
}

describe('edge inputs to the lifecycle', () => {
  let tracing: ReturnType<typeof setupTracing>
  beforeEach(() => {
    tracing = setupTracing()
  })
  afterEach(async () => {
    await tracing.teardown()
  })

  function lifecycle(options: TraceOptions = {}) {
    return createRequestLifecycle(
      { tracerProvider: tracing.provider, ...options },
      '@tracehop/core',
    )
  }

  it('defaults a missing method and url, and reads https from an encrypted socket', () => {
    const { req, res } = pair({
      method: undefined,
      url: undefined,
      encrypted: true,
      headers: { host: 'a.example' },
    })
    lifecycle().start(req, res)
    finish(res)
    const [span] = tracing.exporter.getFinishedSpans()
    expect(span?.name).toBe('GET')
    expect(span?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/',
      'url.scheme': 'https',
      'server.address': 'a.example',
      'server.port': 443,
    })
  })

  it('survives odd forwarding and host headers', () => {
    const cases: [http.IncomingHttpHeaders, Record<string, unknown>][] = [
      [{ host: 'h:0' }, { 'server.address': 'h', 'server.port': 80 }],
      [{ host: 'h:70000' }, { 'server.address': 'h', 'server.port': 80 }],
      [{ host: 'h:123456' }, { 'server.address': 'h', 'server.port': 80 }],
      [{ host: ':8080' }, { 'server.address': undefined }],
      [{ host: '[::1]' }, { 'server.address': '::1', 'server.port': 80 }],
      [
        { host: 'h', 'x-forwarded-for': ' , 10.0.0.1', 'x-forwarded-proto': 'gopher' },
        { 'url.scheme': 'http' },
      ],
      [
        {
          host: 'h',
          'x-forwarded-for': ['198.51.100.7', '10.0.0.1'] as unknown as string,
          'x-forwarded-host': 'x.example',
        },
        { 'client.address': '198.51.100.7', 'server.address': 'x.example' },
      ],
      [{ host: 'h' }, { 'server.address': 'h', 'url.scheme': 'http' }],
    ]
    for (const [headers, expected] of cases) {
      tracing.exporter.reset()
      const { req, res } = pair({ method: 'GET', url: '/', headers })
      lifecycle({ trustProxy: true }).start(req, res)
      finish(res)
      const [span] = tracing.exporter.getFinishedSpans()
      for (const [key, value] of Object.entries(expected))
        expect([key, span?.attributes[key]]).toEqual([key, value])
    }
  })

  it('classifies string errors and explicit ends before any header', () => {
    const { req, res } = pair({ method: 'GET', url: '/' })
    const requestTrace = lifecycle({
      isError: (status, error) => status === undefined && error === 'boom',
    }).start(req, res)
    requestTrace?.recordError('boom')
    requestTrace?.end()
    const [span] = tracing.exporter.getFinishedSpans()
    expect(span?.status.code).toBe(SpanStatusCode.ERROR)
    expect(span?.attributes['error.type']).toBe('_OTHER')
    tracing.exporter.reset()

    const second = pair({ method: 'GET', url: '/' })
    const other = lifecycle({ isError: () => true }).start(second.req, second.res)
    other?.end()
    expect(tracing.exporter.getFinishedSpans()[0]?.attributes['error.type']).toBe('_OTHER')
    tracing.exporter.reset()

    const third = pair({ method: 'GET', url: '/' })
    lifecycle().start(third.req, third.res)?.recordError('plain')
    finish(third.res, 200)
    expect(tracing.exporter.getFinishedSpans()[0]?.status.code).toBe(SpanStatusCode.ERROR)
  })

  it('gives spanName the method and route, defaulting the method', () => {
    const seen: unknown[] = []
    const { req, res } = pair({ method: undefined, url: '/' })
    lifecycle({ spanName: ({ method, route }) => (seen.push(method, route), 'named') }).start(
      req,
      res,
      '/r',
    )
    finish(res)
    expect(seen).toEqual(['GET', '/r'])
    expect(tracing.exporter.getFinishedSpans()[0]?.name).toBe('named')
  })

  it('adopts an RPC-metadata span once, passing the route it knows, and not for another request', () => {
    const server = tracing.provider.getTracer('other').startSpan('GET')
    const rpc: { type: string; span: typeof server; route?: string } = {
      type: 'http',
      span: server,
    }
    const ctx = trace
      .setSpan(ROOT_CONTEXT, server)
      .setValue(Symbol.for('OpenTelemetry SDK Context Key RPC_METADATA'), rpc)
    const first = pair({ method: 'GET', url: '/users/1' })
    const second = pair({ method: 'GET', url: '/users/2' })
    const [a, b] = context.with(ctx, () => [
      lifecycle().start(first.req, first.res, '/users/:id'),
      lifecycle().start(second.req, second.res),
    ])
    expect(a?.adopted).toBe(true)
    expect(a?.span).toBe(server)
    expect(rpc.route).toBe('/users/:id')
    // the metadata belongs to the first request: the second gets its own span
    expect(b?.adopted).toBe(false)
    expect(b?.span).not.toBe(server)
    finish(first.res)
    finish(second.res)
    // the adopted span is ended by its owner, not by us
    expect(tracing.exporter.getFinishedSpans().map((s) => s.instrumentationScope.name)).toEqual([
      '@tracehop/core',
    ])
    server.end()
  })

  it('ends the span of a response that does not point back to its request, and of one that does', () => {
    // a framework may hand over a response whose `req` is its own wrapper, or none at all
    const detached = pair({ method: 'GET', url: '/detached' })
    Object.assign(detached.res, { req: undefined })
    const wrapped = pair({ method: 'GET', url: '/wrapped' })
    Object.assign(wrapped.res, { req: { ...wrapped.req } })
    const plain = pair({ method: 'GET', url: '/plain' })
    const engine = lifecycle()
    for (const { req, res } of [detached, wrapped, plain]) engine.start(req, res)
    finish(detached.res, 201)
    finish(wrapped.res, 202)
    plain.res.emit('close') // closed before it finished: an abort
    const byPath = new Map(
      tracing.exporter.getFinishedSpans().map((s) => [s.attributes['url.path'], s] as const),
    )
    expect(byPath.get('/detached')?.attributes['http.response.status_code']).toBe(201)
    expect(byPath.get('/wrapped')?.attributes['http.response.status_code']).toBe(202)
    expect(byPath.get('/plain')?.attributes['error.type']).toBe('aborted')
    expect(byPath.size).toBe(3)
  })

  it('an internal failure leaves the request untraced instead of throwing into the app', () => {
    const logged = captureDiag()
    try {
      const { req } = pair({ method: 'GET', url: '/' })
      expect(lifecycle().start(req, null as unknown as http.ServerResponse)).toBeUndefined()
      expect(tryGetRequestTrace(req)).toBeUndefined()
      expect(logged.messages[0]).toMatch(
        /^error @tracehop\/core: could not trace a request; it goes on untraced/,
      )
    } finally {
      logged.restore()
    }
  })
})
