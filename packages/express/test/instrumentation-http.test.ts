import { HttpInstrumentation } from '@opentelemetry/instrumentation-http'
import { traceErrors, traceMiddleware } from '@tracehop/express'
import http from 'node:http'
import {
  EXPRESS_VERSIONS,
  eventually,
  listen,
  newTraceparent,
  serverSpans,
  setupTracing,
} from './helpers.js'

const tracing = setupTracing()
const instrumentation = new HttpInstrumentation()
instrumentation.setTracerProvider(tracing.provider)
instrumentation.enable()
// instrumentation-http patches `http` from a require hook on `Module.prototype.require`. Jest
// gives test code its own copy of `module`, so that hook never sees a require here; apply the very
// patch the hook applies (the module definition's `patch`) to the real `node:http` instead, and
// undo it with the same definition: from 0.301 `getModuleDefinitions()` builds new objects, so
// `disable()` never sees this patch, and a patched `node:http` would outlive this file in the worker.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const realHttp = require('node:http') as typeof http
const definitions = instrumentation.getModuleDefinitions().filter((d) => d.name === 'http')
for (const definition of definitions) definition.patch?.(realHttp)

afterEach(() => tracing.exporter.reset())
afterAll(async () => {
  for (const definition of definitions) definition.unpatch?.(realHttp)
  instrumentation.disable()
  await tracing.teardown()
})

describe.each(EXPRESS_VERSIONS)(
  'with @opentelemetry/instrumentation-http (%s)',
  (_label, express) => {
    it('enriches the one SERVER span instrumentation-http opened with our route and name', async () => {
      const app = express()
      app.use(traceMiddleware({ tracerProvider: tracing.provider, metrics: false }))
      const router = express.Router()
      router.get('/:id', (_req, res) => {
        res.send('ok')
      })
      app.use('/orders', router)
      app.use(traceErrors())
      const server = await listen(app)
      const { traceparent, traceId, parentId } = newTraceparent()
      try {
        // fetch (undici) is not patched by instrumentation-http: the traceparent arrives as sent
        const reply = await fetch(`${server.url}/orders/5`, { headers: { traceparent } })
        expect(reply.status).toBe(200)
        expect(await reply.text()).toBe('ok')
      } finally {
        await server.close()
      }
      await eventually(() => expect(serverSpans(tracing.exporter)).toHaveLength(1))
      const spans = serverSpans(tracing.exporter)
      expect(spans).toHaveLength(1)
      const span = spans[0]!
      // the span really is instrumentation-http's, not ours
      expect(http.Server.prototype.emit).toHaveProperty('__wrapped', true)
      expect(span.instrumentationScope.name).toBe('@opentelemetry/instrumentation-http')
      expect(span.name).toBe('GET /orders/:id')
      expect(span.attributes['http.route']).toBe('/orders/:id')
      expect(span.spanContext().traceId).toBe(traceId)
      expect(span.parentSpanContext?.spanId).toBe(parentId)
    })
  },
)

// `ignore` cannot silence instrumentation-http's span: it starts (sampled, handed to every span
// processor) before any middleware runs, and the API has no way to drop a started span. The
// documented way is its own ignoreIncomingRequestHook, with the same rule (docs/configuration.md).
describe.each(EXPRESS_VERSIONS)('ignore with instrumentation-http (%s)', (_label, express) => {
  afterEach(() => instrumentation.setConfig({}))

  it('its ignoreIncomingRequestHook, as documented, leaves no span for an ignored path', async () => {
    const untraced = new Set(['/healthz'])
    const pathOf = (url = '/'): string => url.split('?', 1)[0]!
    instrumentation.setConfig({ ignoreIncomingRequestHook: (req) => untraced.has(pathOf(req.url)) })
    const app = express()
    app.use(traceMiddleware({ tracerProvider: tracing.provider, ignore: [...untraced] }))
    app.get('/healthz', (_req, res) => res.send('ok'))
    app.get('/orders', (_req, res) => res.send('orders'))
    const server = await listen(app)
    try {
      expect((await fetch(`${server.url}/healthz?probe=1`)).status).toBe(200)
      expect((await fetch(`${server.url}/orders`)).status).toBe(200)
    } finally {
      await server.close()
    }
    await eventually(() => expect(serverSpans(tracing.exporter)).toHaveLength(1))
    expect(tracing.exporter.getFinishedSpans().map((span) => span.name)).toEqual(['GET /orders'])
  })

  it("without it, the ignored path still has instrumentation-http's span (why the hook is needed)", async () => {
    const app = express()
    app.use(traceMiddleware({ tracerProvider: tracing.provider, ignore: ['/healthz'] }))
    app.get('/healthz', (_req, res) => res.send('ok'))
    const server = await listen(app)
    try {
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    } finally {
      await server.close()
    }
    await eventually(() => expect(serverSpans(tracing.exporter)).toHaveLength(1))
    const [span] = serverSpans(tracing.exporter)
    expect([span!.name, span!.instrumentationScope.name]).toEqual([
      'GET',
      '@opentelemetry/instrumentation-http',
    ])
  })
})
