import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify'
import { tracingPlugin } from '@tracehop/fastify'
import { startCallbackPool, type CallbackPool } from '../../../test-utils/callback-pool.js'
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

describe.each(FASTIFY_VERSIONS)('$name: a hook that loses the context', ({ create }) => {
  let app: FastifyInstance
  let base: string
  let diagnostics: ReturnType<typeof captureDiag>
  let pool: CallbackPool
  const { seen, record } = stepRecorder()

  beforeAll(async () => {
    diagnostics = captureDiag()
    // A "connection pool" made at startup: it releases waiters from its own timer, so their
    // callbacks run outside any request's context.
    pool = startCallbackPool()

    app = create()
    await app.register(tracingPlugin, {
      tracerProvider: tracing.provider,
      lostContextDiagnostics: true,
    })
    app.addHook(
      'onRequest',
      function breakingHook(
        _request: FastifyRequest,
        _reply: FastifyReply,
        done: HookHandlerDoneFunction,
      ) {
        pool.later(() => done())
      },
    )
    app.addHook('onRequest', async (request) => record(request, 'onRequest:async'))
    app.addHook('preParsing', (request, _reply, payload, done) => {
      record(request, 'preParsing:callback')
      done(null, payload)
    })
    app.addHook('preValidation', async (request) => record(request, 'preValidation:async'))
    app.addHook('preHandler', (request, _reply, done) => {
      record(request, 'preHandler:callback')
      done()
    })
    app.addHook('onSend', async (request, _reply, payload) => {
      record(request, 'onSend:async')
      return payload
    })
    app.post('/items', async (request) => {
      record(request, 'handler')
      return { received: request.body }
    })
    base = await listen(app)
  })

  afterAll(async () => {
    pool.stop()
    diagnostics.restore()
    await app.close()
  })

  it('re-enters the request context in every later hook and the handler', async () => {
    const requests = Array.from({ length: 20 }, (_, i) => ({ id: `r${i}`, ...newTraceparent() }))
    await Promise.all(
      requests.map(async ({ id, traceparent }) => {
        const body = JSON.stringify({ id })
        const response = await sendSlowly(`${base}/items`, {
          headers: {
            traceparent,
            'x-test-id': id,
            'content-type': 'application/json',
            'content-length': String(body.length),
          },
          body,
        })
        expect(response).toMatchObject({ status: 200 })
      }),
    )
    await tracing.waitForSpans(requests.length)
    for (const { id, traceId } of requests) {
      expect(seen.get(id)).toEqual({
        'onRequest:async': traceId,
        'preParsing:callback': traceId,
        'preValidation:async': traceId,
        'preHandler:callback': traceId,
        handler: traceId,
        'onSend:async': traceId,
      })
    }
  })

  it('reports the hook that lost it, once, by name', () => {
    const reports = diagnostics.messages.filter((message) => message.includes('@tracehop/fastify'))
    expect(reports).toHaveLength(1)
    expect(reports[0]).toContain('the step that ran before it, onRequest hook "breakingHook",')
    // core's single format, shared with @tracehop/express
    expect(reports[0]).toBe(
      `@tracehop/fastify: onRequest hook "<anonymous>" was entered outside its request's context; the step that ran before it, onRequest hook "breakingHook", continued from a callback that lost AsyncLocalStorage (a callback pool, an emitter or a stream created outside the request). tracehop re-entered the request's context. Reported once per layer.`,
    )
  })
})
