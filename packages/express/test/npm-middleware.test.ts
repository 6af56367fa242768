import { traceErrors, traceMiddleware } from '@tracehop/express'
import compression from 'compression'
import cors from 'cors'
import type { NextFunction, Request, Response } from 'express'
import { rateLimit } from 'express-rate-limit'
import session from 'express-session'
import helmet from 'helmet'
import multer from 'multer'
import { startCallbackPool } from '../../../test-utils/callback-pool.js'
import passport from 'passport'
import { Strategy as LocalStrategy } from 'passport-local'
import { RedisStore, type RedisReply } from 'rate-limit-redis'
import { createClient } from 'redis'
import {
  activeIds,
  EXPRESS_VERSIONS,
  eventually,
  listen,
  newTraceparent,
  request,
  serverSpans,
  setupTracing,
} from './helpers.js'

const tracing = setupTracing()
const redis = createClient({ url: 'redis://127.0.0.1:6379' })
beforeAll(() => redis.connect())
afterEach(() => tracing.exporter.reset())
afterAll(async () => {
  await redis.close()
  await tracing.teardown()
})

// Callbacks queued here run from a timer made at startup, outside every request.
const pool = startCallbackPool()
afterAll(() => pool.stop())
const later = pool.later

/** A session store whose callbacks run outside the request, like an old driver's. */
class PoolStore extends session.Store {
  private readonly sessions = new Map<string, string>()
  calls = 0
  get(sid: string, callback: (err: unknown, data?: session.SessionData | null) => void): void {
    this.calls++
    later(() => {
      const raw = this.sessions.get(sid)
      callback(null, raw === undefined ? null : (JSON.parse(raw) as session.SessionData))
    })
  }
  set(sid: string, data: session.SessionData, callback?: (err?: unknown) => void): void {
    this.calls++
    later(() => {
      this.sessions.set(sid, JSON.stringify(data))
      callback?.()
    })
  }
  destroy(sid: string, callback?: (err?: unknown) => void): void {
    later(() => {
      this.sessions.delete(sid)
      callback?.()
    })
  }
}

interface User {
  id: string
  name: string
}
const users: Record<string, User> = { ada: { id: 'u-1', name: 'ada' } }

passport.use(
  new LocalStrategy((username, password, done) =>
    later(() => done(null, password === 'secret' ? users[username] : false)),
  ),
)
passport.serializeUser((user, done) => later(() => done(null, (user as User).name)))
passport.deserializeUser((name: string, done) => later(() => done(null, users[name])))

type Probes = Record<string, ReturnType<typeof activeIds>>
const kProbes = Symbol('probes')
type Probed = Request & { [kProbes]?: Probes }

/** Records what the layer after `label` sees. */
function probe(label: string) {
  return function probeContext(req: Request, _res: Response, next: NextFunction): void {
    const probed = req as Probed
    ;(probed[kProbes] ??= {})[label] = activeIds()
    next()
  }
}

function answer(req: Request, res: Response): void {
  const probes = { ...(req as Probed)[kProbes], handler: activeIds() }
  res.json({ probes, body: req.body as unknown, user: (req.user as User | undefined)?.id })
}

function multipart(boundary: string, field: string, filename: string, content: string): string {
  return [
    `--${boundary}`,
    `Content-Disposition: form-data; name="note"`,
    '',
    'hello',
    `--${boundary}`,
    `Content-Disposition: form-data; name="${field}"; filename="${filename}"`,
    'Content-Type: text/plain',
    '',
    content,
    `--${boundary}--`,
    '',
  ].join('\r\n')
}

