import {
  context,
  defaultTextMapGetter,
  diag,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type SpanContext,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api'
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_QUERY,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TLSSocket } from 'node:tls'
import { currentPropagator } from './active-propagator.js'
import {
  ADAPTER_STATE_KEY,
  ATTR_TRACEHOP_REMOTE_PARENT_POLICY,
  ERROR_TYPE_ABORTED,
  INSTRUMENTATION_SCOPE,
  REQUEST_TRACE_KEY,
} from './constants.js'
import { InstrumentCache, type ServerInstruments } from './metrics.js'
import { normalizeOptions, type NormalizedOptions } from './options.js'
import { captureRequestHeaders, captureResponseHeaders } from './redact.js'
import type { TracedRequest } from './request-trace.js'
import type {
  RequestLifecycle,
  RequestTrace,
  StatusInfo,
  TraceOptions,
  TrustPolicy,
} from './types.js'
import {
  dropsUnsampledParents,
  isUnsampledParent,
  rootSamplerOf,
  unsampledSpan,
} from './unsampled.js'
import { VERSION } from './version.js'

// `@opentelemetry/core` keeps the RPC metadata of an instrumentation-http server span under this
// context key (createContextKey uses Symbol.for). Read here without depending on that package.
const RPC_METADATA_KEY = Symbol.for('OpenTelemetry SDK Context Key RPC_METADATA')
// `@opentelemetry/core`'s suppressTracing() flag, read the same way.
const SUPPRESS_TRACING_KEY = Symbol.for('OpenTelemetry SDK Context Key SUPPRESS_TRACING')

interface RpcMetadata {
  type?: unknown
  span?: Span
  route?: string
  [kClaimed]?: IncomingMessage
}

const kClaimed = Symbol('tracehop.claimed')

const KNOWN_METHODS: Readonly<Record<string, true>> = Object.assign(
  Object.create(null) as object,
  {
    CONNECT: true,
    DELETE: true,
    GET: true,
    HEAD: true,
    OPTIONS: true,
    PATCH: true,
    POST: true,
    PUT: true,
    TRACE: true,
    QUERY: true,
  } as const,
)

/** Reports a throwing user hook; the request goes on. */
function hookFailed(owner: string, hook: string, error: unknown): void {
  diag.error(`${owner}: "${hook}" threw; the request goes on`, error)
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

// The first entry of a comma-separated forwarding header, without allocating a split array.
function firstListEntry(value: string | string[] | undefined): string | undefined {
  const raw = firstValue(value)
  if (raw === undefined) return undefined
  const comma = raw.indexOf(',')
  const entry = (comma === -1 ? raw : raw.slice(0, comma)).trim()
  return entry === '' ? undefined : entry
}

/** Path and query of an absolute-form request target; `*` and other odd targets stay as they are. */
function originFormOf(url: string): string {
  const schemeEnd = url.indexOf('://')
  if (schemeEnd === -1) return url
  const pathStart = url.indexOf('/', schemeEnd + 3)
  if (pathStart !== -1) return url.slice(pathStart)
  const queryStart = url.indexOf('?', schemeEnd + 3)
  return queryStart === -1 ? '/' : `/${url.slice(queryStart)}`
}

function parsePort(text: string): number | undefined {
  if (text.length === 0 || text.length > 5) return undefined
  const port = Number(text)
  return Number.isInteger(port) && port > 0 && port <= 65535 ? port : undefined
}

/** Sets `server.address` and `server.port` from a Host or :authority value. Never throws. */
function setServerAddress(attributes: Attributes, host: string, scheme: string): void {
  let address: string
  let port: number | undefined
  if (host.charCodeAt(0) === 91 /* [ */) {
    const close = host.indexOf(']')
    if (close === -1) return
    address = host.slice(1, close)
    if (host.charCodeAt(close + 1) === 58 /* : */) port = parsePort(host.slice(close + 2))
  } else {
    const colon = host.indexOf(':')
    address = colon === -1 ? host : host.slice(0, colon)
    if (colon !== -1) port = parsePort(host.slice(colon + 1))
  }
  if (address === '') return
  attributes[ATTR_SERVER_ADDRESS] = address
  attributes[ATTR_SERVER_PORT] = port ?? (scheme === 'https' ? 443 : 80)
}

function protocolVersion(request: IncomingMessage): string | undefined {
  const version = request.httpVersion
  // semantic conventions spell HTTP/2 as "2"; Node reports "2.0"
  return version === '2.0' ? '2' : version
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown }
  if (typeof status === 'number') return status
  if (typeof statusCode === 'number') return statusCode
  return undefined
}

