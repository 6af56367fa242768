import { trace } from '@opentelemetry/api'
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http'
import type { FastifyInstance } from 'fastify'
import { tracingPlugin } from '@tracehop/fastify'
import http from 'node:http'
import { FASTIFY_VERSIONS, listen, newTraceparent, setupTracing } from './helpers.js'

const tracing = setupTracing()
const instrumentation = new HttpInstrumentation()
instrumentation.setTracerProvider(tracing.provider)
instrumentation.enable()
// instrumentation-http patches `http` from a require hook; Jest gives test code its own module
// registry, so that hook never sees `require('http')` here. Apply the very patch the hook applies
// (the module definition's `patch`) to the real `node:http`, and undo it with the same definition:
// from 0.301 `getModuleDefinitions()` builds new objects, so `disable()` never sees this patch, and
// a patched `node:http` would outlive this file in the Jest worker.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const realHttp = require('node:http') as typeof http
const definitions = instrumentation.getModuleDefinitions().filter((d) => d.name === 'http')
for (const definition of definitions) definition.patch?.(realHttp)

afterEach(() => tracing.reset())
afterAll(async () => {
  for (const definition of definitions) definition.unpatch?.(realHttp)
  instrumentation.disable()
  await tracing.shutdown()
})

describe.each(FASTIFY_VERSIONS)('$name with @opentelemetry/instrumentation-http', ({ create }) => {
  let app: FastifyInstance
  let base: string

  beforeAll(async () => {
    app = create()
    await app.register(tracingPlugin, { tracerProvider: tracing.provider, metrics: false })
    await app.register(
      async (api) => {
        api.get('/orders/:id', async () => ({
          spanId: trace.getActiveSpan()?.spanContext().spanId,
        }))
        api.post('/orders', async (request) => ({
          body: request.body,
          spanId: trace.getActiveSpan()?.spanContext().spanId,
        }))
        api.get('/fail', async () => {
          throw new Error('kaput')
        })
      },
      { prefix: '/api' },
    )
    base = await listen(app)
  })

  afterAll(() => app.close())

  it('is really hooked into node:http', () => {
    expect(http.Server.prototype.emit).toHaveProperty('__wrapped', true)
  })

  it('enriches the one SERVER span instrumentation-http opened: route, name, context in the handler', async () => {
    const { traceparent, traceId, parentId } = newTraceparent()
    // fetch (undici) is not patched by instrumentation-http: no CLIENT span, the traceparent arrives as sent
    const response = await fetch(`${base}/api/orders/5`, { headers: { traceparent } })
    const { spanId } = (await response.json()) as { spanId: string }
    await tracing.waitForSpans(1)
    await new Promise((resolve) => setTimeout(resolve, 30))
    const spans = tracing.spans()
    expect(spans).toHaveLength(1)
    const span = spans[0]!
    expect(span.instrumentationScope.name).toBe('@opentelemetry/instrumentation-http')
    expect(span.kind).toBe(1)
    expect(span.name).toBe('GET /api/orders/:id')
    expect(span.attributes['http.route']).toBe('/api/orders/:id')
    expect(span.spanContext().traceId).toBe(traceId)
    expect(span.parentSpanContext?.spanId).toBe(parentId)
    expect(spanId).toBe(span.spanContext().spanId)
  })

  it('makes one SERVER span for a POST with a body and for a failing request', async () => {
    const posted = await fetch(`${base}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sku: 'x' }),
    })
    const { spanId } = (await posted.json()) as { spanId: string }
    expect((await fetch(`${base}/api/fail`)).status).toBe(500)
    await tracing.waitForSpans(2)
    await new Promise((resolve) => setTimeout(resolve, 30))
    const spans = tracing.spans()
    expect(spans.map((span) => [span.name, span.instrumentationScope.name]).sort()).toEqual([
      ['GET /api/fail', '@opentelemetry/instrumentation-http'],
      ['POST /api/orders', '@opentelemetry/instrumentation-http'],
    ])
    const post = spans.find((span) => span.name === 'POST /api/orders')!
    expect(spanId).toBe(post.spanContext().spanId)
    const fail = spans.find((span) => span.name === 'GET /api/fail')!
    expect(fail.status.code).toBe(2)
    expect(fail.events.some((event) => event.name === 'exception')).toBe(true)
  })
})
