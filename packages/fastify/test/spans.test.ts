import { SpanStatusCode } from '@opentelemetry/api'
import type { FastifyInstance } from 'fastify'
import { tracingPlugin } from '@tracehop/fastify'
import { FASTIFY_VERSIONS, listen, newTraceparent, useTracing } from './helpers.js'

const tracing = useTracing()

class TeapotError extends Error {
  statusCode = 418
}

describe.each(FASTIFY_VERSIONS)('$name: the server span', ({ create }) => {
  let app: FastifyInstance
  let base: string

  beforeAll(async () => {
    app = create()
    await app.register(tracingPlugin, {
      tracerProvider: tracing.provider,
      ignore: ['/healthz', '/internal/jobs/:id'],
    })
    app.get('/healthz', async () => 'ok')
    app.get('/users/:id', async (request) => ({ id: (request.params as { id: string }).id }))
    app.get('/untraced', { config: { tracing: false } }, async () => 'quiet')
    app.get(
      '/renamed',
      { config: { tracing: { spanName: ({ method }) => `${method} renamed by route` } } },
      async () => 'renamed',
    )
    await app.register(
      async (api) => {
        await api.register(
          async (v1) => {
            v1.get('/orders/:orderId', async () => ({ ok: true }))
            v1.get('/jobs/:id', async () => 'job')
          },
          { prefix: '/v1' },
        )
      },
      { prefix: '/api' },
    )
    await app.register(async (internal) => internal.get('/jobs/:id', async () => 'hidden'), {
      prefix: '/internal',
    })
    app.post(
      '/validated',
      {
        schema: {
          body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
        },
      },
      async () => 'valid',
    )
    app.get('/throws', async () => {
      throw new Error('database down')
    })
    app.get('/send-error', (_request, reply) => {
      reply.code(503).send(new Error('overloaded'))
    })
    app.get('/teapot', async () => {
      throw new TeapotError('short and stout')
    })
    app.get('/forbidden', async (_request, reply) => reply.code(403).send({ message: 'no' }))
    base = await listen(app)
  })

  afterAll(() => app.close())

  it('is named after the route template, with the prefixes of the plugins it is registered in', async () => {
    const { traceparent, traceId, parentId } = newTraceparent()
    const response = await fetch(`${base}/api/v1/orders/42?expand=items`, {
      headers: { traceparent },
    })
    expect(response.status).toBe(200)
    const [span] = await tracing.waitForSpans(1)
    expect(span!.name).toBe('GET /api/v1/orders/:orderId')
    expect(span!.kind).toBe(1)
    expect(span!.spanContext().traceId).toBe(traceId)
    expect(span!.parentSpanContext?.spanId).toBe(parentId)
    expect(span!.attributes).toMatchObject({
      'http.route': '/api/v1/orders/:orderId',
      'http.request.method': 'GET',
      'url.path': '/api/v1/orders/42',
      'url.query': 'expand=items',
      'http.response.status_code': 200,
    })
    expect(span!.status.code).toBe(SpanStatusCode.UNSET)
  })

  it('names a request no route matched by its method alone', async () => {
    const response = await fetch(`${base}/nowhere/to/be/found`)
    expect(response.status).toBe(404)
    const [span] = await tracing.waitForSpans(1)
    expect(span!.name).toBe('GET')
    expect(span!.attributes['http.route']).toBeUndefined()
    expect(span!.attributes['http.response.status_code']).toBe(404)
    expect(span!.status.code).toBe(SpanStatusCode.UNSET)
  })

  it('skips requests matching an ignore rule, by path or by route template', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200)
    expect((await fetch(`${base}/internal/jobs/9`)).status).toBe(200)
    // a route with the same shape under another prefix is traced
    expect((await fetch(`${base}/api/v1/jobs/9`)).status).toBe(200)
    const spans = await tracing.waitForSpans(1)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(tracing.spans().map((span) => span.name)).toEqual(['GET /api/v1/jobs/:id'])
    expect(spans).toHaveLength(1)
  })

  it('leaves a route with config.tracing false untraced', async () => {
    expect(await (await fetch(`${base}/untraced`)).text()).toBe('quiet')
    expect((await fetch(`${base}/users/1`)).status).toBe(200)
    await tracing.waitForSpans(1)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(tracing.spans().map((span) => span.name)).toEqual(['GET /users/:id'])
  })

  it('applies per-route options over the plugin options', async () => {
    expect((await fetch(`${base}/renamed`)).status).toBe(200)
    const [span] = await tracing.waitForSpans(1)
    expect(span!.name).toBe('GET renamed by route')
  })

  it('marks a thrown error ERROR and records the exception', async () => {
    expect((await fetch(`${base}/throws`)).status).toBe(500)
    const [span] = await tracing.waitForSpans(1)
    expect(span!.name).toBe('GET /throws')
    expect(span!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'database down' })
    expect(span!.attributes['http.response.status_code']).toBe(500)
    expect(span!.attributes['error.type']).toBe('500')
    const exception = span!.events.find((event) => event.name === 'exception')
    expect(exception?.attributes?.['exception.message']).toBe('database down')
  })

  it('marks reply.send(err) with a 5xx status ERROR', async () => {
    expect((await fetch(`${base}/send-error`)).status).toBe(503)
    const [span] = await tracing.waitForSpans(1)
    expect(span!.status.code).toBe(SpanStatusCode.ERROR)
    expect(span!.attributes['http.response.status_code']).toBe(503)
    expect(span!.events.some((event) => event.name === 'exception')).toBe(true)
  })

  it.each([
    [
      'a validation error',
      '/validated',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' },
      400,
    ],
    ['an error carrying a 4xx status', '/teapot', {}, 418],
    ['reply.code(403)', '/forbidden', {}, 403],
  ])('does not mark %s ERROR', async (_label, path, init, status) => {
    expect((await fetch(`${base}${path}`, init)).status).toBe(status)
    const [span] = await tracing.waitForSpans(1)
    expect(span!.attributes['http.response.status_code']).toBe(status)
    expect(span!.status.code).toBe(SpanStatusCode.UNSET)
    expect(span!.attributes['error.type']).toBeUndefined()
  })
})
