import { trace } from '@opentelemetry/api'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { tracingPlugin } from '@tracehop/fastify'
import {
  activeTraceId,
  captureDiag,
  FASTIFY_VERSIONS,
  listen,
  newTraceparent,
  randomDelay,
  useTracing,
} from './helpers.js'

const tracing = useTracing()

const COUNT = 500

describe.each(FASTIFY_VERSIONS)(
  '$name: 500 concurrent requests with random delays in hooks',
  ({ create }) => {
    let app: FastifyInstance
    let base: string
    let diagnostics: ReturnType<typeof captureDiag>
    const seen = new Map<string, string[]>()

    function record(request: FastifyRequest): void {
      const id = request.headers['x-test-id'] as string
      let traceIds = seen.get(id)
      if (traceIds === undefined) seen.set(id, (traceIds = []))
      traceIds.push(activeTraceId())
    }

    beforeAll(async () => {
      diagnostics = captureDiag()
      app = create()
      await app.register(tracingPlugin, { tracerProvider: tracing.provider })
      app.addHook('onRequest', async (request) => {
        await randomDelay(10)
        record(request)
      })
      app.addHook('preValidation', (request, _reply, done) => {
        setTimeout(() => {
          record(request)
          done()
        }, Math.random() * 5)
      })
      app.addHook('preHandler', async (request) => {
        await randomDelay(5)
        record(request)
      })
      app.addHook('onSend', async (request, _reply, payload) => {
        await randomDelay(3)
        record(request)
        return payload
      })
      const tracer = tracing.provider.getTracer('test')
      app.post('/work/:n', async (request) => {
        await randomDelay(10)
        record(request)
        return tracer.startActiveSpan('child work', async (span) => {
          await randomDelay(3)
          span.end()
          return { traceId: activeTraceId(), parent: trace.getActiveSpan()?.spanContext().spanId }
        })
      })
      base = await listen(app)
    })

    afterAll(async () => {
      diagnostics.restore()
      await app.close()
    })

    it('gives every request its own trace in every hook and the handler, with the right parents', async () => {
      const requests = Array.from({ length: COUNT }, (_, i) => ({
        id: `c${i}`,
        ...newTraceparent(),
      }))
      const results = await Promise.all(
        requests.map(async ({ id, traceparent }, i) => {
          const response = await fetch(`${base}/work/${i}`, {
            method: 'POST',
            headers: { traceparent, 'x-test-id': id, 'content-type': 'application/json' },
            body: JSON.stringify({ i }),
          })
          return (await response.json()) as { traceId: string }
        }),
      )
      const spans = await tracing.waitForSpans(COUNT * 2, 30_000)
      const servers = spans.filter((span) => span.kind === 1)
      const children = spans.filter((span) => span.name === 'child work')
      expect(servers).toHaveLength(COUNT)
      expect(children).toHaveLength(COUNT)
      const serverByTrace = new Map(servers.map((span) => [span.spanContext().traceId, span]))
      const childByTrace = new Map(children.map((span) => [span.spanContext().traceId, span]))
      requests.forEach(({ id, traceId, parentId }, i) => {
        expect(results[i]!.traceId).toBe(traceId)
        // onRequest, preValidation, preHandler, handler, onSend
        expect(seen.get(id)).toEqual([traceId, traceId, traceId, traceId, traceId])
        const server = serverByTrace.get(traceId)
        expect(server?.name).toBe('POST /work/:n')
        expect(server?.parentSpanContext?.spanId).toBe(parentId)
        expect(childByTrace.get(traceId)?.parentSpanContext?.spanId).toBe(
          server?.spanContext().spanId,
        )
      })
      // nothing crossed over, so nothing was entered with a foreign context
      expect(diagnostics.messages).toEqual([])
    }, 60_000)
  },
)
