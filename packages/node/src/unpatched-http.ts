// On Node 20, outgoing http calls are traced by @opentelemetry/instrumentation-http, which
// replaces the functions on the node:http module object. A function taken from it before that
// (`const { get } = require('node:http')` above startTracing()) keeps the original: its calls
// get no CLIENT span and no trace headers, and the callee starts a trace of its own. Such a
// copy cannot be found in the app's variables, but its calls can be seen: Node publishes every
// client request on a diagnostics channel, in the caller's context.
import { context, isSpanContextValid, propagation, trace } from '@opentelemetry/api'
import { isTracingSuppressed } from '@opentelemetry/core'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import type { ClientRequest } from 'node:http'

const CHANNEL = 'http.client.request.start'

/**
 * Warns once when an outgoing http request made inside a span carries none of the propagator's
 * headers: the call went around the patch. Returns the function that stops watching.
 */
export function warnOnUnpatchedHttp(warn: (message: string) => void): () => void {
  const onStart = (message: unknown): void => {
    const request = (message as { request?: ClientRequest }).request
    if (request === undefined || typeof request.getHeader !== 'function') return
    const active = context.active()
    if (isTracingSuppressed(active)) return
    const span = trace.getSpan(active)
    if (span === undefined || !isSpanContextValid(span.spanContext())) return
    const fields = propagation.fields()
    if (fields.length === 0 || fields.some((name) => request.getHeader(name) !== undefined)) return
    stop()
    const host = String(request.getHeader('host') ?? request.host)
    warn(
      `an outgoing http request (${request.method} ${request.protocol}//${host}${request.path}) ` +
        `was made inside a span but carried no trace context, so it is untraced and the callee ` +
        `starts a new trace: the function was taken from node:http before startTracing() ran ` +
        `(such as const { get } = require('node:http') above it). Call startTracing() first, ` +
        `use http.get(...) on the module, or start with node --require @tracehop/node/register`,
    )
  }
  let stopped = false
  const stop = (): void => {
    if (stopped) return
    stopped = true
    unsubscribe(CHANNEL, onStart)
  }
  subscribe(CHANNEL, onStart)
  return stop
}
