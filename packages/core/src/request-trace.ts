import {
  context,
  createContextKey,
  propagation,
  type Attributes,
  type BaggageEntry,
  type Context,
} from '@opentelemetry/api'
import { subscribe } from 'node:diagnostics_channel'
import type { IncomingMessage } from 'node:http'
import { REQUEST_TRACE_KEY, TRACE_SLOTS_KEY } from './constants.js'
import type { RequestTrace } from './types.js'

/** A request carrying its trace under the shared symbol. */
export interface TracedRequest {
  [REQUEST_TRACE_KEY]?: RequestTrace
}

/**
 * Makes Node give every HTTP/1 request an empty trace slot (`REQUEST_TRACE_KEY` set to
 * `undefined`) before the server's `request` listeners run, so that a lifecycle later fills a
 * property the request already has instead of adding one. Once per process; later calls do nothing.
 *
 * Adapters for frameworks that re-prototype the request call it (Express does, for every request).
 * On V8 11-12 (Node 20 and 22) each property added to such an object makes a hidden class of its
 * own, which costs 2.5-3.5 µs for the trace's one property; filling a property the request had
 * before the re-prototyping costs 0.2-0.9 µs. Node publishes `http.server.request.start` just before it
 * emits `request`, while the request still has the shape every request of the process shares.
 * HTTP/2 requests have no such channel and keep adding the property.
 */
export function reserveRequestTraceSlots(): void {
  const global = globalThis as { [TRACE_SLOTS_KEY]?: true }
  if (global[TRACE_SLOTS_KEY] === true) return
  global[TRACE_SLOTS_KEY] = true
  subscribe('http.server.request.start', reserveSlot)
}

function reserveSlot(message: unknown): void {
  // a subscriber's exception would reach the process as an uncaught one: whatever is published
  // here (a frozen object, a hostile proxy), it is left as it is
  try {
    const request = (message as { request?: TracedRequest } | null | undefined)?.request
    if (typeof request === 'object' && request !== null && !(REQUEST_TRACE_KEY in request))
      request[REQUEST_TRACE_KEY] = undefined
  } catch {
    // not a request this slot can be added to
  }
}

/** Context key of the attributes `setRequestAttributes` added; `withSpan` copies them to child spans. */
export const REQUEST_ATTRIBUTES_KEY = createContextKey('tracehop.request-attributes')

/**
 * The trace of a request, or `undefined` when no tracehop adapter traced it (not installed, or
 * the request matched an `ignore` rule).
 * @example
 * const span = tryGetRequestTrace(req)?.span
 */
export function tryGetRequestTrace(request: IncomingMessage | object): RequestTrace | undefined {
  return (request as TracedRequest)[REQUEST_TRACE_KEY]
}

/**
 * The trace of a request; throws when the request is not traced.
 * @example
 * getRequestTrace(req).setRoute('/orders/:id')
 */
export function getRequestTrace(request: IncomingMessage | object): RequestTrace {
  const found = (request as TracedRequest)[REQUEST_TRACE_KEY]
  if (found === undefined) {
    throw new Error(
      '@tracehop/core: this request is not traced: no tracehop adapter started a trace for it, or it matched an "ignore" rule',
    )
  }
  return found
}

/**
 * Runs `fn` inside the request's context (its server span, baggage and request attributes), or
 * as it is when the request is not traced. Returns what `fn` returns.
 * @example
 * legacyPool.query(sql, (err, rows) => runInRequestContext(req, () => next(err)))
 */
export function runInRequestContext<T>(request: IncomingMessage | object, fn: () => T): T {
  const found = tryGetRequestTrace(request)
  return found === undefined ? fn() : context.with(found.context, fn)
}

/**
 * Adds baggage entries to the request's context: the layers after this one, their outgoing
 * calls (`injectHeaders`, instrumented clients) and `runInRequestContext` see them. Code already
 * running keeps its context; adapters re-enter the request's context at the next layer.
 * Does nothing when the request is not traced.
 * @example
 * setRequestBaggage(req, { 'tenant.id': tenant })
 */
export function setRequestBaggage(
  request: IncomingMessage | object,
  entries: Readonly<Record<string, string | BaggageEntry>>,
): void {
  const found = tryGetRequestTrace(request)
  if (found === undefined) return
  let baggage = propagation.getBaggage(found.context) ?? propagation.createBaggage()
  for (const key of Object.keys(entries)) {
    const entry = entries[key]
    if (entry === undefined) continue
    baggage = baggage.setEntry(key, typeof entry === 'string' ? { value: entry } : entry)
  }
  found.context = propagation.setBaggage(found.context, baggage)
}

/**
 * Adds attributes to the request's server span and keeps them in the request's context, so
 * spans that `withSpan` starts later in the request (in later layers, or after
 * `runInRequestContext`) carry them too. Does nothing when the request is not traced.
 * @example
 * setRequestAttributes(req, { 'enduser.id': user.id })
 */
export function setRequestAttributes(
  request: IncomingMessage | object,
  attributes: Attributes,
): void {
  const found = tryGetRequestTrace(request)
  if (found === undefined) return
  found.setAttributes(attributes)
  const previous = found.context.getValue(REQUEST_ATTRIBUTES_KEY) as Attributes | undefined
  found.context = found.context.setValue(REQUEST_ATTRIBUTES_KEY, { ...previous, ...attributes })
}

/** The attributes `setRequestAttributes` placed in `ctx`, if any. */
export function requestAttributes(ctx: Context): Attributes | undefined {
  return ctx.getValue(REQUEST_ATTRIBUTES_KEY) as Attributes | undefined
}
