import { SpanStatusCode } from '@opentelemetry/api'
import { traceErrors, traceMiddleware } from '@tracehop/express'
import type { NextFunction, Request, Response } from 'express'
import {
  EXPRESS_VERSIONS,
  eventually,
  listen,
  request,
  serverSpans,
  useTracing,
} from './helpers.js'

const tracing = useTracing()

class PaymentDeclined extends Error {}

describe.each(EXPRESS_VERSIONS)('traceErrors() (%s)', (label, express) => {
  let server: Awaited<ReturnType<typeof listen>>
  const handed: unknown[] = []
  const raised: Record<string, unknown> = {}

  beforeAll(async () => {
    const app = express()
    app.use(traceMiddleware({ tracerProvider: tracing.provider, metrics: false }))
    app.get('/next', (_req, _res, next) => {
      raised.next = new PaymentDeclined('card declined')
      next(raised.next)
    })
    app.get('/throw', () => {
      raised.throw = new TypeError('bad input')
      throw raised.throw
    })
    app.get('/missing', (_req, _res, next) => {
      raised.missing = Object.assign(new Error('no such order'), { status: 404 })
      next(raised.missing)
    })
    if (label === 'express 5') {
      app.get('/async', async () => {
        await Promise.resolve()
        raised.async = new RangeError('out of range')
        throw raised.async
      })
    }
    const api = express.Router()
    api.get('/twice', (_req, _res, next) => {
      raised.twice = new Error('seen by two traceErrors()')
      next(raised.twice)
    })
    api.use(traceErrors())
    app.use('/api', api)
    app.use(traceErrors())
    // four parameters: Express only calls error handlers declared with four
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      handed.push(error)
      const status = (error as { status?: number }).status ?? 500
      res.status(status).send('handled')
    })
    server = await listen(app)
  })
  afterAll(() => server.close())
  beforeEach(() => (handed.length = 0))

  async function spanOf(path: string, expectedStatus: number) {
    const reply = await request(server.url + path)
    expect(reply.status).toBe(expectedStatus)
    expect(reply.body).toBe('handled')
    await eventually(() => expect(serverSpans(tracing.exporter)).toHaveLength(1))
    return serverSpans(tracing.exporter)[0]!
  }

  it('records an error passed to next(err) and passes the same error on', async () => {
    const span = await spanOf('/next', 500)
    expect(handed).toEqual([raised.next])
    expect(handed[0]).toBe(raised.next)
    expect(span.status.code).toBe(SpanStatusCode.ERROR)
    expect(span.attributes['error.type']).toBe('500')
    const events = span.events.filter((event) => event.name === 'exception')
    expect(events).toHaveLength(1)
    expect(events[0]!.attributes?.['exception.message']).toBe('card declined')
  })

  it('records an error thrown by a handler', async () => {
    const span = await spanOf('/throw', 500)
    expect(handed[0]).toBe(raised.throw)
    expect(span.status.code).toBe(SpanStatusCode.ERROR)
    expect(span.events.map((e) => e.attributes?.['exception.type'])).toEqual(['TypeError'])
  })

  it('records an error with a 4xx status without marking the span as an error', async () => {
    const span = await spanOf('/missing', 404)
    expect(handed[0]).toBe(raised.missing)
    expect(span.status.code).toBe(SpanStatusCode.UNSET)
    expect(span.attributes['error.type']).toBeUndefined()
    expect(span.attributes['http.response.status_code']).toBe(404)
    expect(span.events.filter((e) => e.name === 'exception')).toHaveLength(1)
  })

  it('records an error once when it passes two traceErrors()', async () => {
    const span = await spanOf('/api/twice', 500)
    expect(handed[0]).toBe(raised.twice)
    expect(span.events.filter((e) => e.name === 'exception')).toHaveLength(1)
    expect(span.name).toBe('GET /api/twice')
  })

  if (label === 'express 5') {
    it('records the rejection of an async handler', async () => {
      const span = await spanOf('/async', 500)
      expect(handed[0]).toBe(raised.async)
      expect(span.events.map((e) => e.attributes?.['exception.type'])).toEqual(['RangeError'])
    })
  }
})
