import { type Context, type Span } from '@opentelemetry/api'
import { tryGetRequestTrace, type LogFields } from '@tracehop/core'
import type { IncomingMessage } from 'node:http'
import { OWNER } from './constants.js'

function notTraced(): Error {
  return new Error(
    `${OWNER}: this request is not traced: traceMiddleware() did not run before this handler, or the request matched an "ignore" rule`,
  )
}

/**
 * The request's SERVER span; throws when the request is not traced.
 * @example
 * app.get('/orders/:id', (req, res) => { getRequestSpan(req).setAttribute('order.id', req.params.id) })
 */
export function getRequestSpan(request: IncomingMessage): Span {
  const found = tryGetRequestTrace(request)
  if (found === undefined) throw notTraced()
  return found.span
}

/** The request's SERVER span, or `undefined` when the request is not traced. */
export function tryGetRequestSpan(request: IncomingMessage): Span | undefined {
  return tryGetRequestTrace(request)?.span
}

/**
 * The request's context (its span, baggage and request attributes); throws when the request is
 * not traced.
 * @example
 * pool.query(sql, (err, rows) => context.with(getRequestContext(req), () => next(err)))
 */
export function getRequestContext(request: IncomingMessage): Context {
  const found = tryGetRequestTrace(request)
  if (found === undefined) throw notTraced()
  return found.context
}

/** The request's context, or `undefined` when the request is not traced. */
export function tryGetRequestContext(request: IncomingMessage): Context | undefined {
  return tryGetRequestTrace(request)?.context
}

/**
 * `trace_id`, `span_id` and `trace_flags` of the request's span for structured log lines; an
 * empty object when the request is not traced, so it can always be spread.
 * @example
 * logger.info({ ...logFields(req) }, 'order stored')
 */
export function logFields(request: IncomingMessage): LogFields | Record<string, never> {
  const found = tryGetRequestTrace(request)
  if (found === undefined) return {}
  const { traceId, spanId, traceFlags } = found.span.spanContext()
  return {
    trace_id: traceId,
    span_id: spanId,
    trace_flags: traceFlags < 16 ? `0${traceFlags.toString(16)}` : traceFlags.toString(16),
  }
}
