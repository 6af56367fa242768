// orders: Express 5 with passport (bearer tokens), express-rate-limit (in memory, or Redis), a
// withSpan around the business logic, a call to inventory and a message to the notifier.
import { type TracerProvider } from '@opentelemetry/api'
import { withProducerSpan, withSpan } from '@tracehop/core'
import { traceErrors, traceMiddleware } from '@tracehop/express'
import express, { type NextFunction, type Request, type Response } from 'express'
import { rateLimit } from 'express-rate-limit'
import { type Redis } from 'ioredis'
import { randomUUID } from 'node:crypto'
import { type AddressInfo } from 'node:net'
import passport from 'passport'
import { Strategy as BearerStrategy } from 'passport-http-bearer'
import { RedisStore, type RedisReply } from 'rate-limit-redis'
import { type Service } from './inventory.js'
import { type Queue } from './queue.js'

/** The demo's users, by bearer token. */
export const USERS: Record<string, string> = {
  'ada-token': 'ada',
  'grace-token': 'grace',
  'linus-token': 'linus',
}

interface Options {
  tracerProvider: TracerProvider
  inventoryUrl: string
  queue: Queue
  redis: Redis | undefined
  keyPrefix: string
}

/** Aborts when the client of `res` goes away before the response is written. */
function abortOnClose(res: Response): AbortSignal {
  const controller = new AbortController()
  res.once('close', () => {
    if (!res.writableFinished) controller.abort()
  })
  return controller.signal
}

export async function startOrders(options: Options): Promise<Service> {
  const { tracerProvider, inventoryUrl, queue, redis } = options
  const auth = new passport.Passport()
  auth.use(
    new BearerStrategy((token, done) => {
      const user = USERS[token]
      done(null, user === undefined ? false : { id: user })
    }),
  )

  const app = express()
  app.use(traceMiddleware({ tracerProvider })) // first
  app.use(express.json())
  app.use(auth.initialize())

  // One order a minute per user.
  const orderQuota = rateLimit({
    windowMs: 60_000,
    limit: 1,
    keyGenerator: (req) => (req.user as { id: string }).id,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    message: { error: 'one order a minute, please' },
    ...(redis
      ? {
          store: new RedisStore({
            prefix: `${options.keyPrefix}orders:`,
            sendCommand: (command: string, ...args: string[]) =>
              redis.call(command, ...args) as Promise<RedisReply>,
          }),
        }
      : {}),
  })

  app.post(
    '/orders',
    auth.authenticate('bearer', { session: false }),
    orderQuota,
    async (req: Request, res: Response, next: NextFunction) => {
      const signal = abortOnClose(res)
      const user = (req.user as { id: string }).id
      const sku = String((req.body as { sku?: unknown }).sku ?? '')
      try {
        const order = await withSpan(
          'orders.place',
          { tracerProvider, attributes: { 'order.sku': sku, 'enduser.id': user } },
          async (span) => {
            const stock = await fetch(`${inventoryUrl}/stock/${encodeURIComponent(sku)}`, {
              signal,
            })
            if (!stock.ok) throw new Error(`inventory answered ${stock.status}`)
            const order = { id: randomUUID(), sku, user }
            span.setAttribute('order.id', order.id)
            withProducerSpan(
              {
                system: queue.system,
                destination: 'orders.created',
                messageId: order.id,
                tracerProvider,
              },
              (headers) => queue.publish('orders.created', order.id, order, headers),
            )
            return order
          },
        )
        res.status(201).json(order)
      } catch (error) {
        next(error)
      }
    },
  )

  app.use(traceErrors()) // after the routes
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- Express knows error handlers by their four parameters
  app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
    if (!res.headersSent) res.status(500).json({ error: error.message })
  })

  const server = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
