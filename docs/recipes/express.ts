// Express 5 with passport (local strategy), express-session and express-rate-limit on a Redis
// store: one SERVER span per request, named after the route, with the request's context intact in
// every middleware, handler and callback after them.
// Run it: node --import tsx --import @tracehop/node/register express.ts
import { withSpan } from '@tracehop/core'
import { logFields, setRequestAttributes, traceErrors, traceMiddleware } from '@tracehop/express'
import express, { type NextFunction, type Request, type Response } from 'express'
import { rateLimit } from 'express-rate-limit'
import session from 'express-session'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import passport from 'passport'
import { Strategy as LocalStrategy } from 'passport-local'
import { RedisStore, type RedisReply } from 'rate-limit-redis'
import { createClient } from 'redis'

interface User {
  id: string
  name: string
}

const users: Record<string, User & { password: string }> = {
  ada: { id: 'u-1', name: 'ada', password: 'lovelace' },
}

// Callbacks fired later, as a database driver would fire them.
passport.use(
  new LocalStrategy((username, password, done) => {
    setTimeout(() => {
      const user = users[username]
      done(null, user && user.password === password ? { id: user.id, name: user.name } : false)
    }, 5)
  }),
)
passport.serializeUser((user, done) => done(null, (user as User).name))
passport.deserializeUser((name: string, done) => {
  const user = users[name]
  setTimeout(() => done(null, user ? { id: user.id, name: user.name } : false), 5)
})

export async function start({
  port = 0,
  redisUrl = 'redis://127.0.0.1:6379',
  rateLimitPerMinute = 100,
  rateLimitPrefix = 'rl:orders:',
} = {}) {
  const redis = createClient({ url: redisUrl })
  await redis.connect()

  const app = express()
  app.use(traceMiddleware({ ignore: ['/healthz'] })) // first
  app.get('/healthz', (_req, res) => {
    res.send('ok')
  })
  app.use(express.json())
  app.use(
    rateLimit({
      windowMs: 60_000,
      limit: rateLimitPerMinute,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      store: new RedisStore({
        prefix: rateLimitPrefix,
        sendCommand: (...args: string[]) => redis.sendCommand(args) as Promise<RedisReply>,
      }),
    }),
  )
  app.use(session({ secret: 'change-me', resave: false, saveUninitialized: false, name: 'sid' }))
  app.use(passport.initialize())
  app.use(passport.session())
  // Later spans of this request (withSpan) carry the user too.
  app.use((req, _res, next) => {
    if (req.user) setRequestAttributes(req, { 'enduser.id': (req.user as User).id })
    next()
  })

  app.post('/login', passport.authenticate('local'), (req, res) => {
    res.json({ user: (req.user as User).name })
  })

  app.get('/orders/:id', async (req, res) => {
    if (!req.isAuthenticated()) {
      res.status(401).json({ error: 'login first' })
      return
    }
    const order = await withSpan('orders.load', { attributes: { 'order.id': req.params.id } }, () =>
      Promise.resolve({ id: req.params.id, status: 'shipped' }),
    )
    console.log(JSON.stringify({ ...logFields(req), msg: 'order loaded', order: order.id }))
    res.json(order)
  })

  app.get('/boom', () => {
    throw new Error('payment provider down')
  })

  app.use(traceErrors()) // after the routes: records errors passed to next(err)
  app.use((error: Error, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error)
    res.status(500).json({ error: error.message })
  })

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s))
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await redis.quit()
    },
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  start({ port: 3000 }).then(({ url }) => {
    console.log(
      `curl -c jar -H 'content-type: application/json' -d '{"username":"ada","password":"lovelace"}' ${url}/login`,
    )
    console.log(`curl -b jar ${url}/orders/42`)
  })
}
