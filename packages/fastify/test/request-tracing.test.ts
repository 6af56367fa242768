import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import type { FastifyInstance } from 'fastify'
import { setRequestAttributes, setRequestBaggage } from '@tracehop/core'
import { tracingPlugin } from '@tracehop/fastify'
import { FASTIFY_VERSIONS, listen, logSink, newTraceparent, useTracing } from './helpers.js'

const tracing = useTracing()

describe.each(FASTIFY_VERSIONS)('$name: request.tracing and log correlation', ({ create }) => {
  let app: FastifyInstance
  let base: string
  const sink = logSink()

  beforeAll(async () => {
    app = create({ logger: { level: 'info', stream: sink.stream } })
    await app.register(tracingPlugin, { tracerProvider: tracing.provider })
    app.addHook('preHandler', async (request) => {
      if (request.url.startsWith('/baggage')) {
        setRequestBaggage(request.raw, { 'tenant.id': 'acme' })
        setRequestAttributes(request.raw, { 'enduser.id': 'u-1' })
      }
    })
    app.get('/inspect', async (request) => {
      request.log.info('inside the handler')
      const { tracing: t } = request
      return {
        traced: t.traced,
        traceId: t.traceId,
        spanId: t.spanId,
        spanIsActive: trace.getActiveSpan() === t.span,
        contextHasSpan: trace.getSpan(t.context) === t.span,
        // bound to the request's context wherever it is called from
        injected: context.with(ROOT_CONTEXT, () => t.inject({ accept: 'application/json' })),
      }
    })
    app.get('/baggage', async (request) => ({
      active: propagation.getBaggage(context.active())?.getEntry('tenant.id')?.value,
      injected: request.tracing.inject(),
    }))
    app.get('/untraced', { config: { tracing: false } }, async (request) => {
      request.log.info('untraced handler')
      return {
        traced: request.tracing.traced,
        traceId: request.tracing.traceId,
        injected: request.tracing.inject(),
      }
    })
    base = await listen(app)
  })

  afterAll(() => app.close())

  it('gives the span, context, ids and an inject bound to the request context', async () => {
    const { traceparent, traceId } = newTraceparent()
    const body = (await (
      await fetch(`${base}/inspect`, { headers: { traceparent } })
    ).json()) as Record<string, unknown>
    const [span] = await tracing.waitForSpans(1)
    const spanId = span!.spanContext().spanId
    expect(body).toEqual({
      traced: true,
      traceId,
      spanId,
      spanIsActive: true,
      contextHasSpan: true,
      injected: { accept: 'application/json', traceparent: `00-${traceId}-${spanId}-01` },
    })
  })

  it('binds trace_id and span_id into request.log', async () => {
    const { traceparent, traceId } = newTraceparent()
    await (await fetch(`${base}/inspect`, { headers: { traceparent } })).text()
    const [span] = await tracing.waitForSpans(1)
    const mine = sink.lines.filter((line) => line.trace_id === traceId)
    expect(mine.map((line) => line.msg)).toEqual(
      expect.arrayContaining(['inside the handler', 'request completed']),
    )
    for (const line of mine) expect(line.span_id).toBe(span!.spanContext().spanId)
  })

  it('lets a hook add baggage and attributes that later steps and outgoing headers see', async () => {
    const body = (await (await fetch(`${base}/baggage`)).json()) as {
      active: string
      injected: Record<string, string>
    }
    expect(body.active).toBe('acme')
    expect(body.injected.baggage).toBe('tenant.id=acme')
    const [span] = await tracing.waitForSpans(1)
    expect(span!.attributes['enduser.id']).toBe('u-1')
  })

  it('is a harmless stand-in on an untraced route', async () => {
    const body = (await (await fetch(`${base}/untraced`)).json()) as Record<string, unknown>
    expect(body).toEqual({ traced: false, traceId: '', injected: {} })
    expect(sink.lines.find((line) => line.msg === 'untraced handler')).not.toHaveProperty(
      'trace_id',
    )
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(tracing.spans()).toHaveLength(0)
  })
})

describe.each(FASTIFY_VERSIONS)('$name: logCorrelation false', ({ create }) => {
  it('leaves request.log as Fastify made it', async () => {
    const sink = logSink()
    const app = create({ logger: { level: 'info', stream: sink.stream } })
    await app.register(tracingPlugin, { tracerProvider: tracing.provider, logCorrelation: false })
    app.get('/', async (request) => {
      request.log.info('plain')
      return request.tracing.traceId
    })
    const base = await listen(app)
    try {
      const traceId = await (await fetch(base)).text()
      expect(traceId).toMatch(/^[0-9a-f]{32}$/)
      const line = sink.lines.find((l) => l.msg === 'plain')
      expect(line).toBeDefined()
      expect(line).not.toHaveProperty('trace_id')
    } finally {
      await app.close()
    }
  })
})
