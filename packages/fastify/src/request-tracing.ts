import { context, INVALID_SPAN_CONTEXT, trace, type Context, type Span } from '@opentelemetry/api'
import { injectHeaders, type RequestTrace } from '@tracehop/core'
import type { RequestTracing } from './types.js'

/** Where the lifecycle of a request has got to, for the lost-context diagnostic. */
export interface HookSite {
  /** `onRequest`, `preHandler`, `handler`, ... */
  readonly kind: string
  /** How the diagnostic names it: `preHandler hook checkUser`, `handler of GET /orders/:id`. */
  readonly label: string
  /** Its entry is checked for a foreign context (the hooks Fastify chains one after another). */
  readonly checked: boolean
}

/** Where the request keeps its `request.tracing` (read through a getter that is never null). */
export const kTracing = Symbol('tracehop.fastify.tracing')
/** The request's core `RequestTrace`. */
export const kTrace = Symbol('tracehop.fastify.trace')
/** The last chained step entered for the request. */
export const kLast = Symbol('tracehop.fastify.last-site')
/** The context active when that step was entered. */
export const kEntry = Symbol('tracehop.fastify.entry-context')
/** Whether the lost-context diagnostic is on for the request's lifecycle. */
export const kDiagnostics = Symbol('tracehop.fastify.diagnostics')

/** `request.tracing` of a traced request; it also carries what the hook wrappers track. */
export class TracedRequestTracing implements RequestTracing {
  readonly [kTrace]: RequestTrace
  readonly [kDiagnostics]: boolean;
  /** The last hook (or handler) entered for this request. */
  [kLast]: HookSite;
  /** The context that was active when that hook was entered, before tracehop re-entered the request's. */
  [kEntry]: Context

  constructor(requestTrace: RequestTrace, diagnostics: boolean, start: HookSite) {
    this[kTrace] = requestTrace
    this[kDiagnostics] = diagnostics
    this[kLast] = start
    this[kEntry] = requestTrace.context
  }

  get traced(): boolean {
    return true
  }

  get span(): Span {
    return this[kTrace].span
  }

  get context(): Context {
    return this[kTrace].context
  }

  get traceId(): string {
    return this[kTrace].span.spanContext().traceId
  }

  get spanId(): string {
    return this[kTrace].span.spanContext().spanId
  }

  inject<T extends Record<string, string>>(headers?: T): T & Record<string, string> {
    return injectHeaders((headers ?? {}) as T & Record<string, string>, this[kTrace].context)
  }
}

const NON_RECORDING = trace.wrapSpanContext(INVALID_SPAN_CONTEXT)

/** `request.tracing` of a request that is not traced: one shared, stateless instance. */
class UntracedRequestTracing implements RequestTracing {
  get traced(): boolean {
    return false
  }

  get span(): Span {
    return NON_RECORDING
  }

  get context(): Context {
    return context.active()
  }

  get traceId(): string {
    return ''
  }

  get spanId(): string {
    return ''
  }

  inject<T extends Record<string, string>>(headers?: T): T & Record<string, string> {
    return injectHeaders((headers ?? {}) as T & Record<string, string>, context.active())
  }
}

/** `request.tracing` of every request that is not traced. */
export const UNTRACED: RequestTracing = new UntracedRequestTracing()
