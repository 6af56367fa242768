import type {
  Attributes,
  Context,
  MeterProvider,
  Span,
  TextMapPropagator,
  TracerProvider,
} from '@opentelemetry/api'
import type { IncomingMessage, ServerResponse } from 'node:http'

/**
 * What an `ignore` rule is matched against. `path` never carries the query string;
 * `route` is the route template when the framework knows it at that point.
 */
export interface RequestInfo {
  readonly method: string
  readonly path: string
  readonly route: string | undefined
  readonly request: IncomingMessage
}

/**
 * One ignore rule: an exact string (a path such as `/healthz`, or a route template such as
 * `/users/:id/avatar`, which also matches the paths it describes), a RegExp tested against the
 * path and the route template, or a function that returns `true` to skip tracing the request.
 */
export type IgnoreRule = string | RegExp | ((info: RequestInfo) => boolean)

/**
 * What to do with trace context that arrives on a request.
 * - `continue`: the server span is a child of the remote parent (default).
 * - `link`: a new root trace, linked to the remote parent (for public endpoints).
 * - `ignore`: a new root trace, the incoming context is not used at all.
 */
export type TrustPolicy = 'continue' | 'link' | 'ignore'

/** What to do with incoming W3C baggage: keep it, drop it, or keep only the listed keys. */
export type BaggagePolicy = 'accept' | 'drop' | { readonly allow: readonly string[] }

/** Passed to a `spanName` function. */
export interface SpanNameInfo {
  readonly method: string
  readonly route: string | undefined
  readonly request: IncomingMessage
}

/** How a response ended, passed to a `StatusClassifier`. */
export interface StatusInfo {
  /**
   * `true` when the connection closed before the response was completely written (the client
   * went away, or the socket broke): `statusCode` is then what had been sent, if anything.
   */
  readonly aborted: boolean
}

/**
 * Decides whether a finished request is an error on the server span.
 * Return `true` for ERROR, `false` for UNSET. The default: an aborted response, status >= 500,
 * or a thrown error whose own status (`status`/`statusCode`) is not 4xx. An aborted response
 * classified as an error gets `error.type: aborted` (unless a 5xx status or an error says more).
 * Not asked about an unsampled request that no metric measures: nothing would record the answer.
 * @example
 * // an event stream the client closes is how it normally ends
 * isError: (status, error, { aborted }) => (aborted ? status !== 200 : status !== undefined && status >= 500)
 */
export type StatusClassifier = (
  statusCode: number | undefined,
  error: unknown,
  info: StatusInfo,
) => boolean

/** Which HTTP server metrics to record (the object form of the `metrics` option). */
export interface MetricsOptions {
  /** `http.server.request.duration` (histogram, seconds; stable). Default `true`. */
  duration?: boolean
  /** `http.server.active_requests` (up-down counter; Development status). Default `false`. */
  activeRequests?: boolean
}

/** Options shared by every tracehop adapter (`traceMiddleware`, `tracingPlugin`, `traceHandler`). */
export interface TraceOptions {
  /** Requests to leave untraced. Default: none. */
  ignore?: IgnoreRule | readonly IgnoreRule[]
  /**
   * Policy for incoming trace context, or a function choosing one per request (a throw or an
   * unknown answer continues). Default `'continue'`. When `@opentelemetry/instrumentation-http`
   * already opened the SERVER span, its own extraction applied and this policy does not.
   */
  trust?: TrustPolicy | ((request: IncomingMessage) => TrustPolicy)
  /** Policy for incoming baggage (applied to adopted instrumentation-http spans too). Default `'accept'`. */
  baggage?: BaggagePolicy
  /** Overrides the span name. Default `{METHOD} {route}`, or `{METHOD}` when no route matched. */
  spanName?: (info: SpanNameInfo) => string
  /** Called once the server span has started. */
  requestHook?: (span: Span, request: IncomingMessage) => void
  /** Called just before the server span ends; not for a span that records nothing (an unsampled request). */
  responseHook?: (span: Span, response: ServerResponse) => void
  /** Header names (case-insensitive) to record as `http.request.header.<name>` / `http.response.header.<name>`. */
  captureHeaders?: {
    readonly request?: readonly string[]
    readonly response?: readonly string[]
  }
  /** Extra header names whose captured values are replaced by `REDACTED` (added to the default list). */
  redactHeaders?: readonly string[]
  /**
   * Extra query parameter names whose values are replaced by `REDACTED` in `url.query` (added to
   * the default list, or to `sensitiveQueryParams` when given). Matched like the default list:
   * case-insensitively, through `-`/`_`/camelCase and inside bracket forms.
   * @see https://github.com/tracehop/tracehop/blob/main/docs/attributes.md#what-is-redacted
   */
  redactQueryParams?: readonly string[]
  /**
   * Replaces the default list of sensitive query parameters (`DEFAULT_REDACTED_QUERY_PARAMS`)
   * with these names; `redactQueryParams` still adds to it. `[]` redacts only `redactQueryParams`.
   * Default: the default list.
   * @example
   * sensitiveQueryParams: [...DEFAULT_REDACTED_QUERY_PARAMS.filter((name) => name !== 'state')]
   */
  sensitiveQueryParams?: readonly string[]
  /** Overrides which requests are errors. */
  isError?: StatusClassifier
  /**
   * Server metrics: `true` (default) records `http.server.request.duration`; `false` records
   * nothing; an object chooses each. `http.server.active_requests` is off unless asked for: it
   * is a Development-status metric in the HTTP semantic conventions and costs two more metric
   * calls per request (the duration is stable and costs one).
   * @example
   * metrics: { activeRequests: true } // the duration and the active requests
   */
  metrics?: boolean | MetricsOptions
  /** Tracer provider. Default: the global one. */
  tracerProvider?: TracerProvider
  /** Meter provider. Default: the global one. */
  meterProvider?: MeterProvider
  /** Propagator for incoming context. Default: the global one, or tracehop's W3C trace context + baggage when none is registered. */
  propagator?: TextMapPropagator
  /** Report layers entered with a foreign context through `diag`. Default: on unless `NODE_ENV === 'production'`. */
  lostContextDiagnostics?: boolean
  /**
   * Believe `X-Forwarded-For` / `-Proto` / `-Host` (first entry) for `client.address`,
   * `url.scheme` and `server.address`. Only behind a proxy you control. Default `false`.
   */
  trustProxy?: boolean
}

