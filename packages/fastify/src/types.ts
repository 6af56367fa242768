import type { Context, Span } from '@opentelemetry/api'
import type { TraceOptions } from '@tracehop/core'

/** Options of `tracingPlugin`: every core option, plus what only Fastify has. */
export interface TracingPluginOptions extends TraceOptions {
  /**
   * Bind `trace_id` and `span_id` into `request.log` (a pino child logger), so every log line of a
   * traced request carries them. Default `true`.
   */
  logCorrelation?: boolean
}

/**
 * Per-route tracing, as `config.tracing` of a route: `false` leaves the route untraced; an object
 * overrides the plugin's options for that route (merged over them, validated when the route is added).
 */
export type RouteTracingConfig = false | TracingPluginOptions

/** What `request.tracing` gives a handler or hook. */
export interface RequestTracing {
  /**
   * `false` when the request is not traced: ignored, `config.tracing: false`, or read before
   * tracehop's `onRequest` hook ran (a hook added before the plugin).
   */
  readonly traced: boolean
  /** The SERVER span; a non-recording span when the request is not traced. */
  readonly span: Span
  /** The request's context (span, baggage, request attributes); the active context when not traced. */
  readonly context: Context
  /** The trace id (32 hex digits); `''` when the request is not traced. */
  readonly traceId: string
  /** The server span's id (16 hex digits); `''` when the request is not traced. */
  readonly spanId: string
  /**
   * Writes the request's trace context (`traceparent`, `tracestate`, `baggage`) into `headers`
   * with the global propagator (tracehop's W3C default when none is registered), whatever
   * context is active where it is called, and returns them.
   * @example
   * await fetch(url, { headers: request.tracing.inject({ accept: 'application/json' }) })
   */
  inject<T extends Record<string, string>>(headers?: T): T & Record<string, string>
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The request's trace, set by `@tracehop/fastify` in its `onRequest` hook. Never null: an
     * untraced one (`traced: false`) before that hook, and for requests tracehop does not trace.
     */
    readonly tracing: RequestTracing
  }
  interface FastifyContextConfig {
    /** `false` leaves the route untraced; an object overrides the plugin's options for it. */
    tracing?: RouteTracingConfig
  }
}