/** The default classifier: 5xx, or a recorded error that does not carry a 4xx status. */
function defaultIsError(
  statusCode: number | undefined,
  error: unknown,
  hasError: boolean,
): boolean {
  if (statusCode !== undefined && statusCode >= 500) return true
  if (!hasError) return false
  const own = statusOf(error)
  return own === undefined || own < 400 || own >= 500
}

/** `error.type` for an exception: its class name, or its `code` when the class says nothing more than `Error`. */
export function exceptionType(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '_OTHER'
  const ctorName = (error as { constructor?: { name?: unknown } }).constructor?.name
  const name =
    typeof ctorName === 'string' && ctorName !== '' && ctorName !== 'Object' ? ctorName : undefined
  // Every DOMException shares one class; its `name` (AbortError, TimeoutError) is what tells them apart.
  if (name === 'DOMException') {
    const own = (error as { name?: unknown }).name
    if (typeof own === 'string' && own !== '') return own
  }
  const code = (error as { code?: unknown }).code
  if ((name === undefined || name === 'Error') && typeof code === 'string' && code !== '')
    return code
  return name ?? '_OTHER'
}

/** Turns any thrown value into something `Span.recordException` accepts. */
export function toException(error: unknown): Error | string {
  if (error instanceof Error) return error
  if (typeof error === 'object' && error !== null) {
    const { message, name } = error as { message?: unknown; name?: unknown }
    const out = new Error(typeof message === 'string' ? message : String(describe(error)))
    if (typeof name === 'string') out.name = name
    return out
  }
  return String(error)
}

function describe(value: object): string {
  try {
    return JSON.stringify(value) ?? Object.prototype.toString.call(value)
  } catch {
    return Object.prototype.toString.call(value)
  }
}

// what a classifier is told about how the response ended: shared, frozen, no allocation per request
const ABORTED: StatusInfo = Object.freeze({ aborted: true })
const COMPLETED: StatusInfo = Object.freeze({ aborted: false })

/** How a request's trace comes to its end. */
const enum Ending {
  /** The response's `finish`: all of it, headers included, was handed to the operating system. */
  Finished,
  /** `close` without `finish`: the client went away (or the socket broke) first. */
  Aborted,
  /** `RequestTrace.end()`, called by the application. */
  Ended,
}

/** Whether a response is over: all of it went out, or its connection closed first. */
function responseOver(response: ServerResponse): boolean {
  return response.writableFinished || response.destroyed === true
}

/**
 * The live trace of one request. Methods are shared on the prototype; only the two listeners it
 * puts on the response are its own.
 *
 * A passive trace has a span that records nothing and no instrument to measure it (an unsampled
 * request without metrics): ending it would change nothing anyone sees, so it puts no listener on
 * the response (on Express's re-prototyped response each costs 1-2.5 µs on Node 20 and 22), and
 * reads from the response whether it has ended.
 */
class LiveRequestTrace implements RequestTrace {
  context: Context
  /** Set by `finish`: the span and the metrics have had the request's end. */
  private done = false
  // The response's listeners carry their trace: finding it on the response (or through `res.req`)
  // is a property lookup on an object Express re-prototypes for every request, and on Node 20 and
  // 22 each such lookup misses V8's caches (0.4-2 µs, bench/micro/express-access.cjs; a closure
  // costs a few ns).
  readonly onFinish = (): void => this.finish(Ending.Finished)
  readonly onClose = (): void => this.finish(Ending.Aborted)
  route: string | undefined;
  /** Where the adapter driving this request keeps its own state (see ADAPTER_STATE_KEY). */
  [ADAPTER_STATE_KEY]: unknown = undefined
  private error: unknown
  private hasError = false
  private readonly startedAt = performance.now()
  /** The route given to `start()`, already on the span as a start attribute and in its name. */
  private readonly startRoute: string | undefined

