// Fastify 5 with @fastify/jwt and @fastify/rate-limit on Redis: the tracing plugin goes first, so
// every hook (JWT check, rate limit), handler and request.log line runs in the request's trace.
// Run it: node --import tsx --import @tracehop/node/register fastify.ts
import fastifyJwt from '@fastify/jwt'
import fastifyRateLimit from '@fastify/rate-limit'
import { withSpan } from '@tracehop/core'
import { tracingPlugin } from '@tracehop/fastify'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import { Redis } from 'ioredis'
import { pathToFileURL } from 'node:url'

export async function start({
  port = 0,
  redisUrl = 'redis://127.0.0.1:6379',
  rateLimitPerMinute = 100,
  rateLimitNamespace = 'rl-orders-',
  logger = true as boolean | { level?: string; stream?: NodeJS.WritableStream },
} = {}) {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 })
  const app = Fastify({ logger })

  await app.register(tracingPlugin, { ignore: ['/healthz'] }) // first
  await app.register(fastifyJwt, { secret: 'change-me' })
  await app.register(fastifyRateLimit, {
    max: rateLimitPerMinute,
    timeWindow: '1 minute',
    redis,
    nameSpace: rateLimitNamespace,
  })

  async function authenticate(request: FastifyRequest, reply: FastifyReply) {
    try {
      await request.jwtVerify()
    } catch {
      await reply.code(401).send({ error: 'invalid token' })
    }
  }

  app.get('/healthz', async () => 'ok')

  app.post<{ Body: { user: string } }>('/token', async (request) => ({
    token: app.jwt.sign({ sub: request.body.user }),
  }))

  app.get<{ Params: { id: string } }>(
    '/orders/:id',
    { onRequest: authenticate },
    async (request) => {
      const user = (request.user as { sub: string }).sub
      request.tracing.span.setAttribute('enduser.id', user)
      const order = await withSpan(
        'orders.load',
        { attributes: { 'order.id': request.params.id } },
        async () => ({ id: request.params.id, status: 'shipped' }),
      )
      request.log.info({ order: order.id }, 'order loaded') // carries trace_id and span_id
      return order
    },
  )

  app.get('/boom', async () => {
    throw new Error('payment provider down')
  })

  await app.listen({ port, host: '127.0.0.1' })
  const address = app.server.address()
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`,
    close: async () => {
      await app.close()
      redis.disconnect()
    },
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  start({ port: 3000 }).then(({ url }) => {
    console.log(
      `TOKEN=$(curl -s -H 'content-type: application/json' -d '{"user":"ada"}' ${url}/token | jq -r .token)`,
    )
    console.log(`curl -H "authorization: Bearer $TOKEN" ${url}/orders/42`)
  })
}
