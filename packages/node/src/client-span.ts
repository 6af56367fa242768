// What a CLIENT span of an outgoing HTTP call looks like, whichever client made the call (fetch
// and undici, node:http through its channels, or instrumentation-http on Node 20).
import {
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api'
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions'
import { sanitizeUrl } from '@tracehop/core'

/** Chooses the tracer for a CLIENT span from its parent context. */
export type TracerFor = (parent: Context) => Tracer

/** Where a call goes: the parts of its URL, host without brackets, target as sent (path and query). */
export interface ClientCall {
  method: string
  scheme: string
  host: string
  port: number
  target: string
}

/** `url.full` of a call: userinfo never appears, the query is redacted (`sanitizeUrl`). */
export function clientUrl(call: ClientCall): string {
  // a request to a forward proxy names the absolute URL as its target
  if (!call.target.startsWith('/') && call.target.includes('://')) return sanitizeUrl(call.target)
  const host = call.host.includes(':') ? `[${call.host}]` : call.host
  return sanitizeUrl(`${call.scheme}://${host}:${call.port}${call.target}`)
}

/** Where a request object holds its CLIENT span until the span ends. */
export const kClientSpan = Symbol('tracehop.clientSpan')

/** A request object as the channels hand it, with its CLIENT span. */
export interface WithClientSpan {
  [kClientSpan]?: Span | undefined
}

/** Takes the span off the request: only the first of the events that end it gets it. */
export function takeSpan(request: WithClientSpan): Span | undefined {
  const span = request[kClientSpan]
  if (span) request[kClientSpan] = undefined
  return span
}

/** The attributes a CLIENT span starts with. */
export function clientAttributes(call: ClientCall): Attributes {
  return {
    [ATTR_HTTP_REQUEST_METHOD]: call.method,
    [ATTR_SERVER_ADDRESS]: call.host,
    [ATTR_SERVER_PORT]: call.port,
    [ATTR_URL_FULL]: clientUrl(call),
  }
}

/** Starts the CLIENT span of `call`, named `{METHOD}`, child of `parent`. */
export function startClientSpan(tracerFor: TracerFor, parent: Context, call: ClientCall): Span {
  return tracerFor(parent).startSpan(
    call.method,
    { kind: SpanKind.CLIENT, attributes: clientAttributes(call) },
    parent,
  )
}

/** Records the response status; 4xx and 5xx are errors on a CLIENT span (HTTP semconv). */
export function recordResponseStatus(span: Span, status: number): void {
  span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status)
  if (status >= 400) {
    span.setAttribute(ATTR_ERROR_TYPE, String(status))
    span.setStatus({ code: SpanStatusCode.ERROR })
  }
}

/** `error.type` of a failed call: the error's string `code`, else its `name`. */
export function errorType(error: unknown): string {
  const err = error as { name?: unknown; code?: unknown } | undefined
  // Node's and undici's codes are strings (ECONNREFUSED, UND_ERR_SOCKET); an AbortError's
  // DOMException code is a number
  const type = typeof err?.code === 'string' ? err.code : err?.name
  return typeof type === 'string' ? type : 'Error'
}

/** Marks the span failed with `error` and ends it. */
export function endWithError(span: Span, error: unknown): void {
  span.setAttribute(ATTR_ERROR_TYPE, errorType(error))
  span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error | undefined)?.message })
  span.end()
}

/**
 * `true` when the caller already put trace context on the request (e.g. `injectHeaders()`):
 * then the call gets no span and no headers of ours. Takes headers as an object (any case), a
 * flat `[name, value, ...]` list, or one `name: value\r\n` string (undici 6).
 */
export function hasTraceparent(headers: unknown): boolean {
  if (typeof headers === 'string') return headers.toLowerCase().includes('traceparent:')
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) {
      if (String(headers[i]).toLowerCase() === 'traceparent') return true
    }
    return false
  }
  if (typeof headers === 'object' && headers !== null) {
    for (const name of Object.keys(headers)) {
      if (name.length === 11 && name.toLowerCase() === 'traceparent') return true
    }
  }
  return false
}
