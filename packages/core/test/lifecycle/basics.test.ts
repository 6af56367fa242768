import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { getRequestTrace, traceHandler, tryGetRequestTrace } from '../../src/index.js'
import { listen, request, setupTracing, waitForSpans } from '../support/tracing.js'

describe('traceHandler basics', () => {
  let tracing: ReturnType<typeof setupTracing>
  beforeEach(() => {
    tracing = setupTracing()
  })
  afterEach(async () => {
    await tracing.teardown()
  })

  it('opens one SERVER span named after the method and runs the handler in its context', async () => {
    let seenTraceId: string | undefined
    let seenSame = false
    const app = await listen(
      traceHandler(
        (req, res) => {
          const requestTrace = getRequestTrace(req)
          seenTraceId = trace.getActiveSpan()?.spanContext().traceId
          seenSame = trace.getSpan(context.active()) === requestTrace.span
          res.end('ok')
        },
        { tracerProvider: tracing.provider },
      ),
    )
    try {
      const reply = await request(`${app.url}/orders/7?x=1`)
      expect(reply.status).toBe(200)
      const [span] = await waitForSpans(tracing.exporter, 1)
      expect(span?.name).toBe('GET')
      expect(span?.kind).toBe(SpanKind.SERVER)
      expect(span?.status.code).toBe(SpanStatusCode.UNSET)
      expect(span?.attributes['url.path']).toBe('/orders/7')
      expect(span?.attributes['url.query']).toBe('x=1')
      expect(span?.attributes['http.response.status_code']).toBe(200)
      expect(seenTraceId).toBe(span?.spanContext().traceId)
      expect(seenSame).toBe(true)
    } finally {
      await app.close()
    }
  })

  it('tryGetRequestTrace is undefined and getRequestTrace throws for an untraced request', async () => {
    let tried: unknown = 'unset'
    let thrown: unknown
    const app = await listen(
      traceHandler(
        (req, res) => {
          tried = tryGetRequestTrace(req)
          try {
            getRequestTrace(req)
          } catch (error) {
            thrown = error
          }
          res.end()
        },
        { tracerProvider: tracing.provider, ignore: '/healthz' },
      ),
    )
    try {
      await request(`${app.url}/healthz`)
      expect(tried).toBeUndefined()
      expect((thrown as Error).message).toBe(
        '@tracehop/core: this request is not traced: no tracehop adapter started a trace for it, or it matched an "ignore" rule',
      )
      expect(tracing.exporter.getFinishedSpans()).toHaveLength(0)
    } finally {
      await app.close()
    }
  })
})
