import {
  context,
  isSpanContextValid,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type SpanOptions,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api'
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions'
import { currentPropagator } from './active-propagator.js'
import { INSTRUMENTATION_SCOPE } from './constants.js'
import { exceptionType, toException } from './lifecycle.js'
import { requestAttributes } from './request-trace.js'
import type { LogFields } from './types.js'
import { VERSION } from './version.js'

/** Options of `withSpan`: the usual span options, plus where the span comes from. */
export interface WithSpanOptions extends SpanOptions {
  /** Tracer provider. Default: the global one. */
  tracerProvider?: TracerProvider
  /** Parent context. Default: the active context. */
  context?: Context
}

/** The tracer for `provider`, or the global one (looked up per call: the global provider may change). */
export function tracerFor(provider: TracerProvider | undefined): Tracer {
  return (provider ?? trace.getTracerProvider()).getTracer(INSTRUMENTATION_SCOPE, VERSION)
}

/** Marks `span` failed by `error`: exception event, ERROR status, `error.type`. */
export function failSpan(span: Span, error: unknown): void {
  span.recordException(toException(error))
  span.setAttribute(ATTR_ERROR_TYPE, exceptionType(error))
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : undefined,
  })
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}

/**
 * Runs `fn` inside `span` (made current), ends the span when `fn` returns or its promise
 * settles, and marks it failed when `fn` throws or rejects. Returns what `fn` returns (the
 * promise of an async `fn` is replaced by an equivalent one that settles after the span ends).
 */
export function runInSpan<T>(span: Span, ctx: Context, fn: (span: Span) => T): T {
  let result: T
  try {
    result = context.with(trace.setSpan(ctx, span), fn, undefined, span)
  } catch (error) {
    failSpan(span, error)
    span.end()
    throw error
  }
  if (isPromiseLike(result)) {
    return Promise.resolve(result).then(
      (value) => {
        span.end()
        return value
      },
      (error: unknown) => {
        failSpan(span, error)
        span.end()
        throw error
      },
    ) as T
  }
  span.end()
  return result
}

/**
 * Runs `fn` in a new child span of the active one: sync or async, the span always ends, a
 * throw or rejection is recorded as an exception with status ERROR and rethrown. Attributes a
 * middleware added with `setRequestAttributes` are copied onto the span.
 * @example
 * const order = await withSpan('inventory.reserve', { attributes: { 'order.id': id } }, async (span) => reserve(id))
 */
export function withSpan<T>(name: string, fn: (span: Span) => T): T
export function withSpan<T>(name: string, options: WithSpanOptions, fn: (span: Span) => T): T
export function withSpan<T>(
  name: string,
  optionsOrFn: WithSpanOptions | ((span: Span) => T),
  maybeFn?: (span: Span) => T,
): T {
  const fn = typeof optionsOrFn === 'function' ? optionsOrFn : maybeFn
  if (typeof fn !== 'function') {
    throw new TypeError('@tracehop/core: withSpan(name, [options], fn) needs a function')
  }
  const options: WithSpanOptions = typeof optionsOrFn === 'function' ? {} : (optionsOrFn ?? {})
  const parent = options.context ?? context.active()
  const inherited = requestAttributes(parent)
  const spanOptions: SpanOptions = {
    kind: options.kind,
    attributes: options.attributes,
    links: options.links,
    startTime: options.startTime,
    root: options.root,
  }
  if (inherited !== undefined) {
    spanOptions.attributes = { ...inherited, ...spanOptions.attributes }
  }
  const span = tracerFor(options.tracerProvider).startSpan(name, spanOptions, parent)
  return runInSpan(span, parent, fn)
}

/**
 * The active span, or `undefined` outside any span.
 * @example
 * activeSpan()?.addEvent('cache.miss')
 */
export function activeSpan(): Span | undefined {
  return trace.getActiveSpan()
}

