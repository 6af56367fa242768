import { context, propagation } from '@opentelemetry/api'
import {
  setRequestAttributes,
  setRequestBaggage,
  traceMiddleware,
  type TraceMiddlewareOptions,
} from '@tracehop/express'
import type { NextFunction, Request, Response } from 'express'
import { startCallbackPool } from '../../../test-utils/callback-pool.js'
import http from 'node:http'
import {
  activeIds,
  captureDiag,
  EXPRESS_VERSIONS,
  eventually,
  listen,
  newTraceparent,
  request,
  serverSpans,
  useTracing,
  sleep,
} from './helpers.js'

const tracing = useTracing()

// A "callback pool" made at startup, outside every request: callbacks queued on it run from its
// own timer, in the context the timer was created in (none), like an old driver's pool.
const pool = startCallbackPool()
afterAll(() => pool.stop())

/** Where a callback of the pool runs: used to prove the pool really loses the context. */
let seenInPool: ReturnType<typeof activeIds> | 'unset' = 'unset'

function breakContext(_req: Request, _res: Response, next: NextFunction): void {
  pool.later(() => {
    seenInPool = activeIds()
    next()
  })
}

const options: TraceMiddlewareOptions = { tracerProvider: tracing.provider, metrics: false }

describe.each(EXPRESS_VERSIONS)('context re-anchoring (%s)', (_label, express) => {
  function app(extra: TraceMiddlewareOptions = {}) {
    const created = express()
    created.use(traceMiddleware({ ...options, ...extra }))
    return created
  }

  it('gives the handler and every later middleware the request span after a context-breaking middleware', async () => {
    const seen: Record<string, ReturnType<typeof activeIds>> = {}
    const a = app()
    a.use(breakContext)
    a.use((_req, _res, next) => {
      seen.after = activeIds()
      next()
    })
    const router = express.Router()
    router.use(breakContext)
    router.get('/:id', (_req, res) => {
      seen.handler = activeIds()
      res.send('ok')
    })
    a.use('/things', router)
    const server = await listen(a)
    const { traceparent, traceId, parentId } = newTraceparent()
    try {
      seenInPool = 'unset'
      const reply = await request(`${server.url}/things/1`, { headers: { traceparent } })
      expect(reply.status).toBe(200)
    } finally {
      await server.close()
    }
    // the pool really lost the context: without re-anchoring the handler would see no span
    expect(seenInPool).toBeUndefined()
    await eventually(() => expect(serverSpans(tracing.exporter)).toHaveLength(1))
    const span = serverSpans(tracing.exporter)[0]!
    expect(span.spanContext().traceId).toBe(traceId)
    expect(span.parentSpanContext?.spanId).toBe(parentId)
    const expected = { traceId, spanId: span.spanContext().spanId }
    expect(seen.after).toEqual(expected)
    expect(seen.handler).toEqual(expected)
  })

  it('runs app.param() and router.param() callbacks in the request context after a context-breaking middleware', async () => {
    const seen: Record<string, ReturnType<typeof activeIds>> = {}
    const a = app()
    a.use(breakContext)
    a.param('user', (_req, _res, next) => {
      seen.appParam = activeIds()
      next()
    })
    const router = express.Router()
    router.param('item', (_req, _res, next) => {
      seen.routerParam = activeIds()
      next()
    })
    router.use(breakContext)
    router.get('/items/:item', (_req, res) => {
      seen.handler = activeIds()
      res.send('ok')
    })
    a.use('/users/:user', router)
    const server = await listen(a)
    try {
      expect((await request(`${server.url}/users/ada/items/3`)).body).toBe('ok')
    } finally {
      await server.close()
    }
    await eventually(() => expect(serverSpans(tracing.exporter)).toHaveLength(1))
    const span = serverSpans(tracing.exporter)[0]!
    const expected = { traceId: span.spanContext().traceId, spanId: span.spanContext().spanId }
    expect(seen).toEqual({ appParam: expected, routerParam: expected, handler: expected })
    expect(span.name).toBe('GET /users/:user/items/:item')
  })

  it('re-anchors inside a mounted sub-app from its first request on', async () => {
    let handlerSaw: ReturnType<typeof activeIds>
    const a = app()
    const admin = express()
    admin.use(breakContext)
    admin.get('/users/:id', (req, res) => {
      handlerSaw = activeIds()
      res.json({ locals: typeof res.locals, app: req.app === admin })
    })
    a.use('/admin', admin)
    const server = await listen(a)
    try {
      const reply = await request(`${server.url}/admin/users/1`)
      // Express still sees its own res.locals and req.app
      expect(JSON.parse(reply.body)).toEqual({ locals: 'object', app: true })
    } finally {
      await server.close()
    }
    await eventually(() => expect(serverSpans(tracing.exporter)).toHaveLength(1))
    const span = serverSpans(tracing.exporter)[0]!
    expect(span.name).toBe('GET /admin/users/:id')
    expect(handlerSaw!).toEqual({
      traceId: span.spanContext().traceId,
      spanId: span.spanContext().spanId,
    })
  })

  it('names the middleware that lost the context, once per layer', async () => {
    const captured = captureDiag()
    try {
      const a = app({ lostContextDiagnostics: true })
      const router = express.Router()
      router.use(breakContext)
      router.get('/:id', (_req, res) => {
        res.send('ok')
      })
      a.use('/api', router)
      const server = await listen(a)
      try {
        for (let i = 0; i < 3; i++) await request(`${server.url}/api/${i}`)
      } finally {
        await server.close()
      }
      const lost = captured.warnings.filter((message) => message.includes('outside its request'))
      expect(lost).toHaveLength(1)
      expect(lost[0]).toContain('"breakContext" (/api)')
      expect(lost[0]).toContain('(/api/:id)')
      expect(lost[0]).toMatch(/^@tracehop\/express: /)
      // core's single format, shared with @tracehop/fastify; the route layer's own name differs
      // between Express 4 and 5
      expect(lost[0]).toMatch(
        /^@tracehop\/express: layer "[^"]+" \(\/api\/:id\) was entered outside its request's context; the step that ran before it, "breakContext" \(\/api\), continued from a callback that lost AsyncLocalStorage \(a callback pool, an emitter or a stream created outside the request\)\. tracehop re-entered the request's context\. Reported once per layer\.$/,
      )
    } finally {
      captured.restore()
    }
  })

  it('reports nothing when lostContextDiagnostics is false, and still re-anchors', async () => {
    const captured = captureDiag()
    let handlerSaw: ReturnType<typeof activeIds>
    try {
      const a = app({ lostContextDiagnostics: false })
      a.use(breakContext)
      a.get('/x', (_req, res) => {
        handlerSaw = activeIds()
        res.send('ok')
      })
      const server = await listen(a)
      try {
        await request(`${server.url}/x`)
      } finally {
        await server.close()
      }
      expect(captured.warnings.filter((m) => m.includes('outside its request'))).toEqual([])
    } finally {
      captured.restore()
    }
    await eventually(() => expect(serverSpans(tracing.exporter)).toHaveLength(1))
    expect(handlerSaw!.spanId).toBe(serverSpans(tracing.exporter)[0]!.spanContext().spanId)
  })

  it('lets middleware add baggage and attributes that later layers and outgoing calls see', async () => {
    let outgoing: Record<string, string> = {}
    let tenant: string | undefined
    const a = app()
    a.use((req, _res, next) => {
      setRequestBaggage(req, { tenant: 'acme' })
      setRequestAttributes(req, { 'enduser.id': 'u-1' })
      next()
    })
    a.use(breakContext)
    a.get('/x', (_req, res) => {
      tenant = propagation.getBaggage(context.active())?.getEntry('tenant')?.value
      outgoing = {}
      propagation.inject(context.active(), outgoing)
      res.send('ok')
    })
    const server = await listen(a)
    try {
      await request(`${server.url}/x`)
    } finally {
      await server.close()
    }
    expect(tenant).toBe('acme')
    await eventually(() => expect(serverSpans(tracing.exporter)).toHaveLength(1))
    const span = serverSpans(tracing.exporter)[0]!
    expect(span.attributes['enduser.id']).toBe('u-1')
    expect(outgoing.baggage).toBe('tenant=acme')
    expect(outgoing.traceparent).toContain(span.spanContext().spanId)
  })

  it('keeps 500 concurrent requests with random delays apart', async () => {
    const a = app()
    a.use(async (_req, _res, next) => {
      await sleep(Math.random() * 15)
      next()
    })
    a.use(breakContext)
    a.use((_req, _res, next) => {
      setTimeout(next, Math.random() * 10)
    })
    a.get('/work/:n', (req, res) => {
      const before = activeIds()
      setTimeout(() => res.json({ before, after: activeIds(), n: req.params.n }), Math.random() * 5)
    })
    const server = await listen(a)
    const agent = new http.Agent({ keepAlive: true, maxSockets: 100 })
    const sent = Array.from({ length: 500 }, () => newTraceparent())
    try {
      const replies = await Promise.all(
        sent.map((ids, n) =>
          request(`${server.url}/work/${n}`, { headers: { traceparent: ids.traceparent }, agent }),
        ),
      )
      replies.forEach((reply, n) => {
        const body = JSON.parse(reply.body) as {
          before: { traceId: string }
          after: { traceId: string }
          n: string
        }
        expect(body.n).toBe(String(n))
        expect(body.before.traceId).toBe(sent[n]!.traceId)
        expect(body.after.traceId).toBe(sent[n]!.traceId)
      })
    } finally {
      agent.destroy()
      await server.close()
    }
    await eventually(() => expect(serverSpans(tracing.exporter)).toHaveLength(500))
    const byTrace = new Map(serverSpans(tracing.exporter).map((s) => [s.spanContext().traceId, s]))
    expect(byTrace.size).toBe(500)
    for (const ids of sent) {
      const span = byTrace.get(ids.traceId)!
      expect(span.parentSpanContext?.spanId).toBe(ids.parentId)
      expect(span.name).toBe('GET /work/:n')
    }
  })
})
