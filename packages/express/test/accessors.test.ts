import { context, trace } from '@opentelemetry/api'
import { REQUEST_TRACE_KEY } from '@tracehop/core'
import {
  getRequestContext,
  getRequestSpan,
  logFields,
  traceMiddleware,
  tryGetRequestContext,
  tryGetRequestSpan,
} from '@tracehop/express'
import {
  EXPRESS_VERSIONS,
  eventually,
  listen,
  newTraceparent,
  request,
  serverSpans,
  useTracing,
} from './helpers.js'

const tracing = useTracing()

describe.each(EXPRESS_VERSIONS)('request accessors (%s)', (_label, express) => {
  let server: Awaited<ReturnType<typeof listen>>

  beforeAll(async () => {
    const app = express()
    app.use(
      traceMiddleware({ tracerProvider: tracing.provider, metrics: false, ignore: ['/healthz'] }),
    )
    const describeRequest = (req: Parameters<typeof getRequestSpan>[0]) => {
      let thrown: string | undefined
      try {
        getRequestSpan(req)
      } catch (error) {
        thrown = (error as Error).message
      }
      let thrownContext: string | undefined
      try {
        getRequestContext(req)
      } catch (error) {
        thrownContext = (error as Error).message
      }
      const span = tryGetRequestSpan(req)
      const ctx = tryGetRequestContext(req)
      return {
        spanId: span?.spanContext().spanId,
        contextSpanId: ctx === undefined ? undefined : trace.getSpan(ctx)?.spanContext().spanId,
        activeIsRequestContext: ctx !== undefined && trace.getSpan(context.active()) === span,
        thrown,
        thrownContext,
        fields: { ...logFields(req) },
      }
    }
    app.get('/orders/:id', (req, res) => {
      res.json(describeRequest(req))
    })
    app.get('/healthz', (req, res) => {
      res.json(describeRequest(req))
    })
    server = await listen(app)
  })
  afterAll(() => server.close())

  it('gives handlers the request span, context and log fields', async () => {
    const { traceparent, traceId } = newTraceparent()
    const reply = await request(`${server.url}/orders/1`, { headers: { traceparent } })
    const body = JSON.parse(reply.body) as Record<string, unknown>
    await eventually(() => expect(serverSpans(tracing.exporter)).toHaveLength(1))
    const spanId = serverSpans(tracing.exporter)[0]!.spanContext().spanId
    expect(body).toEqual({
      spanId,
      contextSpanId: spanId,
      activeIsRequestContext: true,
      fields: { trace_id: traceId, span_id: spanId, trace_flags: '01' },
    })
  })

  it('returns undefined / throws / an empty object for a request that is not traced', async () => {
    const reply = await request(`${server.url}/healthz`)
    const body = JSON.parse(reply.body) as Record<string, unknown>
    expect(body).toEqual({
      activeIsRequestContext: false,
      fields: {},
      thrown:
        '@tracehop/express: this request is not traced: traceMiddleware() did not run before this handler, or the request matched an "ignore" rule',
      thrownContext:
        '@tracehop/express: this request is not traced: traceMiddleware() did not run before this handler, or the request matched an "ignore" rule',
    })
    expect(serverSpans(tracing.exporter)).toHaveLength(0)
  })
})

describe.each(EXPRESS_VERSIONS)('the trace slot on the request (%s)', (_label, express) => {
  it('is on every request before Express re-prototypes it, and holds the trace once traced', async () => {
    const app = express()
    app.use(
      traceMiddleware({ tracerProvider: tracing.provider, metrics: false, ignore: ['/healthz'] }),
    )
    app.get(['/orders/:id', '/healthz'], (req, res) => {
      res.json({ spanId: tryGetRequestSpan(req)?.spanContext().spanId })
    })
    const beforeExpress: boolean[] = []
    // what runs before Express: the server's own request listener
    const server = await listen((req, res) => {
      beforeExpress.push(Object.prototype.hasOwnProperty.call(req, REQUEST_TRACE_KEY))
      app(req, res)
    })
    try {
      // the middleware reserves the slot when it is made: the first request already has it
      const traced = JSON.parse((await request(`${server.url}/orders/1`)).body) as {
        spanId?: string
      }
      const ignored = JSON.parse((await request(`${server.url}/healthz`)).body) as {
        spanId?: string
      }
      expect(beforeExpress).toEqual([true, true])
      await eventually(() => expect(serverSpans(tracing.exporter)).toHaveLength(1))
      expect(traced.spanId).toBe(serverSpans(tracing.exporter)[0]!.spanContext().spanId)
      expect(ignored.spanId).toBeUndefined()
    } finally {
      await server.close()
    }
  })
})