/**
 * The active trace id (32 hex digits), or `undefined` outside a valid trace.
 * @example
 * res.setHeader('x-trace-id', traceId() ?? '')
 */
export function traceId(): string | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext()
  return spanContext !== undefined && isSpanContextValid(spanContext)
    ? spanContext.traceId
    : undefined
}

/**
 * `trace_id`, `span_id` and `trace_flags` (two hex digits) of the active span for structured
 * log lines; an empty object outside a valid trace, so it can always be spread or passed to
 * `logger.child()`.
 * @example
 * logger.info({ ...logFields(), orderId }, 'reserved')
 */
export function logFields(): LogFields | Record<string, never> {
  const spanContext = trace.getActiveSpan()?.spanContext()
  // a fresh object: callers may add their own fields to it
  if (spanContext === undefined || !isSpanContextValid(spanContext)) return {}
  return {
    trace_id: spanContext.traceId,
    span_id: spanContext.spanId,
    trace_flags: (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0'),
  }
}

/** Something headers can be written to: a plain object or a `Headers`/`Map`-like with `set()`. */
export type HeaderCarrier = Record<string, unknown> | { set(name: string, value: string): unknown }

/** Something headers can be read from: a plain object (any case, string/Buffer/array values) or a `Headers`/`Map`-like with `get()`. */
export type HeaderSource =
  Readonly<Record<string, unknown>> | { get(name: string): unknown; keys?(): Iterable<string> }

const carrierSetter: TextMapSetter<HeaderCarrier> = {
  set(carrier, key, value) {
    if (typeof (carrier as { set?: unknown }).set === 'function') {
      ;(carrier as { set(name: string, value: string): unknown }).set(key, value)
    } else {
      ;(carrier as Record<string, unknown>)[key] = value
    }
  },
}

function headerText(value: unknown): string | string[] | undefined {
  if (typeof value === 'string') return value
  if (Array.isArray(value)) {
    return value.map(headerText).filter((item): item is string => typeof item === 'string')
  }
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8')
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return undefined
}

const carrierGetter: TextMapGetter<HeaderSource> = {
  get(carrier, key) {
    if (typeof (carrier as { get?: unknown }).get === 'function') {
      return headerText((carrier as { get(name: string): unknown }).get(key))
    }
    const record = carrier as Readonly<Record<string, unknown>>
    const direct = record[key]
    if (direct !== undefined) return headerText(direct)
    // message headers keep whatever case the producer used
    for (const name of Object.keys(record)) {
      if (name.toLowerCase() === key) return headerText(record[name])
    }
    return undefined
  },
  keys(carrier) {
    if (typeof (carrier as { get?: unknown }).get === 'function') {
      const keys = (carrier as { keys?(): Iterable<string> }).keys
      return typeof keys === 'function' ? [...keys.call(carrier)] : []
    }
    return Object.keys(carrier)
  },
}

/**
 * Writes the trace context (and baggage) of `ctx` — the active context by default — into
 * `headers` with the global propagator (tracehop's W3C default when none is registered), and
 * returns `headers` (a new object when omitted).
 * @example
 * await fetch(url, { headers: injectHeaders({ accept: 'application/json' }) })
 */
export function injectHeaders<T extends HeaderCarrier = Record<string, string>>(
  headers?: T,
  ctx: Context = context.active(),
): T {
  const carrier = headers ?? ({} as T)
  currentPropagator().inject(ctx, carrier, carrierSetter)
  return carrier
}

/**
 * Reads trace context and baggage from `headers` (plain object in any case, `Headers`, Buffer
 * values) into a context based on `base` (the active context by default). Never throws on bad
 * input; invalid context means "no parent".
 * @example
 * context.with(extractContext(message.properties.headers), () => handle(message))
 */
export function extractContext(
  headers: HeaderSource | undefined | null,
  base: Context = context.active(),
): Context {
  if (headers === undefined || headers === null || typeof headers !== 'object') return base
  return currentPropagator().extract(base, headers, carrierGetter)
}
