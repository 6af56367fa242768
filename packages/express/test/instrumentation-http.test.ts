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
// patch the hook applies (the module definition's `patch`) to the real `node:http` instead.
const definitions = instrumentation.getModuleDefinitions().filter((d) => d.name === 'http')
for (const definition of definitions) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exports = require('node:http') as typeof http
  definition.moduleExports = definition.patch?.(exports) ?? exports
}

afterEach(() => tracing.exporter.reset())
afterAll(async () => {
  instrumentation.disable() // unpatches `node:http` through the same module definitions
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
