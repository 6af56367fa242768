'use strict'
const { RateLimiter, streamSlowly, users, verify } = require('../lib/common.cjs')

const NOT_FOUND = JSON.stringify({ error: 'not found' })
const UNAUTHORIZED = JSON.stringify({ error: 'unauthorized' })
const TOO_MANY = JSON.stringify({ error: 'too many requests' })

function sendJson(res, status, body) {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  })
  res.end(body)
}

/**
 * The bench app as a plain node:http handler: route match, auth (awaits the session lookup),
 * rate limiter, `GET /users/:id` and the slow `GET /users/:id/stream`. `onRoute(req, template)`
 * tells a tracing layer the matched route, when it wants to know.
 */
function createHandler({ probe, onRoute }) {
  const limiter = new RateLimiter()
  return async function handle(req, res) {
    const url = req.url
    const q = url.indexOf('?')
    const path = q === -1 ? url : url.slice(0, q)
    if (req.method !== 'GET' || !path.startsWith('/users/')) return sendJson(res, 404, NOT_FOUND)
    const rest = path.slice(7)
    const slash = rest.indexOf('/')
    const stream = slash !== -1 && rest.slice(slash) === '/stream'
    if (slash !== -1 && !stream) return sendJson(res, 404, NOT_FOUND)
    if (onRoute !== undefined) onRoute(req, stream ? '/users/:id/stream' : '/users/:id')

    const session = await verify(req.headers.authorization)
    if (session === undefined) return sendJson(res, 401, UNAUTHORIZED)
    const left = limiter.take(req.socket.remoteAddress)
    if (left < 0) return sendJson(res, 429, TOO_MANY)
    res.setHeader('ratelimit-remaining', String(left))

    probe.hit()
    if (stream) return streamSlowly(res, probe)
    const user = users.get(rest)
    if (user === undefined) return sendJson(res, 404, NOT_FOUND)
    sendJson(res, 200, JSON.stringify(user))
  }
}

module.exports = { createHandler }