/** The trace of one server request, kept on the request object. */
export interface RequestTrace {
  /** The SERVER span (ours, or the one `@opentelemetry/instrumentation-http` opened and we adopted). */
  readonly span: Span
  /** The request's context. Middleware may replace it (baggage, attributes) and later layers see it. */
  context: Context
  /** `true` when the span belongs to `@opentelemetry/instrumentation-http` and we only enrich it. */
  readonly adopted: boolean
  /** The route template set so far (by `start()` or `setRoute`), or `undefined`. */
  readonly route: string | undefined
  /**
   * Sets the route template (`/api/orders/:id`), or clears it with `undefined` (the route passed
   * the request on). The last one set becomes `http.route` and the span's name when the span
   * ends, before `responseHook` runs. A route given to `start()` is on the span from its start
   * (samplers see it): another can replace it, but clearing it does not remove that attribute.
   */
  setRoute(route: string | undefined): void
  /** Records an error seen by the framework (thrown, passed to `next`, `reply.send(err)`). */
  recordError(error: unknown): void
  /** Adds attributes to the server span. */
  setAttributes(attributes: Attributes): void
  /** Ends the span now if it has not ended (the engine ends it itself on `finish`/`close`). */
  end(): void
  /**
   * `true` once the span has ended. For a span that records nothing and a request no metric
   * measures, once the response has gone out or the client went away.
   */
  readonly ended: boolean
}

/** A normalised, validated set of options, made once per adapter instance. */
export interface RequestLifecycle {
  /**
   * Starts tracing a request: skips ignored ones (returns `undefined`), extracts or adopts,
   * starts the SERVER span, stores the trace on the request, and arranges to end it after the
   * response is written or the client goes away.
   */
  start(
    request: IncomingMessage,
    response: ServerResponse,
    route?: string,
  ): RequestTrace | undefined
  /** `true` when lost-context diagnostics are on for this instance. */
  readonly diagnostics: boolean
}

/** Fields for structured log lines. */
export interface LogFields {
  trace_id: string
  span_id: string
  trace_flags: string
}

/**
 * Records one request's `http.server.request.duration` from the values its attributes hold, so
 * that a recorder can find the request's series without building an attribute object.
 * @see https://github.com/tracehop/tracehop/blob/main/docs/metrics.md
 */
export interface DurationRecorder {
  record(
    seconds: number,
    method: string,
    scheme: string,
    route: string | undefined,
    statusCode: number | undefined,
    errorType: string | undefined,
    protocolVersion: string | undefined,
    ctx: Context,
  ): void
}

/** One point of `http.server.request.duration`, as a `DurationHistogram` reader exports it. */
export interface DurationPoint {
  readonly attributes: Attributes
  /** Epoch milliseconds of the first measurement it holds (delta: or of the last collection). */
  readonly startTime: number
  /** Epoch milliseconds of the collection. */
  readonly endTime: number
  readonly count: number
  readonly sum: number
  readonly min: number
  readonly max: number
  /** Upper bounds of the buckets: `DURATION_BUCKETS`. */
  readonly boundaries: number[]
  /** One more than the boundaries: the last bucket counts what lies above the last bound. */
  readonly counts: number[]
}

/** How a reader wants its points: totals since the start, or what came since it last collected. */
export type DurationTemporality = 'cumulative' | 'delta'
