// gateway: Fastify 5 with @fastify/bearer-auth and @fastify/rate-limit (in memory, or Redis),
// forwarding orders to the orders service.
import bearerAuth from '@fastify/bearer-auth'
import rateLimit from '@fastify/rate-limit'
import { type TracerProvider } from '@opentelemetry/api'
import { tracingPlugin } from '@tracehop/fastify'
import Fastify from 'fastify'
import { type Redis } from 'ioredis'
import { type AddressInfo } from 'node:net'
import { type Service } from './inventory.js'
import { USERS } from './orders.js'

interface Options {
  tracerProvider: TracerProvider
  ordersUrl: string
  redis: Redis | undefined
  keyPrefix: string
}

export async function startGateway(options: Options): Promise<Service> {
  // forceCloseConnections: close() would otherwise wait on the keep-alive connection of an
  // aborted request
  const app = Fastify({ logger: false, forceCloseConnections: true })
  await app.register(tracingPlugin, { tracerProvider: options.tracerProvider }) // first
  await app.register(bearerAuth, { keys: Object.keys(USERS) })
  await app.register(rateLimit, {
    max: 100,
    timeWindow: '1 minute',
    ...(options.redis ? { redis: options.redis, nameSpace: `${options.keyPrefix}gateway:` } : {}),
  })

  app.post('/api/orders', async (request, reply) => {
    // Stop the upstream call when our client goes away.
    const gone = new AbortController()
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) gone.abort()
    })
    const upstream = await fetch(`${options.ordersUrl}/orders`, {
      method: 'POST',
      headers: {
        authorization: request.headers.authorization ?? '',
        'content-type': 'application/json',
      },
      body: JSON.stringify(request.body),
      signal: gone.signal,
    })
    return reply
      .code(upstream.status)
      .type(upstream.headers.get('content-type') ?? 'application/json')
      .send(await upstream.text())
  })

  await app.listen({ port: 0, host: '127.0.0.1' })
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    close: () => app.close(),
  }
}
