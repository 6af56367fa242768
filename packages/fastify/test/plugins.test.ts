// Real plugins from npm in the chain (the majors made for each Fastify major), each followed by
// hooks that must still see the request's trace id.
import type { FastifyInstance, FastifyPluginCallback, FastifyRequest } from 'fastify'
import { tracingPlugin } from '@tracehop/fastify'
import cookie4 from 'fastify-cookie-v4'
import cookie5 from 'fastify-cookie-v5'
import formbody4 from 'fastify-formbody-v4'
import formbody5 from 'fastify-formbody-v5'
import jwt4 from 'fastify-jwt-v4'
import jwt5 from 'fastify-jwt-v5'
import multipart4 from 'fastify-multipart-v4'
import multipart5 from 'fastify-multipart-v5'
import rateLimit4 from 'fastify-rate-limit-v4'
import rateLimit5 from 'fastify-rate-limit-v5'
import session4 from 'fastify-session-v4'
import session5 from 'fastify-session-v5'
import { Redis } from 'ioredis'
import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import {
  activeTraceId,
  captureDiag,
  FASTIFY_VERSIONS,
  listen,
  newTraceparent,
  sendSlowly,
  useTracing,
} from './helpers.js'

// The plugins' own types target whichever Fastify their install resolved; the tests register
// them on both majors through the API both share.
type AnyPlugin = FastifyPluginCallback<Record<string, unknown>>
const plugins = {
  4: {
    jwt: jwt4,
    rateLimit: rateLimit4,
    multipart: multipart4,
    formbody: formbody4,
    cookie: cookie4,
    session: session4,
  },
  5: {
    jwt: jwt5,
    rateLimit: rateLimit5,
    multipart: multipart5,
    formbody: formbody5,
    cookie: cookie5,
    session: session5,
  },
} as unknown as Record<
  4 | 5,
  Record<'jwt' | 'rateLimit' | 'multipart' | 'formbody' | 'cookie' | 'session', AnyPlugin>
>

interface AuthRequest {
  jwtVerify(): Promise<{ sub: string }>
  session: { get(key: string): unknown; set(key: string, value: unknown): void }
  file(): Promise<{ filename: string; toBuffer(): Promise<Buffer> } | undefined>
}

const tracing = useTracing()

const LATER_STEPS = [
  'onRequest',
  'preParsing',
  'preValidation',
  'preHandler',
  'handler',
  'onSend',
] as const

