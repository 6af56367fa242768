import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { tracingPlugin } from '@tracehop/fastify'
import {
  activeTraceId,
  FASTIFY_VERSIONS,
  listen,
  newTraceparent,
  sendSlowly,
  setupTracing,
} from './helpers.js'

const tracing = setupTracing()
afterEach(() => tracing.reset())
afterAll(() => tracing.shutdown())

describe.each(FASTIFY_VERSIONS)(
  '$name: the request context in every hook and the handler',
  ({ create }) => {
    let app: FastifyInstance
    let base: string
    const seen = new Map<string, Record<string, string>>()

    function record(request: FastifyRequest, step: string): void {
      const id = request.headers['x-test-id'] as string
      let steps = seen.get(id)
      if (steps === undefined) seen.set(id, (steps = {}))
      steps[step] = activeTraceId()
    }

    beforeAll(async () => {
      app = create()
      await app.register(tracingPlugin, { tracerProvider: tracing.provider })
      app.addHook('onRequest', async (request) => record(request, 'onRequest:app:async'))
      app.addHook('onRequest', (request, _reply, done) => {
        record(request, 'onRequest:app:callback')
        done()
      })
      app.addHook('preParsing', (request, _reply, payload, done) => {
        record(request, 'preParsing:app:callback')
        done(null, payload)
      })
      app.addHook('preValidation', async (request) => record(request, 'preValidation:app:async'))
      app.addHook('preHandler', (request, _reply, done) => {
        record(request, 'preHandler:app:callback')
        done()
      })
      app.addHook(
        'preSerialization',
        async (request: FastifyRequest, _reply: FastifyReply, payload: unknown) => {
          record(request, 'preSerialization:app:async')
          return payload
        },
      )
      app.addHook('onSend', (request, _reply, payload, done) => {
        record(request, 'onSend:app:callback')
        done(null, payload)
      })
      app.addHook('onError', async (request) => record(request, 'onError:app:async'))
      app.addHook('onResponse', async (request) => record(request, 'onResponse:app:async'))

      await app.register(
        async (child) => {
          child.addHook('preHandler', async (request) => record(request, 'preHandler:plugin:async'))
          child.addHook('onRequest', (request, _reply, done) => {
            record(request, 'onRequest:plugin:callback')
            done()
          })
          child.post(
            '/orders/:id',
            {
              onRequest: async (request) => record(request, 'onRequest:route:async'),
              preValidation: [
                (request, _reply, done) => {
                  record(request, 'preValidation:route:callback')
                  done()
                },
              ],
              preHandler: async (request) => record(request, 'preHandler:route:async'),
            },
            async (request) => {
              record(request, 'handler')
              return { ok: true, body: request.body }
            },
          )
          child.get('/fail', async (request) => {
            record(request, 'handler')
            throw new Error('boom')
          })
        },
        { prefix: '/api' },
      )
      base = await listen(app)
    })

    afterAll(() => app.close())

    it('runs hooks of every kind, app-level, plugin-level and route-level, in the request context (POST with a JSON body)', async () => {
      const { traceparent, traceId } = newTraceparent()
      const body = JSON.stringify({ item: 'book' })
      // the body arrives after the headers: Fastify reads it from socket events outside the request
      const response = await sendSlowly(`${base}/api/orders/7`, {
        headers: {
          traceparent,
          'x-test-id': 'post',
          'content-type': 'application/json',
          'content-length': String(body.length),
        },
        body,
      })
      expect(response).toMatchObject({ status: 200 })
      expect(JSON.parse(response.body)).toEqual({ ok: true, body: { item: 'book' } })
      const spans = await tracing.waitForSpans(1)
      const steps = seen.get('post')!
      expect(Object.keys(steps).sort()).toEqual(
        [
          'handler',
          'onRequest:app:async',
          'onRequest:app:callback',
          'onRequest:plugin:callback',
          'onRequest:route:async',
          'onResponse:app:async',
          'onSend:app:callback',
          'preHandler:app:callback',
          'preHandler:plugin:async',
          'preHandler:route:async',
          'preParsing:app:callback',
          'preSerialization:app:async',
          'preValidation:app:async',
          'preValidation:route:callback',
        ].sort(),
      )
      for (const [step, seenTraceId] of Object.entries(steps))
        expect([step, seenTraceId]).toEqual([step, traceId])
      expect(spans).toHaveLength(1)
      expect(spans[0]!.name).toBe('POST /api/orders/:id')
      expect(spans[0]!.spanContext().traceId).toBe(traceId)
    })

    it('runs onError in the request context', async () => {
      const { traceparent, traceId } = newTraceparent()
      const response = await fetch(`${base}/api/fail`, {
        headers: { traceparent, 'x-test-id': 'fail' },
      })
      expect(response.status).toBe(500)
      await tracing.waitForSpans(1)
      const steps = seen.get('fail')!
      expect(steps['onError:app:async']).toBe(traceId)
      expect(steps['handler']).toBe(traceId)
      expect(steps['onSend:app:callback']).toBe(traceId)
    })
  },
)
