// CLIENT spans and context propagation for fetch() and undici, through the diagnostics channels
// undici publishes (Node's own fetch included). Nothing is patched, so it works the same under
// ESM, CommonJS and bundlers.
import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type TextMapSetter,
  type Tracer,
} from '@opentelemetry/api'
import { isTracingSuppressed } from '@opentelemetry/core'
import diagnosticsChannel from 'node:diagnostics_channel'

/** The parts of undici's request object the channels hand us. */
interface UndiciRequest {
  method?: string
  origin?: string | { toString(): string }
  path?: string
  headers?: string | string[]
  addHeader?(name: string, value: string): unknown
}

interface UndiciResponse {
  statusCode?: number
}

const kSpan = Symbol('tracehop.fetchSpan')
type TrackedRequest = UndiciRequest & { [kSpan]?: Span }

const setter: TextMapSetter<UndiciRequest> = {
  set(request, key, value) {
    request.addHeader?.(key, value)
  },
}

/** `true` when the caller already put trace context on the request (e.g. `injectHeaders()`). */
function hasTraceparent(headers: UndiciRequest['headers']): boolean {
  // undici 6 keeps headers as one `name: value\r\n` string, in the caller's case
  if (typeof headers === 'string') return headers.toLowerCase().includes('traceparent:')
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) {
      if (String(headers[i]).toLowerCase() === 'traceparent') return true
    }
  }
  return false
}

function splitOrigin(origin: string): { scheme: string; host: string; port: number } {
  const schemeEnd = origin.indexOf('://')
  const scheme = schemeEnd === -1 ? 'http' : origin.slice(0, schemeEnd)
  const hostPort = origin.slice(schemeEnd === -1 ? 0 : schemeEnd + 3)
  const colon = hostPort.lastIndexOf(':')
  const bracket = hostPort.lastIndexOf(']')
  if (colon !== -1 && colon > bracket) {
    return { scheme, host: hostPort.slice(0, colon), port: Number(hostPort.slice(colon + 1)) }
  }
  return { scheme, host: hostPort, port: scheme === 'https' ? 443 : 80 }
}

/** Chooses the tracer for a CLIENT span from its parent context. */
export type TracerFor = (parent: Context) => Tracer

/**
 * Subscribes to undici's request channels; returns the function that unsubscribes.
 * Each request gets a CLIENT span (child of the active span) and the configured propagator's
 * headers, unless tracing is suppressed or the caller set `traceparent` itself.
 */
export function traceFetch(tracerFor: TracerFor): () => void {
  const onCreate = (message: unknown): void => {
    const request = (message as { request: TrackedRequest }).request
    const parent = context.active()
    if (isTracingSuppressed(parent) || hasTraceparent(request.headers)) return
    const method = request.method ?? 'GET'
    const origin = String(request.origin ?? '')
    const { scheme, host, port } = splitOrigin(origin)
    const path = request.path ?? '/'
    const query = path.indexOf('?')
    const span = tracerFor(parent).startSpan(
      method,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'http.request.method': method,
          'server.address': host,
          'server.port': port,
          // the query string can carry secrets; it is left out
          'url.full': `${scheme}://${host}:${port}${query === -1 ? path : path.slice(0, query)}`,
        },
      },
      parent,
    )
    request[kSpan] = span
    propagation.inject(trace.setSpan(parent, span), request, setter)
  }
  const onHeaders = (message: unknown): void => {
    const { request, response } = message as { request: TrackedRequest; response: UndiciResponse }
    const span = request[kSpan]
    if (!span) return
    const status = response.statusCode ?? 0
    span.setAttribute('http.response.status_code', status)
    if (status >= 400) {
      span.setAttribute('error.type', String(status))
      span.setStatus({ code: SpanStatusCode.ERROR })
    }
  }
  const onTrailers = (message: unknown): void => {
    const { request } = message as { request: TrackedRequest }
    const span = request[kSpan]
    if (!span) return
    request[kSpan] = undefined
    span.end()
  }
  const onError = (message: unknown): void => {
    const { request, error } = message as { request: TrackedRequest; error: unknown }
    const span = request[kSpan]
    if (!span) return
    request[kSpan] = undefined
    const err = error as { name?: unknown; code?: unknown; message?: string } | undefined
    // undici's codes are strings (UND_ERR_SOCKET); an AbortError's DOMException code is a number
    const type = typeof err?.code === 'string' ? err.code : err?.name
    span.setAttribute('error.type', typeof type === 'string' ? type : 'Error')
    span.setStatus({ code: SpanStatusCode.ERROR, message: err?.message })
    span.end()
  }
  const channels: [string, (message: unknown) => void][] = [
    ['undici:request:create', onCreate],
    ['undici:request:headers', onHeaders],
    ['undici:request:trailers', onTrailers],
    ['undici:request:error', onError],
  ]
  for (const [name, listener] of channels) diagnosticsChannel.subscribe(name, listener)
  return () => {
    for (const [name, listener] of channels) diagnosticsChannel.unsubscribe(name, listener)
  }
}