  constructor(
    private readonly engine: Lifecycle,
    readonly span: Span,
    ctx: Context,
    readonly adopted: boolean,
    private readonly request: IncomingMessage,
    readonly response: ServerResponse,
    private readonly spanMethod: string,
    route: string | undefined,
    private readonly rpc: RpcMetadata | undefined,
    /** `http.request.method` and `url.scheme` as the metrics record them. */
    private readonly method: string,
    private readonly scheme: string,
    private readonly activeAttributes: Attributes | undefined,
    private readonly instruments: ServerInstruments | undefined,
    private readonly passive: boolean,
  ) {
    this.context = ctx
    this.route = route
    this.startRoute = route
  }

  get ended(): boolean {
    return this.done || (this.passive && responseOver(this.response))
  }

  // `http.route` and the name follow the route when the request ends: a route a framework entered
  // may still pass the request on (and attributes cannot be removed from a span)
  setRoute(route: string | undefined): void {
    if (this.done || route === this.route || (route !== undefined && typeof route !== 'string'))
      return
    // a route set once the response finished is late, even before our `finish` listener ran:
    // Node 24 calls a `res.end(callback)` callback before the `finish` listeners. A response
    // not yet ended cannot have finished: its own `finished` field says so for a fifth of what
    // the `writableFinished` getter costs on Express's response under Node 20 and 22 (0.2 against
    // 0.9 µs, bench/micro/express-access.cjs)
    const response = this.response
    if (response.finished !== false && response.writableFinished) return
    this.route = route
    // instrumentation-http names its span and labels its metric from this field when it ends
    if (this.rpc !== undefined) this.rpc.route = route
  }

  recordError(error: unknown): void {
    if (this.done) return
    this.error = error
    this.hasError = true
    // an unsampled span keeps nothing: spare building the exception
    if (this.span.isRecording()) this.span.recordException(toException(error))
  }

  setAttributes(attributes: Attributes): void {
    if (!this.done) this.span.setAttributes(attributes)
  }

  end(): void {
    this.finish(Ending.Ended)
  }

  /** Ends the trace, once. */
  private finish(ending: Ending): void {
    if (this.done) return
    this.done = true
    const aborted = ending === Ending.Aborted
    const { options } = this.engine
    const response = this.response
    const span = this.span
    // An unsampled (non-recording) span keeps nothing: what only writes to it is skipped, and the
    // classification below still labels the duration metric. Our `close` listener runs before
    // instrumentation-http's (prepended), so an adopted span is normally still open here; should
    // it not be, touching it would only log warnings.
    const touchSpan = span.isRecording()
    // `finish` comes after the headers went out: only an abort or an early end() asks
    const statusCode =
      ending === Ending.Finished || response.headersSent ? response.statusCode : undefined

    let isError = aborted || defaultIsError(statusCode, this.error, this.hasError)
    if (options.isError !== undefined) {
      try {
        isError =
          options.isError(
            statusCode,
            this.hasError ? this.error : undefined,
            aborted ? ABORTED : COMPLETED,
          ) === true
      } catch (error) {
        diag.error(`${options.owner}: "isError" threw; the default classification is used`, error)
      }
    }

    let errorType: string | undefined
    if (isError) {
      if (statusCode !== undefined && statusCode >= 500) errorType = String(statusCode)
      else if (this.hasError) errorType = exceptionType(this.error)
      else if (aborted) errorType = ERROR_TYPE_ABORTED
      else errorType = statusCode === undefined ? '_OTHER' : String(statusCode)
    }

    if (touchSpan) {
      if (statusCode !== undefined && !this.adopted)
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, statusCode)
      if (options.responseHeaders.length > 0) {
        const captured = captureResponseHeaders(response, options.responseHeaders)
        if (captured !== undefined) span.setAttributes(captured)
      }
      const route = this.route
      if (route !== this.startRoute) {
        if (route !== undefined) span.setAttribute(ATTR_HTTP_ROUTE, route)
        span.updateName(this.engine.spanName(this.spanMethod, route, this.request))
      }
      if (errorType !== undefined) {
        span.setAttribute(ATTR_ERROR_TYPE, errorType)
        const message =
          this.hasError && this.error instanceof Error
            ? this.error.message
            : aborted
              ? 'the client closed the connection before the response was complete'
              : undefined
        span.setStatus(
          message === undefined
            ? { code: SpanStatusCode.ERROR }
            : { code: SpanStatusCode.ERROR, message },
        )
      }
      if (options.responseHook !== undefined) {
        try {
          options.responseHook(span, response)
        } catch (error) {
          hookFailed(options.owner, 'responseHook', error)
        }
      }
      if (!this.adopted) span.end()
    }

