// Wiring slips a user makes in the first hour, each either working or saying so once, naming the
// fix: the factories registered uncalled, this middleware given to Fastify, layers registered
// before traceMiddleware(), option keys nobody reads.
import { SpanStatusCode, trace } from '@opentelemetry/api'
import { traceErrors, traceMiddleware, type TraceMiddlewareOptions } from '@tracehop/express'
import fastify from 'fastify5'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describeIfBuilt } from '../../../test-utils/fixture-app.js'
import {
  captureDiag,
  EXPRESS_VERSIONS,
  listen,
  request,
  serverSpans,
  useTracing,
} from './helpers.js'

const run = promisify(execFile)
const tracing = useTracing()
beforeAll(() => trace.setGlobalTracerProvider(tracing.provider))

const UNCALLED_MIDDLEWARE =
  '@tracehop/express: app.use(traceMiddleware) registers the factory itself; write app.use(traceMiddleware()) (tracing with the default options meanwhile)'
const UNCALLED_ERRORS =
  '@tracehop/express: app.use(traceErrors) registers the factory itself; write app.use(traceErrors()) (recording errors meanwhile)'
const MIDDLEWARE_ON_FASTIFY =
  '@tracehop/express: traceMiddleware is Express middleware and was given to Fastify (app.register or app.addHook); for Fastify use @tracehop/fastify: await app.register(tracingPlugin)'
const ERRORS_ON_FASTIFY =
  '@tracehop/express: traceErrors is Express middleware and was given to Fastify (app.register or app.addHook); for Fastify use @tracehop/fastify: await app.register(tracingPlugin)'

function url(server: Awaited<ReturnType<typeof listen>>, path: string): string {
  return server.url + path
}

describe('app.use(traceMiddleware) and app.use(traceErrors), not called', () => {
  let diag: ReturnType<typeof captureDiag>
  beforeAll(() => {
    diag = captureDiag()
  })
  afterAll(() => diag.restore())

  it.each(EXPRESS_VERSIONS)(
    'traces with the defaults, records errors and warns once (%s)',
    async (_label, express) => {
      const app = express()
      // the factory itself: TypeScript accepts it too
      app.use(traceMiddleware)
      app.get('/orders/:id', (req, res) => res.json({ id: req.params.id }))
      app.get('/fail', (_req, _res, next) => next(new Error('declined')))
      app.use(traceErrors)
      const server = await listen(app)
      try {
        const replies = await Promise.all(
          ['/orders/1', '/orders/2', '/fail', '/missing'].map((path) =>
            request(url(server, path)).then((reply) => reply.status),
          ),
        )
        expect(replies).toEqual([200, 200, 500, 404])
      } finally {
        await server.close()
      }
      const spans = serverSpans(tracing.exporter)
      expect(spans.map((span) => span.name).sort()).toEqual([
        'GET',
        'GET /fail',
        'GET /orders/:id',
        'GET /orders/:id',
      ])
      const failed = spans.find((span) => span.name === 'GET /fail')!
      expect(failed.status.code).toBe(SpanStatusCode.ERROR)
      expect(failed.events.map((event) => event.name)).toEqual(['exception'])
    },
  )

  it('warned once for each factory, over both apps and every request', () => {
    expect(diag.warnings).toEqual([UNCALLED_MIDDLEWARE, UNCALLED_ERRORS])
  })
})

describe('the Express middleware given to Fastify', () => {
  it.each([
    ['app.register(traceMiddleware)', traceMiddleware, MIDDLEWARE_ON_FASTIFY],
    ['app.register(traceMiddleware())', traceMiddleware(), MIDDLEWARE_ON_FASTIFY],
    ['app.register(traceErrors)', traceErrors, ERRORS_ON_FASTIFY],
    ['app.register(traceErrors())', traceErrors(), ERRORS_ON_FASTIFY],
  ])('%s fails the registration naming @tracehop/fastify', async (_label, plugin, message) => {
    const app = fastify()
    // @ts-expect-error Express middleware is not a Fastify plugin
    void app.register(plugin)
    await expect(app.ready()).rejects.toThrow(message)
    await app.close().catch(() => undefined)
  })

  it("app.addHook('onRequest', traceMiddleware()) fails the request naming @tracehop/fastify", async () => {
    const app = fastify()
    // @ts-expect-error Express middleware is not a Fastify hook
    app.addHook('onRequest', traceMiddleware())
    app.get('/orders', () => ({ ok: true }))
    const base = await app.listen({ port: 0, host: '127.0.0.1' })
    try {
      const reply = await request(`${base}/orders`)
      expect({ status: reply.status, body: JSON.parse(reply.body) as unknown }).toEqual({
        status: 500,
        body: expect.objectContaining({ message: MIDDLEWARE_ON_FASTIFY }) as unknown,
      })
    } finally {
      await app.close()
    }
  })
})

