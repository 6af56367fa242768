// CLIENT spans and context propagation for http.request, https.request and http.get.
// On Node >= 22.12 through node:http's diagnostics channels: `http.client.request.created` is
// published while the request is constructed, before its headers are written, so the
// propagator's headers can still be set, and nothing is patched. Node 20 publishes only
// `http.client.request.start`, after the headers are written; there instrumentation-http's patch
// records the span, configured here to record the same `url.full` and follow the same rules.
import {
  context,
  propagation,
  SpanStatusCode,
  trace,
  type Span,
  type TextMapSetter,
} from '@opentelemetry/api'
import { isTracingSuppressed } from '@opentelemetry/core'
import type { HttpInstrumentationConfig } from '@opentelemetry/instrumentation-http'
import { ATTR_ERROR_TYPE, ATTR_URL_FULL } from '@opentelemetry/semantic-conventions'
import { ERROR_TYPE_ABORTED } from '@tracehop/core'
import type { ClientRequest, IncomingMessage } from 'node:http'
import {
  clientUrl,
  endWithError,
  hasTraceparent,
  kClientSpan,
  recordResponseStatus,
  startClientSpan,
  takeSpan,
  type ClientCall,
  type TracerFor,
  type WithClientSpan,
} from './client-span.js'
import { subscribeChannels } from './channels.js'

/** `true` on the Node versions that publish `http.client.request.created` (22.12, 23.2 and later). */
export function hasRequestCreatedChannel(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number)
  return major > 23 || (major === 23 && minor >= 2) || (major === 22 && minor >= 12)
}

/** Whether this process traces node:http through its channels (else through instrumentation-http). */
export const HTTP_CHANNELS = hasRequestCreatedChannel(process.versions.node)

type TrackedRequest = ClientRequest & WithClientSpan & { res?: IncomingMessage | null }

const setter: TextMapSetter<ClientRequest> = {
  set(request, key, value) {
    request.setHeader(key, value)
  },
}

/** Where a constructed request goes, read from the request itself. */
function callOf(request: ClientRequest): ClientCall {
  // The port the request connects to is not kept on it; Node writes it into the Host header
  // unless it is the protocol's default.
  const hostHeader = request.getHeader('host')
  let port = (request as { agent?: { defaultPort?: number } }).agent?.defaultPort
  if (typeof hostHeader === 'string') {
    const colon = hostHeader.lastIndexOf(':')
    if (colon !== -1 && colon > hostHeader.lastIndexOf(']')) {
      port = Number(hostHeader.slice(colon + 1))
    }
  }
  const scheme = request.protocol.replace(/:$/, '')
  return {
    method: request.method,
    scheme,
    host: request.host,
    port: port ?? (scheme === 'https' ? 443 : 80),
    target: request.path,
  }
}

/** Marks the span of a request whose response stopped before its end (destroyed, connection lost). */
function markCutShort(span: Span, request: TrackedRequest): void {
  const response = request.res
  if (response && !response.complete && span.isRecording()) {
    span.setAttribute(ATTR_ERROR_TYPE, ERROR_TYPE_ABORTED)
    span.setStatus({ code: SpanStatusCode.ERROR })
  }
}

/** Ends the span once the request is over: response read to its end, or the request gone. */
function endOnClose(this: TrackedRequest): void {
  const span = takeSpan(this)
  if (!span) return
  markCutShort(span, this)
  span.end()
}

/**
 * Subscribes to node:http's client channels (Node >= 22.12); returns the function that
 * unsubscribes. Each request gets a CLIENT span (child of the active span) and the configured
 * propagator's headers, unless tracing is suppressed or the caller set `traceparent` itself.
 */
export function traceHttpRequests(tracerFor: TracerFor): () => void {
  const onCreated = (message: unknown): void => {
    const request = (message as { request: TrackedRequest }).request
    const parent = context.active()
    // Headers given as a raw [name, value, ...] array are written while the request is
    // constructed, before this channel: nothing can be added, nor a caller's traceparent seen.
    if (isTracingSuppressed(parent) || request.headersSent) return
    if (request.getHeader('traceparent') !== undefined) return
    const span = startClientSpan(tracerFor, parent, callOf(request))
    request[kClientSpan] = span
    propagation.inject(trace.setSpan(parent, span), request, setter)
    request.once('close', endOnClose)
  }
  const onResponse = (message: unknown): void => {
    // published when the response head arrives, before the body
    const { request, response } = message as { request: TrackedRequest; response: IncomingMessage }
    const span = request[kClientSpan]
    if (span) recordResponseStatus(span, response.statusCode ?? 0)
  }
  const onError = (message: unknown): void => {
    const { request, error } = message as { request: TrackedRequest; error: unknown }
    const span = takeSpan(request)
    if (span) endWithError(span, error)
  }
  return subscribeChannels([
    ['http.client.request.created', onCreated],
    ['http.client.response.finish', onResponse],
    ['http.client.request.error', onError],
  ])
}

/**
 * instrumentation-http's options on Node 20, so that its CLIENT spans look like the others:
 * outgoing side only (the adapters own SERVER spans), no span for a call whose caller set
 * `traceparent`, `url.full` sanitized, `error.type` on 4xx/5xx and on a response cut short (a
 * failed call keeps the instrumentation's `error.type`, the error's name). Its own
 * `url.full` keeps the query beyond a few signature names; the request hook replaces it
 * synchronously, right after the request is constructed, before anything is sent or exported.
 */
export function httpInstrumentationConfig(): HttpInstrumentationConfig {
  return {
    disableIncomingRequestInstrumentation: true,
    ignoreOutgoingRequestHook: (options) => hasTraceparent(options.headers),
    requestHook: (span, request) => {
      if (!('path' in request)) return
      span.setAttribute(ATTR_URL_FULL, clientUrl(callOf(request)))
      // runs before the instrumentation's own close listener, which ends the span
      request.once('close', () => markCutShort(span, request))
    },
    responseHook: (span, response) => recordResponseStatus(span, response.statusCode ?? 0),
  }
}