describe.each(FASTIFY_VERSIONS)('$name with real plugins in the chain', ({ create, major }) => {
  let app: FastifyInstance
  let base: string
  let redis: Redis
  let timer: NodeJS.Timeout
  let diagnostics: ReturnType<typeof captureDiag>
  const nameSpace = `tracehop-fastify-test-${randomBytes(4).toString('hex')}-`
  const seen = new Map<string, Record<string, string>>()

  function record(request: FastifyRequest, step: string): void {
    const id = request.headers['x-test-id'] as string
    let steps = seen.get(id)
    if (steps === undefined) seen.set(id, (steps = {}))
    steps[step] = activeTraceId()
  }

  function expectTraceEverywhere(id: string, traceId: string, extra: string[] = []): void {
    const steps = seen.get(id)
    expect(steps).toBeDefined()
    for (const step of [...LATER_STEPS, ...extra])
      expect([step, steps![step]]).toEqual([step, traceId])
  }

  beforeAll(async () => {
    diagnostics = captureDiag()
    redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 })
    await redis.connect()
    // An old-style session store whose callbacks come from a timer made at startup (like a
    // callback-based client with its own queue): @fastify/session's hooks continue outside the request.
    const sessions = new Map<string, unknown>()
    const pool = new EventEmitter()
    pool.setMaxListeners(0)
    timer = setInterval(() => pool.emit('tick'), 2)
    const callbackStore = {
      get(id: string, callback: (error: unknown, session?: unknown) => void) {
        pool.once('tick', () => callback(null, sessions.get(id)))
      },
      set(id: string, session: unknown, callback: (error?: unknown) => void) {
        pool.once('tick', () => {
          sessions.set(id, JSON.parse(JSON.stringify(session)))
          callback()
        })
      },
      destroy(id: string, callback: (error?: unknown) => void) {
        pool.once('tick', () => {
          sessions.delete(id)
          callback()
        })
      },
    }

    const p = plugins[major]
    app = create()
    await app.register(tracingPlugin, { tracerProvider: tracing.provider })
    await app.register(p.rateLimit, { max: 10_000, timeWindow: 60_000, redis, nameSpace })
    await app.register(p.jwt, { secret: 'a-test-secret-that-is-long-enough' })
    await app.register(p.cookie)
    // a signer from the cookie plugin itself: @fastify/session would otherwise require
    // '@fastify/cookie' by name, which the npm aliases do not provide
    const { Signer } = p.cookie as unknown as { Signer: new (secret: string) => object }
    await app.register(p.session, {
      secret: new Signer('a-session-secret-of-at-least-32-characters'),
      cookie: { secure: false },
      saveUninitialized: false,
      store: callbackStore,
    })
    await app.register(p.formbody)
    await app.register(p.multipart)

    // the hooks that come after the plugins' own
    app.addHook('onRequest', async (request) => record(request, 'onRequest'))
    app.addHook('preParsing', async (request, _reply, payload) => {
      record(request, 'preParsing')
      return payload
    })
    app.addHook('preValidation', (request, _reply, done) => {
      record(request, 'preValidation')
      done()
    })
    app.addHook('preHandler', async (request) => record(request, 'preHandler'))
    app.addHook('onSend', (request, _reply, payload, done) => {
      record(request, 'onSend')
      done(null, payload)
    })

    app.get(
      '/secure',
      {
        onRequest: async (request) => {
          await (request as unknown as AuthRequest).jwtVerify()
          record(request, 'after jwtVerify')
        },
      },
      async (request) => {
        record(request, 'handler')
        return { user: (await (request as unknown as AuthRequest).jwtVerify()).sub }
      },
    )
    app.post('/form', async (request) => {
      record(request, 'handler')
      return request.body
    })
    app.post('/json', async (request) => {
      record(request, 'handler')
      return request.body
    })
    app.post('/upload', async (request) => {
      const file = await (request as unknown as AuthRequest).file()
      const content = await file!.toBuffer()
      record(request, 'handler')
      return { name: file!.filename, size: content.length }
    })
    app.get('/visit', async (request) => {
      const session = (request as unknown as AuthRequest).session
      const visits = ((session.get('visits') as number | undefined) ?? 0) + 1
      session.set('visits', visits)
      record(request, 'handler')
      return { visits }
    })
    base = await listen(app)
  })

  afterAll(async () => {
    clearInterval(timer)
    diagnostics.restore()
    await app.close()
    const keys = await redis.keys(`${nameSpace}*`)
    if (keys.length > 0) await redis.del(...keys)
    await redis.quit()
  })

  it('@fastify/jwt: the auth hook and everything after it see the trace id', async () => {
    const token = (app as unknown as { jwt: { sign(payload: object): string } }).jwt.sign({
      sub: 'ada',
    })
    const { traceparent, traceId } = newTraceparent()
    const response = await fetch(`${base}/secure`, {
      headers: { traceparent, authorization: `Bearer ${token}`, 'x-test-id': 'jwt' },
    })
    expect(await response.json()).toEqual({ user: 'ada' })
    expectTraceEverywhere('jwt', traceId, ['after jwtVerify'])
    const [span] = await tracing.waitForSpans(1)
    expect(span!.name).toBe('GET /secure')
    expect(span!.spanContext().traceId).toBe(traceId)
  })

  it('@fastify/jwt: a rejected token is a 401 and not an error span', async () => {
    const response = await fetch(`${base}/secure`, {
      headers: { authorization: 'Bearer nope', 'x-test-id': 'jwt-401' },
    })
    expect(response.status).toBe(401)
    const [span] = await tracing.waitForSpans(1)
    expect(span!.status.code).toBe(0)
    expect(span!.attributes['http.response.status_code']).toBe(401)
  })

  it('@fastify/rate-limit with a Redis store: counts in the real Redis, the trace id survives its hook', async () => {
    const { traceparent, traceId } = newTraceparent()
    const response = await fetch(`${base}/json`, {
      method: 'POST',
      headers: { traceparent, 'content-type': 'application/json', 'x-test-id': 'rate' },
      body: JSON.stringify({ n: 1 }),
    })
    expect(await response.json()).toEqual({ n: 1 })
    expect(Number(response.headers.get('x-ratelimit-remaining'))).toBeLessThan(10_000)
    expect((await redis.keys(`${nameSpace}*`)).length).toBeGreaterThan(0)
    expectTraceEverywhere('rate', traceId)
  })

  it('JSON body sent after the headers: parsed, and the trace id survives', async () => {
    const { traceparent, traceId } = newTraceparent()
    const body = JSON.stringify({ order: 'slow' })
    const response = await sendSlowly(`${base}/json`, {
      headers: {
        traceparent,
        'content-type': 'application/json',
        'content-length': String(body.length),
        'x-test-id': 'json',
      },
      body,
    })
    expect(JSON.parse(response.body)).toEqual({ order: 'slow' })
    expectTraceEverywhere('json', traceId)
  })

  it('@fastify/formbody: an urlencoded body sent after the headers', async () => {
    const { traceparent, traceId } = newTraceparent()
    const body = 'name=ada&lang=en'
    const response = await sendSlowly(`${base}/form`, {
      headers: {
        traceparent,
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': String(body.length),
        'x-test-id': 'form',
      },
      body,
    })
    expect(JSON.parse(response.body)).toEqual({ name: 'ada', lang: 'en' })
    expectTraceEverywhere('form', traceId)
  })

  it('@fastify/multipart: an upload read in the handler', async () => {
    const { traceparent, traceId } = newTraceparent()
    const form = new FormData()
    form.append('file', new Blob([Buffer.alloc(200_000, 7)]), 'data.bin')
    const response = await fetch(`${base}/upload`, {
      method: 'POST',
      headers: { traceparent, 'x-test-id': 'upload' },
      body: form,
    })
    expect(await response.json()).toEqual({ name: 'data.bin', size: 200_000 })
    expectTraceEverywhere('upload', traceId)
  })

  it('@fastify/cookie + @fastify/session with a callback store that loses the context', async () => {
    const first = newTraceparent()
    const response = await fetch(`${base}/visit`, {
      headers: { traceparent: first.traceparent, 'x-test-id': 'session-1' },
    })
    expect(await response.json()).toEqual({ visits: 1 })
    const cookieHeader = response.headers.get('set-cookie')!.split(';')[0]!
    expectTraceEverywhere('session-1', first.traceId)

    const second = newTraceparent()
    const again = await fetch(`${base}/visit`, {
      headers: { traceparent: second.traceparent, cookie: cookieHeader, 'x-test-id': 'session-2' },
    })
    expect(await again.json()).toEqual({ visits: 2 })
    expectTraceEverywhere('session-2', second.traceId)
    // the store's callbacks continued outside the request: the diagnostic names both of
    // @fastify/session's hooks, the one that reads the session and the one that saves it
    const reports = diagnostics.messages.filter((message) => message.includes('@tracehop/fastify'))
    expect(reports.sort()).toEqual([
      expect.stringContaining('the step that ran before it, onRequest hook "handleSession",'),
      expect.stringContaining('the step that ran before it, onSend hook "saveSession",'),
    ])
  })
})
