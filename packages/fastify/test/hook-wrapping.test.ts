import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { tracingPlugin } from '@tracehop/fastify'
import { activeTraceId, FASTIFY_VERSIONS, listen, newTraceparent, useTracing } from './helpers.js'

const tracing = useTracing()

type Hook = (...args: unknown[]) => unknown

// three parameters on an async function: what Fastify rejects
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const misuse = async (_request: unknown, _reply: unknown, _done: unknown): Promise<void> =>
  undefined

describe.each(FASTIFY_VERSIONS)('$name: wrapped hooks behave as the originals', ({ create }) => {
  let app: FastifyInstance
  beforeEach(async () => {
    app = create()
    await app.register(tracingPlugin, { tracerProvider: tracing.provider })
  })
  afterEach(() => app.close())

  it("keeps Fastify's own check of async hooks that also take done (app-level)", () => {
    expect(() => app.addHook('onRequest', misuse as unknown as Hook as never)).toThrow(
      expect.objectContaining({ code: 'FST_ERR_HOOK_INVALID_ASYNC_HANDLER' }),
    )
  })

  // Fastify checks route-level hooks given as an array
  it("keeps Fastify's own check of async hooks that also take done (route-level)", () => {
    expect(() =>
      app.get('/misuse', { preHandler: [misuse as unknown as Hook] as never }, async () => 'x'),
    ).toThrow(expect.objectContaining({ code: 'FST_ERR_HOOK_INVALID_ASYNC_HANDLER' }))
  })

  it('calls hooks and handlers with the encapsulated instance as this, and the same arguments', async () => {
    const observed: Record<string, unknown> = {}
    const { traceparent, traceId } = newTraceparent()
    await app.register(async (child) => {
      child.decorate('childOnly', 'yes')
      child.addHook('preHandler', function (this: FastifyInstance, request, reply, done) {
        observed.hookThis = (this as unknown as { childOnly?: string }).childOnly
        observed.hookArgs = [request.url, typeof reply.send, typeof done]
        observed.hookTrace = activeTraceId()
        done()
      })
      child.get(
        '/this',
        async function (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
          observed.handlerThis = (this as unknown as { childOnly?: string }).childOnly
          observed.handlerArgs = [request.url, typeof reply.send]
          return 'ok'
        },
      )
    })
    const base = await listen(app)
    expect(await (await fetch(`${base}/this`, { headers: { traceparent } })).text()).toBe('ok')
    expect(observed).toEqual({
      hookThis: 'yes',
      hookArgs: ['/this', 'function', 'function'],
      hookTrace: traceId,
      handlerThis: 'yes',
      handlerArgs: ['/this', 'function'],
    })
  })

  it('names the span of an automatic HEAD route after the GET route template', async () => {
    app.get('/items/:id', async () => ({ ok: true }))
    const base = await listen(app)
    expect((await fetch(`${base}/items/1`, { method: 'HEAD' })).status).toBe(200)
    const [span] = await tracing.waitForSpans(1)
    expect(span!.name).toBe('HEAD /items/:id')
  })
})
