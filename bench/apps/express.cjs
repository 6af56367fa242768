'use strict'
const { RateLimiter, streamSlowly, users, verify } = require('../lib/common.cjs')

/**
 * The bench app on Express 5: auth (awaits the session lookup), a rate limiter, `layers - 2`
 * pass-through middleware, `GET /users/:id`, and the slow `GET /users/:id/stream` the soak aborts.
 * `first` is whatever a tracing setup mounts before everything else.
 */
function createApp({ probe, layers, first }) {
  const express = require('express')
  const app = express()
  for (const middleware of first) app.use(middleware)

  app.use(async function auth(req, res, next) {
    const session = await verify(req.headers.authorization)
    if (session === undefined) {
      res.status(401).json({ error: 'unauthorized' })
      return
    }
    req.session = session
    next()
  })

  const limiter = new RateLimiter()
  app.use(function rateLimit(req, res, next) {
    const left = limiter.take(req.socket.remoteAddress)
    if (left < 0) {
      res.status(429).json({ error: 'too many requests' })
      return
    }
    res.setHeader('ratelimit-remaining', String(left))
    next()
  })

  for (let i = 2; i < layers; i++) {
    app.use(function passThrough(req, res, next) {
      next()
    })
  }

  app.get('/users/:id', function getUser(req, res) {
    probe.hit()
    const user = users.get(req.params.id)
    if (user === undefined) {
      res.status(404).json({ error: 'not found' })
      return
    }
    res.json(user)
  })

  app.get('/users/:id/stream', function streamUser(req, res) {
    probe.hit()
    streamSlowly(res, probe)
  })

  return app
}

module.exports = { createApp }
