import {
  context,
  createContextKey,
  propagation,
  type Attributes,
  type BaggageEntry,
  type Context,
} from '@opentelemetry/api'
import type { IncomingMessage } from 'node:http'
import { REQUEST_TRACE_KEY } from './constants.js'
import type { RequestTrace } from './types.js'

/** A request carrying its trace under the shared symbol. */
export interface TracedRequest {
  [REQUEST_TRACE_KEY]?: RequestTrace
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