    const instruments = this.instruments
    if (instruments !== undefined) {
      // `finish`/`close` fire outside the request's context: pass it, so SDKs that sample
      // exemplars link the measurements to this request's trace
      const ctx = this.context
      instruments.active?.add(-1, this.activeAttributes, ctx)
      // instrumentation-http records the duration of spans it owns
      if (instruments.duration !== undefined && !this.adopted) {
        instruments.duration.record(
          (performance.now() - this.startedAt) / 1000,
          this.method,
          this.scheme,
          this.route,
          statusCode,
          errorType,
          protocolVersion(this.request),
          ctx,
        )
      }
    }
  }
}

/** One adapter instance's lifecycle: validated options, tracer and instruments, made once. */
class Lifecycle implements RequestLifecycle {
  readonly diagnostics: boolean
  private tracerProvider: TracerProvider | undefined
  private cachedTracer: Tracer | undefined
  private readonly instrumentCache: InstrumentCache | undefined

  constructor(readonly options: NormalizedOptions) {
    this.diagnostics = options.diagnostics
    this.instrumentCache = options.metrics
      ? new InstrumentCache(options.meterProvider, {
          duration: options.durationMetric,
          activeRequests: options.activeRequestsMetric,
        })
      : undefined
  }

  private tracerProviderNow(): TracerProvider {
    return this.options.tracerProvider ?? trace.getTracerProvider()
  }

  // The global provider object changes only when it is disabled and registered again; one
  // identity check per request keeps us on the current one.
  private tracer(): Tracer {
    const provider = this.tracerProviderNow()
    if (provider !== this.tracerProvider || this.cachedTracer === undefined) {
      this.tracerProvider = provider
      this.cachedTracer = provider.getTracer(INSTRUMENTATION_SCOPE, VERSION)
    }
    return this.cachedTracer
  }

  spanName(spanMethod: string, route: string | undefined, request: IncomingMessage): string {
    const fallback = route === undefined || route === '' ? spanMethod : `${spanMethod} ${route}`
    const custom = this.options.spanName
    if (custom === undefined) return fallback
    try {
      const name = custom({ method: request.method ?? 'GET', route, request })
      if (typeof name === 'string' && name !== '') return name
      diag.warn(
        `${this.options.owner}: "spanName" returned ${typeof name}, not a non-empty string; using "${fallback}"`,
      )
    } catch (error) {
      diag.error(`${this.options.owner}: "spanName" threw; using "${fallback}"`, error)
    }
    return fallback
  }

  private trustFor(request: IncomingMessage): TrustPolicy {
    const trust = this.options.trust
    if (typeof trust !== 'function') return trust
    try {
      const policy = trust(request)
      if (policy === 'continue' || policy === 'link' || policy === 'ignore') return policy
      diag.warn(
        `${this.options.owner}: "trust" returned ${String(policy)}; continuing the incoming trace`,
      )
    } catch (error) {
      diag.error(`${this.options.owner}: "trust" threw; continuing the incoming trace`, error)
    }
    return 'continue'
  }

  private applyBaggagePolicy(ctx: Context): Context {
    const allow = this.options.baggageAllow
    if (allow === undefined) return ctx
    const baggage = propagation.getBaggage(ctx)
    if (baggage === undefined) return ctx
    if (allow.size === 0) return propagation.deleteBaggage(ctx)
    let kept = baggage
    for (const [key] of baggage.getAllEntries()) if (!allow.has(key)) kept = kept.removeEntry(key)
    if (kept === baggage) return ctx
    return kept.getAllEntries().length === 0
      ? propagation.deleteBaggage(ctx)
      : propagation.setBaggage(ctx, kept)
  }

  start(
    request: IncomingMessage,
    response: ServerResponse,
    route?: string,
  ): RequestTrace | undefined {
    try {
      return this.begin(request, response, route)
    } catch (error) {
      // observability must never break the app: an unexpected failure leaves the request untraced
      diag.error(`${this.options.owner}: could not trace a request; it goes on untraced`, error)
      return undefined
    }
  }