describe.each(EXPRESS_VERSIONS)(
  'layers registered before traceMiddleware() (%s)',
  (_l, express) => {
    let diag: ReturnType<typeof captureDiag>
    beforeEach(() => {
      diag = captureDiag()
    })
    afterEach(() => diag.restore())

    it('warns once, naming each layer before it and what to do', async () => {
      const app = express()
      app.get('/healthz', (_req, res) => res.send('ok'))
      app.use(function cors(_req, _res, next) {
        next()
      })
      const admin = express.Router()
      admin.get('/', (_req, res) => res.send('admin'))
      app.use('/admin', admin)
      app.use(traceMiddleware())
      app.get('/orders', (_req, res) => res.send('orders'))
      const server = await listen(app)
      try {
        for (const path of ['/healthz', '/orders', '/orders', '/healthz'])
          expect((await request(url(server, path))).status).toBe(200)
      } finally {
        await server.close()
      }
      expect(diag.warnings).toEqual([
        `@tracehop/express: traceMiddleware() is not the first middleware: route GET /healthz, "cors" (/) and router (/admin) are registered before it. They run outside the request's trace, and the requests they answer are not traced (the caller's trace is lost). Register app.use(traceMiddleware()) before them.`,
      ])
      expect(serverSpans(tracing.exporter).map((span) => span.name)).toEqual([
        'GET /orders',
        'GET /orders',
      ])
    })

    it('says nothing when it is first', async () => {
      const app = express()
      app.use(traceMiddleware())
      app.get('/orders', (_req, res) => res.send('orders'))
      const server = await listen(app)
      try {
        expect((await request(url(server, '/orders'))).status).toBe(200)
      } finally {
        await server.close()
      }
      expect(diag.warnings).toEqual([])
    })
  },
)

describe('option keys nobody reads', () => {
  it('warns once per key, with the option it resembles', () => {
    const diag = captureDiag()
    const options = { ignor: ['/healthz'], spanNmae: () => 'x' } as TraceMiddlewareOptions
    traceMiddleware(options)
    traceMiddleware(options)
    diag.restore()
    expect(diag.warnings).toEqual([
      '@tracehop/express: unknown option "ignor" (did you mean "ignore"?) is ignored',
      '@tracehop/express: unknown option "spanNmae" (did you mean "spanName"?) is ignored',
    ])
  })
})

describeIfBuilt('express', join(__dirname, '..', 'dist'))('the slips in a real process', () => {
  it.each(['4', '5'])(
    'express %s: every request answered, each slip named once on stderr',
    async (version) => {
      const { stdout, stderr } = await run(
        process.execPath,
        [join(__dirname, 'fixtures', 'wiring.cjs')],
        { env: { ...process.env, FIXTURE_EXPRESS: version, NODE_OPTIONS: '' }, timeout: 30_000 },
      )
      const replies = stdout
        .split('\n')
        .filter((line) => line.startsWith('REPLY '))
        .map((line) => JSON.parse(line.slice(6)) as unknown)
      expect(replies).toEqual([
        { path: '/healthz', status: 200 },
        { path: '/orders/1', status: 200 },
        { path: '/orders/2', status: 200 },
        { path: '/fail', status: 500 },
      ])
      const spans = stdout.split('\n').filter((line) => line.startsWith('SPAN '))
      expect(spans).toHaveLength(3)
      expect(stderr.split('\n').filter((line) => line.startsWith('@tracehop'))).toEqual([
        UNCALLED_MIDDLEWARE,
        `@tracehop/express: traceMiddleware() is not the first middleware: route GET /healthz is registered before it. It runs outside the request's trace, and the requests it answers are not traced (the caller's trace is lost). Register app.use(traceMiddleware()) before it.`,
        UNCALLED_ERRORS,
      ])
    },
  )
})
