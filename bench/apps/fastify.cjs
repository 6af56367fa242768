'use strict'
const { Readable } = require('node:stream')
const { RateLimiter, STREAM_DELAY_MS, users, verify } = require('../lib/common.cjs')

/** The slow body the soak aborts: a first chunk at once, the rest a little later. */
function slowBody() {
  let step = 0
  return new Readable({
    read() {
      if (step === 0) {
        step = 1
        this.push('first chunk\n')
      } else if (step === 1) {
        step = 2
        setTimeout(() => {
          this.push('second chunk\n')
          this.push(null)
        }, STREAM_DELAY_MS)
      }
    },
  })
}

/**
 * The bench app on Fastify 5: auth as an async onRequest hook (awaits the session lookup), a
 * rate-limit onRequest hook, `layers - 2` pass-through preHandler hooks, `GET /users/:id`, and
 * the slow `GET /users/:id/stream` the soak aborts. `first` are plugins a tracing setup registers.
 */
async function createApp({ probe, layers, first }) {
  const fastify = require('fastify')
  const app = fastify({ logger: false })
  for (const [plugin, options] of first) await app.register(plugin, options)

  app.decorateRequest('session', null)
  app.addHook('onRequest', async function auth(request, reply) {
    const session = await verify(request.headers.authorization)
    if (session === undefined) {
      reply.code(401).send({ error: 'unauthorized' })
      return reply
    }
    request.session = session
  })

  const limiter = new RateLimiter()
  app.addHook('onRequest', function rateLimit(request, reply, done) {
    const left = limiter.take(request.socket.remoteAddress)
    if (left < 0) {
      reply.code(429).send({ error: 'too many requests' })
      return
    }
    reply.header('ratelimit-remaining', String(left))
    done()
  })

  for (let i = 2; i < layers; i++) {
    app.addHook('preHandler', function passThrough(request, reply, done) {
      done()
    })
  }

  app.get('/users/:id', async function getUser(request, reply) {
    probe.hit()
    const user = users.get(request.params.id)
    if (user === undefined) {
      reply.code(404)
      return { error: 'not found' }
    }
    return user
  })

  app.get('/users/:id/stream', function streamUser(request, reply) {
    probe.hit()
    const res = reply.raw
    res.on('close', () => {
      if (!res.writableFinished) probe.aborted++
    })
    reply.type('text/plain').send(slowBody())
  })

  await app.ready()
  return app
}

module.exports = { createApp }
