// CLIENT spans and context propagation for fetch() and undici, through the diagnostics channels
// undici publishes (Node's own fetch included). Nothing is patched, so it works the same under
// ESM, CommonJS and bundlers.
import { context, propagation, trace, type TextMapSetter } from '@opentelemetry/api'
import { isTracingSuppressed } from '@opentelemetry/core'
import {
  endWithError,
  hasTraceparent,
  kClientSpan,
  recordResponseStatus,
  startClientSpan,
  takeSpan,
  type TracerFor,
  type WithClientSpan,
} from './client-span.js'
import { subscribeChannels } from './channels.js'

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

type TrackedRequest = UndiciRequest & WithClientSpan

const setter: TextMapSetter<UndiciRequest> = {
  set(request, key, value) {
    request.addHeader?.(key, value)
  },
}

/** Scheme, host (IPv6 without its brackets) and port of an origin such as `http://[::1]:8080`. */
function splitOrigin(origin: string): { scheme: string; host: string; port: number } {
  const schemeEnd = origin.indexOf('://')
  const scheme = schemeEnd === -1 ? 'http' : origin.slice(0, schemeEnd)
  let host = origin.slice(schemeEnd === -1 ? 0 : schemeEnd + 3)
  let port = scheme === 'https' ? 443 : 80
  const colon = host.lastIndexOf(':')
  if (colon !== -1 && colon > host.lastIndexOf(']')) {
    port = Number(host.slice(colon + 1))
    host = host.slice(0, colon)
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1)
  return { scheme, host, port }
}

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
    const { scheme, host, port } = splitOrigin(String(request.origin ?? ''))
    const span = startClientSpan(tracerFor, parent, {
      method: request.method ?? 'GET',
      scheme,
      host,
      port,
      target: request.path ?? '/',
    })
    request[kClientSpan] = span
    propagation.inject(trace.setSpan(parent, span), request, setter)
  }
  const onHeaders = (message: unknown): void => {
    const { request, response } = message as { request: TrackedRequest; response: UndiciResponse }
    const span = request[kClientSpan]
    if (!span) return
    recordResponseStatus(span, response.statusCode ?? 0)
  }
  const onTrailers = (message: unknown): void => {
    const { request } = message as { request: TrackedRequest }
    takeSpan(request)?.end()
  }
  const onError = (message: unknown): void => {
    const { request, error } = message as { request: TrackedRequest; error: unknown }
    const span = takeSpan(request)
    if (span) endWithError(span, error)
  }
  return subscribeChannels([
    ['undici:request:create', onCreate],
    ['undici:request:headers', onHeaders],
    ['undici:request:trailers', onTrailers],
    ['undici:request:error', onError],
  ])
}