describe.each(EXPRESS_VERSIONS)('real middleware from npm (%s)', (label, express) => {
  const store = new PoolStore()
  let server: Awaited<ReturnType<typeof listen>>

  beforeAll(async () => {
    const app = express()
    app.use(traceMiddleware({ tracerProvider: tracing.provider, metrics: false }))
    app.use(helmet())
    app.use(probe('helmet'))
    app.use(cors({ origin: 'https://shop.example' }))
    app.use(probe('cors'))
    app.use(compression({ threshold: 0 }))
    app.use(probe('compression'))
    app.use(
      rateLimit({
        windowMs: 60_000,
        limit: 10_000,
        standardHeaders: 'draft-8',
        legacyHeaders: false,
        store: new RedisStore({
          prefix: `tracehop-test:${label.replace(' ', '')}:${Date.now()}:`,
          sendCommand: (...args: string[]) => redis.sendCommand(args) as Promise<RedisReply>,
        }),
      }),
    )
    app.use(probe('rateLimit'))
    app.use(express.json())
    app.use(probe('json'))
    app.use(express.urlencoded({ extended: false }))
    app.use(probe('urlencoded'))
    app.use(session({ store, secret: 'test-secret', resave: false, saveUninitialized: false }))
    app.use(probe('session'))
    app.use(passport.initialize())
    app.use(passport.session())
    app.use(probe('passport'))
    const upload = multer({ storage: multer.memoryStorage() })
    app.post('/upload', upload.single('file'), probe('multer'), (req, res) => {
      const probes = { ...(req as Probed)[kProbes], handler: activeIds() }
      res.json({
        probes,
        file: req.file?.buffer.toString('utf8'),
        note: (req.body as { note: string }).note,
      })
    })
    app.post('/json', answer)
    app.post('/form', answer)
    app.post('/login', passport.authenticate('local'), probe('authenticate'), answer)
    app.get('/me', answer)
    app.use(traceErrors())
    server = await listen(app)
  })
  afterAll(() => server.close())

  async function expectTraced(
    path: string,
    init: Parameters<typeof request>[1] = {},
  ): Promise<Record<string, unknown>> {
    tracing.exporter.reset()
    const { traceparent, traceId } = newTraceparent()
    const reply = await request(server.url + path, {
      ...init,
      headers: { ...init.headers, traceparent },
    })
    expect(reply.status).toBe(200)
    await eventually(() => expect(serverSpans(tracing.exporter)).toHaveLength(1))
    const span = serverSpans(tracing.exporter)[0]!
    expect(span.spanContext().traceId).toBe(traceId)
    const body = JSON.parse(reply.body) as { probes: Probes } & Record<string, unknown>
    const expected = { traceId, spanId: span.spanContext().spanId }
    for (const [name, seen] of Object.entries(body.probes)) {
      expect({ name, seen }).toEqual({ name, seen: expected })
    }
    return { ...body, reply, span }
  }

  it('carries the trace through helmet, cors, compression, redis rate limit and body parsers', async () => {
    const result = await expectTraced('/json', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://shop.example' },
      body: JSON.stringify({ order: 7 }),
    })
    expect(result.body).toEqual({ order: 7 })
    const reply = result.reply as Awaited<ReturnType<typeof request>>
    expect(reply.headers['access-control-allow-origin']).toBe('https://shop.example')
    expect(reply.headers['x-content-type-options']).toBe('nosniff')
    expect(reply.headers.ratelimit).toMatch(/; r=\d+/)
    expect(Object.keys(result.probes as Probes)).toEqual([
      'helmet',
      'cors',
      'compression',
      'rateLimit',
      'json',
      'urlencoded',
      'session',
      'passport',
      'handler',
    ])
  })

  it('carries the trace through express.urlencoded()', async () => {
    const result = await expectTraced('/form', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1&b=two',
    })
    expect(result.body).toEqual({ a: '1', b: 'two' })
  })

  it('carries the trace through a multer multipart upload', async () => {
    const boundary = 'tracehopboundary'
    const result = await expectTraced('/upload', {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: multipart(boundary, 'file', 'a.txt', 'file body'),
    })
    expect(result.file).toBe('file body')
    expect(result.note).toBe('hello')
    expect(Object.keys(result.probes as Probes)).toContain('multer')
  })

  it('carries the trace through passport login and sessions kept in a store whose callbacks run outside the request', async () => {
    const callsBefore = store.calls
    const login = await expectTraced('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'ada', password: 'secret' }),
    })
    expect(login.user).toBe('u-1')
    expect(Object.keys(login.probes as Probes)).toContain('authenticate')
    const reply = login.reply as Awaited<ReturnType<typeof request>>
    const cookie = String(reply.headers['set-cookie']?.[0]).split(';')[0]!
    const me = await expectTraced('/me', { headers: { cookie } })
    expect(me.user).toBe('u-1')
    expect(store.calls).toBeGreaterThan(callsBefore)
  })
})
