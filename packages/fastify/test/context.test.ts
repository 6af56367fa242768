import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { tracingPlugin } from '@tracehop/fastify'
import { startCallbackPool, type CallbackPool } from '../../../test-utils/callback-pool.js'
import { request as httpRequest } from 'node:http'
import {
  captureDiag,
  FASTIFY_VERSIONS,
  listen,
  newTraceparent,
  sendSlowly,
  stepRecorder,
  useTracing,
} from './helpers.js'

const tracing = useTracing()

describe.each(FASTIFY_VERSIONS)(
  '$name: the request context in every hook and the handler',
  ({ create }) => {
    let app: FastifyInstance
    let base: string
    const { seen, record } = stepRecorder()

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

    let diagnostics: ReturnType<typeof captureDiag>
    beforeAll(() => {
      diagnostics = captureDiag()
    })
    afterAll(() => {
      // nothing in this app loses the context: no false alarms
      expect(diagnostics.messages).toEqual([])
      diagnostics.restore()
    })

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

describe.each(FASTIFY_VERSIONS)(
  '$name: parsers, error and not-found handlers, hooks other plugins add',
  ({ create }) => {
    let app: FastifyInstance
    let base: string
    let diagnostics: ReturnType<typeof captureDiag>
    let pool: CallbackPool
    const { seen, record } = stepRecorder()

    beforeAll(async () => {
      diagnostics = captureDiag()
      pool = startCallbackPool()

      app = create({ connectionTimeout: 300 })
      await app.register(tracingPlugin, { tracerProvider: tracing.provider })
      // a plugin registered later that adds route-level hooks to every route in its onRoute hook
      // (as rate limiters do), one of them losing the context
      await app.register(
        Object.assign(
          async (instance: FastifyInstance) => {
            instance.addHook('onRoute', (route) => {
              const added = [
                function auditHook(
                  request: FastifyRequest,
                  _reply: FastifyReply,
                  done: () => void,
                ) {
                  record(request, 'preHandler:added-in-onRoute')
                  pool.later(() => done())
                },
              ]
              const existing = route.preHandler
              route.preHandler =
                existing === undefined
                  ? added
                  : ([...([] as unknown[]).concat(existing), ...added] as typeof added)
            })
          },
          { [Symbol.for('skip-override')]: true },
        ),
      )
      // a parser that reads the whole body first: it runs from the body's stream events
      app.addContentTypeParser('text/x-note', { parseAs: 'string' }, (request, body, done) => {
        record(request, 'contentTypeParser')
        done(null, { note: body })
      })
      app.setErrorHandler(async (error, request, reply) => {
        record(request, 'errorHandler')
        return reply.code(500).send({ handled: (error as Error).message })
      })
      app.setNotFoundHandler(
        {
          preHandler: (request, _reply, done) => {
            record(request, 'notFound:preHandler')
            done()
          },
        },
        async (request, reply) => {
          record(request, 'notFoundHandler')
          return reply.code(404).send({ missing: request.url })
        },
      )
      app.addHook('onTimeout', async (request) => record(request, 'onTimeout'))
      app.post('/notes', async (request) => {
        record(request, 'handler')
        return request.body
      })
      app.get('/explode', async (request) => {
        record(request, 'handler')
        throw new Error('kaboom')
      })
      app.get('/hang', () => new Promise(() => undefined))
      base = await listen(app)
    })

    afterAll(async () => {
      pool.stop()
      diagnostics.restore()
      await app.close()
    })

    it('runs a content-type parser fed by stream events in the request context', async () => {
      const { traceparent, traceId } = newTraceparent()
      const body = 'remember the milk'
      const response = await sendSlowly(`${base}/notes`, {
        headers: {
          traceparent,
          'x-test-id': 'note',
          'content-type': 'text/x-note',
          'content-length': String(body.length),
        },
        body,
      })
      expect(JSON.parse(response.body)).toEqual({ note: body })
      expect(seen.get('note')).toEqual({
        'preHandler:added-in-onRoute': traceId,
        contentTypeParser: traceId,
        handler: traceId,
      })
    })

    it('runs a hook another plugin adds in onRoute, and what follows it, in the request context', async () => {
      const reports = diagnostics.messages.filter((message) =>
        message.includes('@tracehop/fastify'),
      )
      // the added hook lost the context before the handler: named, once
      expect(reports).toEqual([
        expect.stringContaining('the step that ran before it, preHandler hook "auditHook",'),
      ])
    })

    it('runs the error handler in the request context', async () => {
      const { traceparent, traceId } = newTraceparent()
      const response = await fetch(`${base}/explode`, {
        headers: { traceparent, 'x-test-id': 'explode' },
      })
      expect(await response.json()).toEqual({ handled: 'kaboom' })
      expect(seen.get('explode')).toMatchObject({ handler: traceId, errorHandler: traceId })
      const [span] = await tracing.waitForSpans(1)
      expect(span!.status.code).toBe(2)
    })

    it('runs the not-found handler and its hooks in the request context', async () => {
      const { traceparent, traceId } = newTraceparent()
      const response = await fetch(`${base}/no/such/thing`, {
        headers: { traceparent, 'x-test-id': 'missing' },
      })
      expect(response.status).toBe(404)
      expect(seen.get('missing')).toEqual({
        'notFound:preHandler': traceId,
        notFoundHandler: traceId,
      })
      const [span] = await tracing.waitForSpans(1)
      expect(span!.name).toBe('GET')
    })

    it('runs onTimeout in the request context', async () => {
      const { traceparent, traceId } = newTraceparent()
      await new Promise<void>((resolve) => {
        const request = httpRequest(`${base}/hang`, {
          headers: { traceparent, 'x-test-id': 'hang' },
        })
        request.on('error', () => resolve())
        request.on('close', () => resolve())
        request.end()
      })
      const [span] = await tracing.waitForSpans(1)
      expect(span!.name).toBe('GET /hang')
      expect(span!.attributes['error.type']).toBe('aborted')
      const deadline = Date.now() + 5000
      while (seen.get('hang')?.onTimeout === undefined && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      expect(seen.get('hang')?.onTimeout).toBe(traceId)
    })
  },
)
