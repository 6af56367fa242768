// Wiring slips a user makes in the first hour, each failing loudly or said once, naming the fix:
// the plugin given to Express or called, hooks and routes added before it finished registering,
// option keys nobody reads, and request.tracing read before the plugin's hook ran.
import { trace } from '@opentelemetry/api'
import { tracingPlugin, type TracingPluginOptions } from '@tracehop/fastify'
import express from 'express5'
import { execFile } from 'node:child_process'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describeIfBuilt } from '../../../test-utils/fixture-app.js'
import { captureDiag, FASTIFY_VERSIONS, listen, logSink, useTracing } from './helpers.js'

const run = promisify(execFile)
const tracing = useTracing()

const GIVEN_TO_EXPRESS =
  '@tracehop/fastify: tracingPlugin is a Fastify plugin and was given to Express (app.use); for Express use @tracehop/express: app.use(traceMiddleware()) before the routes and app.use(traceErrors()) after them'
const CALLED =
  '@tracehop/fastify: tracingPlugin is a Fastify plugin: register it with await app.register(tracingPlugin, options) instead of calling it; for Express use @tracehop/express: app.use(traceMiddleware())'

describe('the Fastify plugin given to Express', () => {
  it('app.use(tracingPlugin) fails each request with an error naming @tracehop/express', async () => {
    const app = express()
    // @ts-expect-error a Fastify plugin is not Express middleware
    app.use(tracingPlugin)
    app.get('/orders', (_req, res) => res.send('orders'))
    const errors: unknown[] = []
    // four parameters: Express only calls error handlers declared with four
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    app.use((error: unknown, _req: unknown, res: express.Response, _next: unknown) => {
      errors.push(error)
      res.status(500).send(error instanceof Error ? error.message : String(error))
    })
    const server = app.listen(0, '127.0.0.1')
    await once(server, 'listening')
    try {
      const reply = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`)
      expect({ status: reply.status, body: await reply.text() }).toEqual({
        status: 500,
        body: GIVEN_TO_EXPRESS,
      })
    } finally {
      server.close()
    }
    expect(errors).toHaveLength(1)
  })

  it('app.use(tracingPlugin()) throws when called, naming register and @tracehop/express', () => {
    // @ts-expect-error the plugin takes Fastify's (instance, options, done)
    expect(() => tracingPlugin()).toThrow(new TypeError(CALLED))
  })
})

describe.each(FASTIFY_VERSIONS)('$name: added before tracingPlugin', ({ name, create }) => {
  let diag: ReturnType<typeof captureDiag>
  beforeEach(() => {
    diag = captureDiag()
  })
  afterEach(() => diag.restore())
  const v = name.replace(' ', '')

  it('names the hooks already there when it loads, and request.tracing is untraced in them', async () => {
    const app = create()
    const seen: unknown[] = []
    app.addHook('onRequest', async function earlyAuth(request) {
      seen.push({ traced: request.tracing.traced, traceId: request.tracing.traceId })
    })
    app.addHook('preHandler', async function audit() {})
    await app.register(tracingPlugin, { tracerProvider: tracing.provider })
    app.get('/orders', async (request) => ({ traced: request.tracing.traced }))
    const base = await listen(app)
    try {
      const reply = await fetch(`${base}/orders`)
      expect(await reply.json()).toEqual({ traced: true })
    } finally {
      await app.close()
    }
    expect(seen).toEqual([{ traced: false, traceId: '' }])
    expect(diag.messages).toEqual([
      `@tracehop/fastify: onRequest hook "earlyAuth" and preHandler hook "audit" were added before tracingPlugin: they run without tracehop re-entering the request's context, and the onRequest hook among them before the request is traced (request.tracing is untraced there). Register the plugin first: await app.register(tracingPlugin) before other hooks, plugins and routes.`,
    ])
  })

  it('names a route added after register() without await, once', async () => {
    const app = create()
    void app.register(tracingPlugin, { tracerProvider: tracing.provider })
    app.get(`/${v}/orders/:id`, async (request) => ({ traced: request.tracing.traced }))
    const base = await listen(app)
    try {
      for (const id of ['1', '2']) {
        const reply = await fetch(`${base}/${v}/orders/${id}`)
        expect(await reply.json()).toEqual({ traced: true })
      }
    } finally {
      await app.close()
    }
    expect(diag.messages).toEqual([
      `@tracehop/fastify: route GET /${v}/orders/:id was added before tracingPlugin finished registering (registered before it, or after app.register(tracingPlugin) without await): its handler and route hooks run without tracehop re-entering the request's context, so spans they start can land in a new trace. Write await app.register(tracingPlugin) before adding routes.`,
    ])
  })

  it('says nothing when registered first and awaited', async () => {
    const app = create()
    await app.register(tracingPlugin, { tracerProvider: tracing.provider })
    app.addHook('onRequest', async function auth() {})
    app.get(`/${v}/fine`, async () => 'fine')
    const base = await listen(app)
    try {
      expect((await fetch(`${base}/${v}/fine`)).status).toBe(200)
      expect((await fetch(`${base}/${v}/missing`)).status).toBe(404)
    } finally {
      await app.close()
    }
    expect(diag.messages).toEqual([])
  })
})