  private begin(
    request: IncomingMessage,
    response: ServerResponse,
    route: string | undefined,
  ): RequestTrace | undefined {
    const existing = (request as TracedRequest)[REQUEST_TRACE_KEY]
    if (existing !== undefined) return existing
    const options = this.options
    const rawMethod = request.method ?? 'GET'
    let url = request.url ?? '/'
    // absolute-form targets (`GET http://host/path`, sent to proxies) keep only path and query
    if (url.charCodeAt(0) !== 47 /* / */) url = originFormOf(url)
    const queryAt = url.indexOf('?')
    const path = queryAt === -1 ? url : url.slice(0, queryAt)
    if (options.ignore !== undefined && options.ignore.matches(rawMethod, path, route, request))
      return undefined
    const active = context.active()
    // instrumentation-http suppresses tracing for requests its ignoreIncomingRequestHook skips
    if (active.getValue(SUPPRESS_TRACING_KEY) === true) return undefined

    const known = KNOWN_METHODS[rawMethod] === true
    const method = known ? rawMethod : '_OTHER'
    // semantic conventions name spans of unknown methods `HTTP`
    const spanMethod = known ? rawMethod : 'HTTP'
    const headers = request.headers
    const socket = request.socket as TLSSocket | undefined

    let scheme: string = socket?.encrypted === true ? 'https' : 'http'
    const pseudoScheme = headers[':scheme']
    if (typeof pseudoScheme === 'string') scheme = pseudoScheme
    if (options.trustProxy) {
      const forwarded = firstListEntry(headers['x-forwarded-proto'])
      if (forwarded === 'http' || forwarded === 'https') scheme = forwarded
    }

    const rpc = active.getValue(RPC_METADATA_KEY) as RpcMetadata | undefined
    let span: Span
    let ctx: Context
    let adopted = false
    if (
      rpc?.type === 'http' &&
      rpc.span !== undefined &&
      (rpc[kClaimed] === undefined || rpc[kClaimed] === request)
    ) {
      // instrumentation-http opened the SERVER span for this request: enrich it, never a second
      // one. It already set the request attributes; we add what it lacks, and our stricter
      // query redaction replaces its url.query.
      rpc[kClaimed] = request
      adopted = true
      span = rpc.span
      const enrich: Attributes = {}
      if (queryAt !== -1 && queryAt < url.length - 1) {
        enrich[ATTR_URL_QUERY] = options.query.redact(url.slice(queryAt + 1))
      }
      if (route !== undefined) {
        enrich[ATTR_HTTP_ROUTE] = route
        rpc.route = route
      }
      if (options.requestHeaders.length > 0)
        captureRequestHeaders(enrich, headers, options.requestHeaders)
      span.setAttributes(enrich)
      span.updateName(this.spanName(spanMethod, route, request))
      ctx = this.applyBaggagePolicy(active)
    } else {
      ctx = (options.propagator ?? currentPropagator()).extract(
        ROOT_CONTEXT,
        headers,
        defaultTextMapGetter,
      )
      let parentPolicy: TrustPolicy | undefined
      let links: Link[] | undefined
      const remote = trace.getSpanContext(ctx)
      if (remote !== undefined) {
        const policy = this.trustFor(request)
        if (policy !== 'continue') {
          ctx = trace.deleteSpan(ctx)
          parentPolicy = policy
          if (policy === 'link' && isSpanContextValid(remote)) links = [{ context: remote }]
        }
      }
      ctx = this.applyBaggagePolicy(ctx)
      const provider = this.tracerProviderNow()
      let droppedRoot: string | undefined
      if (
        parentPolicy === undefined &&
        remote !== undefined &&
        isUnsampledParent(remote) &&
        dropsUnsampledParents(provider)
      ) {
        // the provider's sampler would drop this span whatever it is told: spare building it
        span = unsampledSpan(remote.traceId, remote.traceState)
      } else if ((droppedRoot = droppedNewTrace(provider, remote, parentPolicy)) !== undefined) {
        // a new trace the sampler drops, decided on the trace id alone: the same
        span = unsampledSpan(droppedRoot)
      } else {
        const attributes: Attributes = {
          [ATTR_HTTP_REQUEST_METHOD]: method,
          [ATTR_URL_PATH]: path,
          [ATTR_URL_SCHEME]: scheme,
        }
        if (!known) attributes[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = rawMethod
        if (queryAt !== -1 && queryAt < url.length - 1) {
          attributes[ATTR_URL_QUERY] = options.query.redact(url.slice(queryAt + 1))
        }
        const host =
          (options.trustProxy ? firstListEntry(headers['x-forwarded-host']) : undefined) ??
          headers.host ??
          firstValue(headers[':authority'])
        if (typeof host === 'string' && host !== '') setServerAddress(attributes, host, scheme)
        const client =
          (options.trustProxy ? firstListEntry(headers['x-forwarded-for']) : undefined) ??
          socket?.remoteAddress
        if (client !== undefined) attributes[ATTR_CLIENT_ADDRESS] = client
        const version = protocolVersion(request)
        if (version !== undefined) attributes[ATTR_NETWORK_PROTOCOL_VERSION] = version
        const userAgent = headers['user-agent']
        if (userAgent !== undefined) attributes[ATTR_USER_AGENT_ORIGINAL] = userAgent
        if (route !== undefined) attributes[ATTR_HTTP_ROUTE] = route
        if (options.requestHeaders.length > 0)
          captureRequestHeaders(attributes, headers, options.requestHeaders)
        if (parentPolicy !== undefined)
          attributes[ATTR_TRACEHOP_REMOTE_PARENT_POLICY] = parentPolicy
        span = this.tracer().startSpan(
          this.spanName(spanMethod, route, request),
          { kind: SpanKind.SERVER, attributes, links },
          ctx,
        )
      }
      ctx = trace.setSpan(ctx, span)
    }

    let instruments: ServerInstruments | undefined
    let activeAttributes: Attributes | undefined
    if (this.instrumentCache !== undefined) {
      instruments = this.instrumentCache.get()
      if (instruments.active !== undefined)
        activeAttributes = { [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_URL_SCHEME]: scheme }
    }

    // instrumentation-http's span is its own to end, and its route follows ours to the end
    const passive =
      !adopted &&
      instruments?.duration === undefined &&
      instruments?.active === undefined &&
      !span.isRecording()
    const live = new LiveRequestTrace(
      this,
      span,
      ctx,
      adopted,
      request,
      response,
      spanMethod,
      route,
      adopted ? rpc : undefined,
      method,
      scheme,
      activeAttributes,
      instruments,
      passive,
    )
    if (!passive) {
      // the response first: if it cannot carry our listeners, nothing else has been recorded yet
      response.on('finish', live.onFinish)
      // instrumentation-http ends an adopted span in its own `close` listener, reporting whatever
      // status code the response holds: ours goes first so an abort is marked on the span
      if (adopted) response.prependListener('close', live.onClose)
      else response.on('close', live.onClose)
    }
    ;(request as TracedRequest)[REQUEST_TRACE_KEY] = live
    instruments?.active?.add(1, activeAttributes, ctx)

    if (options.requestHook !== undefined) {
      try {
        options.requestHook(span, request)
      } catch (error) {
        hookFailed(options.owner, 'requestHook', error)
      }
    }
    return live
  }
}

/**
 * Validates `options` once and returns the lifecycle an adapter drives per request.
 * `owner` is the package name used in error and diagnostic messages; `adapterKeys` are the option
 * names the adapter reads itself (not warned of as unknown).
 * @example
 * const lifecycle = createRequestLifecycle(options, '@tracehop/express')
 * const requestTrace = lifecycle.start(req, res)
 * if (requestTrace) context.with(requestTrace.context, next)
 */
export function createRequestLifecycle(
  options: TraceOptions | undefined,
  owner: string,
  adapterKeys?: readonly string[],
): RequestLifecycle {
  return new Lifecycle(normalizeOptions(options, owner, adapterKeys))
}

/**
 * The trace id of the new trace this request starts, when the provider's declared root sampler
 * drops it (see `declareRootSampler`). A request starts a trace without a parent, with one the
 * trust policy set aside, or with an invalid one. The declaration is looked up first: most
 * providers have none, and a sampled request then pays no validity check here.
 */
function droppedNewTrace(
  provider: TracerProvider,
  remote: SpanContext | undefined,
  parentPolicy: TrustPolicy | undefined,
): string | undefined {
  const decide = rootSamplerOf(provider)
  if (decide === undefined) return undefined
  const startsTrace =
    remote === undefined || parentPolicy !== undefined || !isSpanContextValid(remote)
  return startsTrace ? decide() : undefined
}
