'use strict'
// The application every variant serves: a token check that awaits a promise, an in-memory
// fixed-window rate limiter, and `GET /users/:id` answering a small JSON document. Each
// framework wires these the way its users would (middleware, hooks, a plain handler).

const TOKEN = 'bench-token'

const users = new Map()
for (let i = 0; i < 1000; i++) {
  users.set(String(i), { id: i, name: `user-${i}`, plan: i % 3 === 0 ? 'pro' : 'free' })
}
const sessions = new Map([[TOKEN, { subject: 'bench', scopes: ['users:read'] }]])

/** Resolves the bearer token to a session, as a cache or session store would: asynchronously. */
async function verify(authorization) {
  if (typeof authorization !== 'string' || !authorization.startsWith('Bearer ')) return undefined
  return sessions.get(authorization.slice(7))
}

/** Fixed-window request counter per client address; the limit is far above what the load reaches. */
class RateLimiter {
  constructor(limit = 1e12, windowMs = 60_000) {
    this.limit = limit
    this.windowMs = windowMs
    this.windowStart = Date.now()
    this.hits = new Map()
  }

  /** Counts one request and returns how many are left in the window (negative: over the limit). */
  take(key) {
    const now = Date.now()
    if (now - this.windowStart >= this.windowMs) {
      this.hits.clear()
      this.windowStart = now
    }
    const n = (this.hits.get(key) ?? 0) + 1
    this.hits.set(key, n)
    return this.limit - n
  }
}

/**
 * Counters the harness reads over IPC, and the handler's own check that the trace context
 * reached it: every 16th request compares the active span context with the trace id the
 * client sent, or its first half when the client varies the rest (cheap enough to leave in;
 * the same for every traced variant).
 */
function createProbe(api, expectedTraceId) {
  const probe = { requests: 0, aborted: 0, contextChecked: 0, contextMismatch: 0 }
  probe.hit = api
    ? () => {
        if ((++probe.requests & 15) !== 0) return
        probe.contextChecked++
        const sc = api.trace.getSpanContext(api.context.active())
        const seen =
          sc !== undefined &&
          (expectedTraceId === undefined
            ? api.trace.isSpanContextValid(sc)
            : sc.traceId.startsWith(expectedTraceId))
        if (!seen) probe.contextMismatch++
      }
    : () => {
        probe.requests++
      }
  return probe
}

/**
 * How long the slow route waits between its two chunks: long enough that the client's abort
 * lands mid-response even on a loaded machine.
 */
const STREAM_DELAY_MS = 100

/** The body of the slow route the soak aborts mid-response: a first chunk now, the rest later. */
function streamSlowly(res, probe) {
  res.on('close', () => {
    if (!res.writableFinished) probe.aborted++
  })
  res.writeHead(200, { 'content-type': 'text/plain' })
  res.write('first chunk\n')
  setTimeout(() => {
    if (!res.destroyed) res.end('second chunk\n')
  }, STREAM_DELAY_MS)
}

module.exports = {
  STREAM_DELAY_MS,
  users,
  verify,
  RateLimiter,
  createProbe,
  streamSlowly,
}