describe.each(FASTIFY_VERSIONS)('$name: request.tracing is never null', ({ create }) => {
  it('is the untraced object in a route not traced and an ignored request', async () => {
    const app = create()
    await app.register(tracingPlugin, { tracerProvider: tracing.provider, ignore: ['/healthz'] })
    app.get('/healthz', async (request) => ({ traced: request.tracing.traced }))
    app.get('/quiet', { config: { tracing: false } }, async (request) => ({
      traced: request.tracing.traced,
      spanId: request.tracing.spanId,
      recording: request.tracing.span.isRecording(),
    }))
    const base = await listen(app)
    try {
      expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ traced: false })
      expect(await (await fetch(`${base}/quiet`)).json()).toEqual({
        traced: false,
        spanId: '',
        recording: false,
      })
    } finally {
      await app.close()
    }
    expect(tracing.spans()).toEqual([])
    expect(trace.getActiveSpan()).toBeUndefined()
  })
})

describe('option keys nobody reads', () => {
  let diag: ReturnType<typeof captureDiag>
  beforeEach(() => {
    diag = captureDiag()
  })
  afterEach(() => diag.restore())

  it.each(FASTIFY_VERSIONS)(
    '$name: warns once per key, with the option it resembles',
    async ({ create }) => {
      const app = create()
      const options = { ignor: ['/healthz'], logCorelation: false } as TracingPluginOptions
      await app.register(tracingPlugin, options)
      app.get(
        '/x',
        { config: { tracing: { reqestHook: () => undefined } as TracingPluginOptions } },
        async () => 'x',
      )
      await app.ready()
      await app.close()
      expect(diag.messages).toEqual([
        '@tracehop/fastify: unknown option "ignor" (did you mean "ignore"?) is ignored',
        '@tracehop/fastify: unknown option "logCorelation" (did you mean "logCorrelation"?) is ignored',
        '@tracehop/fastify: unknown option "reqestHook" (did you mean "requestHook"?) is ignored',
      ])
    },
  )
})

describe.each(FASTIFY_VERSIONS)(
  '$name: the incoming request line, as docs/fastify.md logs it',
  ({ create }) => {
    it('carries trace_id and span_id of the SERVER span, like request completed', async () => {
      const { lines, stream } = logSink()
      const app = create({ logger: { level: 'info', stream }, disableRequestLogging: true })
      await app.register(tracingPlugin, { tracerProvider: tracing.provider })
      app.addHook('onRequest', async (request) => {
        request.log.info({ req: request }, 'incoming request') // after the plugin: with trace_id
      })
      app.addHook('onResponse', async (request, reply) => {
        request.log.info({ res: reply, responseTime: reply.elapsedTime }, 'request completed')
      })
      app.get('/orders/:id', async () => ({ ok: true }))
      const base = await listen(app)
      try {
        expect((await fetch(`${base}/orders/7`)).status).toBe(200)
        const [span] = await tracing.waitForSpans(1)
        const ids = { trace_id: span!.spanContext().traceId, span_id: span!.spanContext().spanId }
        const logged = lines
          .filter((line) => line.msg === 'incoming request' || line.msg === 'request completed')
          .map((line) => ({ msg: line.msg, trace_id: line.trace_id, span_id: line.span_id }))
        expect(logged).toEqual([
          { msg: 'incoming request', ...ids },
          { msg: 'request completed', ...ids },
        ])
      } finally {
        await app.close()
      }
    })
  },
)

describeIfBuilt('fastify', join(__dirname, '..', 'dist'))('the slips in a real process', () => {
  it.each(['4', '5'])(
    'fastify %s: requests traced, request.tracing untraced in the early hook, each slip named once on stderr',
    async (version) => {
      const { stdout, stderr } = await run(
        process.execPath,
        [join(__dirname, 'fixtures', 'wiring.cjs')],
        { env: { ...process.env, FIXTURE_FASTIFY: version, NODE_OPTIONS: '' }, timeout: 30_000 },
      )
      const lines = stdout.split('\n')
      expect(
        lines.filter((line) => line.startsWith('REPLY ') || line.startsWith('EARLY ')),
      ).toEqual([
        'REPLY {"path":"/orders/1","status":200,"body":{"traced":true}}',
        'REPLY {"path":"/orders/2","status":200,"body":{"traced":true}}',
        'EARLY [false,false]',
      ])
      expect(lines.filter((line) => line.startsWith('SPAN '))).toHaveLength(2)
      expect(stderr.split('\n').filter((line) => line.startsWith('@tracehop'))).toEqual([
        `@tracehop/fastify: onRequest hook "earlyAuth" was added before tracingPlugin: it runs without tracehop re-entering the request's context, and before the request is traced (request.tracing is untraced there). Register the plugin first: await app.register(tracingPlugin) before other hooks, plugins and routes.`,
        `@tracehop/fastify: route GET /orders/:id was added before tracingPlugin finished registering (registered before it, or after app.register(tracingPlugin) without await): its handler and route hooks run without tracehop re-entering the request's context, so spans they start can land in a new trace. Write await app.register(tracingPlugin) before adding routes.`,
      ])
    },
  )
})
