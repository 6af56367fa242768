// The one contract between the viewer's server (src/server) and its page (src/page): the JSON of
// every API response and of the server-sent events, and the OTLP/JSON shape a trace is served in.
// Both sides import these types; nothing here may use Node or DOM APIs.

// ---------------------------------------------------------------------------------------------
// OTLP/JSON (opentelemetry-proto v1, JSON mapping): what `GET /api/traces/<id>` returns and what
// `POST /v1/traces` accepts with `content-type: application/json`.
// https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding
// ---------------------------------------------------------------------------------------------

/** An OTLP `AnyValue`: exactly one field is set. `intValue` is a decimal string (int64). */
export interface OtlpAnyValue {
  stringValue?: string
  boolValue?: boolean
  intValue?: string | number
  doubleValue?: number
  arrayValue?: { values?: OtlpAnyValue[] }
  kvlistValue?: { values?: OtlpKeyValue[] }
  /** Base64. */
  bytesValue?: string
}

/** An OTLP `KeyValue`. */
export interface OtlpKeyValue {
  key: string
  value?: OtlpAnyValue
}

/** An OTLP `Resource`. */
export interface OtlpResource {
  attributes?: OtlpKeyValue[]
  droppedAttributesCount?: number
}

/** An OTLP `InstrumentationScope`. */
export interface OtlpScope {
  name?: string
  version?: string
  attributes?: OtlpKeyValue[]
  droppedAttributesCount?: number
}

/** OTLP `Status.code`: 0 unset, 1 ok, 2 error. */
export type OtlpStatusCode = 0 | 1 | 2

/** OTLP `Span.kind`: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
export type OtlpSpanKind = 0 | 1 | 2 | 3 | 4 | 5

/** An OTLP `Span.Event`. Times are unsigned 64-bit nanoseconds since the epoch, as decimal strings. */
export interface OtlpEvent {
  timeUnixNano: string
  name: string
  attributes?: OtlpKeyValue[]
  droppedAttributesCount?: number
}

/** An OTLP `Span.Link`. Ids are lower-case hex. */
export interface OtlpLink {
  traceId: string
  spanId: string
  traceState?: string
  attributes?: OtlpKeyValue[]
  droppedAttributesCount?: number
  flags?: number
}

/**
 * An OTLP `Span` as the server serves it: ids lower-case hex (32 and 16 digits), times as
 * decimal strings of nanoseconds since the epoch, `kind` and `status.code` as numbers.
 */
export interface OtlpSpan {
  traceId: string
  spanId: string
  traceState?: string
  /** Absent (or `''`) on a root span. */
  parentSpanId?: string
  /** W3C trace flags in bits 0-7; bit 8 says whether bit 9 is known, bit 9 that the parent is remote. */
  flags?: number
  name: string
  kind?: OtlpSpanKind
  startTimeUnixNano: string
  endTimeUnixNano: string
  attributes?: OtlpKeyValue[]
  droppedAttributesCount?: number
  events?: OtlpEvent[]
  droppedEventsCount?: number
  links?: OtlpLink[]
  droppedLinksCount?: number
  status?: { code?: OtlpStatusCode; message?: string }
}

/** An OTLP `ScopeSpans`. */
export interface OtlpScopeSpans {
  scope?: OtlpScope
  spans?: OtlpSpan[]
  schemaUrl?: string
}

/** An OTLP `ResourceSpans`. */
export interface OtlpResourceSpans {
  resource?: OtlpResource
  scopeSpans?: OtlpScopeSpans[]
  schemaUrl?: string
}

/**
 * `GET /api/traces/<traceId>`: the trace as OTLP/JSON (`TracesData`, the same shape as an
 * `ExportTraceServiceRequest`), so a downloaded trace can be POSTed back to `/v1/traces`.
 */
export interface OtlpTracesData {
  resourceSpans: OtlpResourceSpans[]
}

// ---------------------------------------------------------------------------------------------
// The flattened span: what `flattenTrace()` (src/shared/flatten.ts) derives from OTLP/JSON, for
// the page's waterfall and detail and for the server's summaries, hints, RED and service map.
// ---------------------------------------------------------------------------------------------

/** An attribute value, decoded. Integers beyond 2^53 stay decimal strings; bytes stay base64. */
export type AttributeValue =
  string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue }

/** Decoded attributes, in the order they arrived. */
export type Attributes = Record<string, AttributeValue>

/** A span kind by name. */
export type SpanKindName =
  'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer'

/** A status code by name. */
export type StatusCodeName = 'unset' | 'ok' | 'error'

/** One event of a {@link ViewSpan} (an exception event carries `exception.*` attributes). */
export interface ViewEvent {
  name: string
  /** Nanoseconds since the epoch, decimal string (exact). */
  timeUnixNano: string
  /** Milliseconds since the span's start (may be negative for a skewed clock). */
  offsetMs: number
  attributes: Attributes
}

/** One link of a {@link ViewSpan}. */
export interface ViewLink {
  traceId: string
  spanId: string
  traceState?: string
  attributes: Attributes
}

/** One span, flattened: its resource and scope resolved, attributes decoded, times in ms too. */
export interface ViewSpan {
  traceId: string
  spanId: string
  /** `undefined` for a root span. */
  parentSpanId: string | undefined
  traceState: string | undefined
  /** `true`/`false` when the exporter said whether the parent is remote (flags bit 8), else `undefined`. */
  parentIsRemote: boolean | undefined
  name: string
  kind: SpanKindName
  /** Nanoseconds since the epoch, decimal strings (exact). */
  startTimeUnixNano: string
  endTimeUnixNano: string
  /** Milliseconds since the epoch (fractional; loses sub-microsecond precision). */
  startMs: number
  /** `end - start` in milliseconds, never negative. */
  durationMs: number
  /** `service.name` of the resource; `'unknown_service'` when the resource names none. */
  service: string
  resource: Attributes
  scope: { name: string; version: string | undefined }
  attributes: Attributes
  events: ViewEvent[]
  links: ViewLink[]
  status: { code: StatusCodeName; message: string | undefined }
  dropped: { attributes: number; events: number; links: number }
}

// ---------------------------------------------------------------------------------------------
// Broken-trace hints and the critical path (computed by src/shared/hints.ts and
// src/shared/critical-path.ts, on the server for the list and on the page for the waterfall).
// ---------------------------------------------------------------------------------------------

/** What a {@link TraceHint} is about. */
export type HintKind =
  /** A span's parent never arrived. */
  | 'missing-parent'
  /** More than one span in the trace has no parent id at all. */
  | 'several-roots'
  /** A CONSUMER span whose parent (or link) is no PRODUCER span of this trace. */
  | 'consumer-without-producer'
  /** A SERVER span whose parent is a remote context that no CLIENT or PRODUCER span here exported. */
  | 'server-without-client'
  /** tracehop did not continue the caller's trace (`tracehop.remote_parent.policy` = link | ignore). */
  | 'remote-parent-policy'

/** One broken-trace hint: what is wrong, on which span, in one sentence a newcomer can act on. */
export interface TraceHint {
  kind: HintKind
  /** The span the hint is about (for `several-roots`: every root but the earliest gets one). */
  spanId: string
  /** The missing or remote parent's span id, where there is one. */
  parentSpanId?: string
  /** Plain text, e.g. "parent b7ad6b71… is missing: the caller did not export, or the context was lost before this call". */
  message: string
}

// ---------------------------------------------------------------------------------------------
// `GET /api/traces`: the list, newest first.
// ---------------------------------------------------------------------------------------------

/** One row of the trace list. */
export interface TraceSummary {
  traceId: string
  /** Name of the root span (the earliest span without a parent here; the earliest span if none). */
  rootName: string
  /** `service.name` of the root span. */
  rootService: string
  /** Every service that contributed a span, root service first, then by first appearance. */
  services: string[]
  spanCount: number
  /** From the earliest start to the latest end of any span, in milliseconds. */
  durationMs: number
  /** Earliest span start, milliseconds since the epoch. */
  startTime: number
  /** Some span has status ERROR. */
  error: boolean
  /** How many spans have status ERROR. */
  errorCount: number
  /** How many broken-trace hints the trace has. */
  hintCount: number
  /** `http.route` of the root span, when it has one. */
  route?: string
  /** `http.response.status_code` of the root span, when it has one. */
  statusCode?: number
  /** When the latest span of this trace arrived, milliseconds since the epoch. */
  updatedAt: number
}

/**
 * Query parameters of `GET /api/traces` (all optional; a bad value answers 400 {@link ApiError}):
 * `service` (a service that contributed a span), `q` (substring, case-insensitive, of a span name,
 * `http.route`, any string attribute value, or the trace id), `error` (`true` | `false`),
 * `minMs` / `maxMs` (trace duration bounds, inclusive), `limit` (1-1000, default 100).
 */
export interface TraceListQuery {
  service?: string
  q?: string
  error?: boolean
  minMs?: number
  maxMs?: number
  limit?: number
}

/** `GET /api/traces` response. */
export interface TraceListResponse {
  /** Newest first (by `startTime`), at most `limit`. */
  traces: TraceSummary[]
  /** How many traces matched before `limit` was applied. */
  matched: number
  stats: StoreStats
}

// ---------------------------------------------------------------------------------------------
// `GET /api/stats`
// ---------------------------------------------------------------------------------------------

/** What the store holds and what it had to let go. */
export interface StoreStats {
  spanCount: number
  traceCount: number
  /** The span cap (`--max-spans`). */
  maxSpans: number
  /** Traces evicted (oldest first) to stay under the cap since start. */
  evictedTraces: number
  /** Spans those evicted traces held. */
  evictedSpans: number
  /** Spans refused at the receiver (malformed ids, over the cap in one request); they were reported in `partial_success`. */
  rejectedSpans: number
  /** Every service seen in the store now, sorted (for the page's service filter). */
  services: string[]
}

// ---------------------------------------------------------------------------------------------
// `GET /api/red`: requests, errors and duration per service and route, from SERVER spans.
// ---------------------------------------------------------------------------------------------

/** A span picked as an example for a RED row. */
export interface ExampleSpan {
  traceId: string
  spanId: string
  durationMs: number
}

/** One service + route. */
export interface RedRow {
  service: string
  /** `http.route` of the SERVER spans, or their name when they carry no route. */
  route: string
  count: number
  /** SERVER spans with status ERROR. */
  errorCount: number
  /** `errorCount / count`, 0..1. */
  errorRate: number
  p50Ms: number
  p95Ms: number
  p99Ms: number
  /** Up to 3 slowest, slowest first. */
  slowest: ExampleSpan[]
  /** Up to 3 most recent failures, newest first. */
  failed: ExampleSpan[]
}

/** `GET /api/red` response (optional query `service`), rows sorted by service then route. */
export interface RedResponse {
  rows: RedRow[]
}

// ---------------------------------------------------------------------------------------------
// `GET /api/service-map`
// ---------------------------------------------------------------------------------------------

/** One service of the map. */
export interface ServiceNode {
  service: string
  spanCount: number
  errorCount: number
}

/** Calls from one service into another: a span of `to` whose parent span belongs to `from`. */
export interface ServiceEdge {
  from: string
  to: string
  /** How many such parent/child pairs. */
  count: number
  /** How many of those child spans have status ERROR. */
  errorCount: number
}

/** `GET /api/service-map` response, nodes and edges sorted by name. */
export interface ServiceMapResponse {
  nodes: ServiceNode[]
  edges: ServiceEdge[]
}

// ---------------------------------------------------------------------------------------------
// `GET /api/events`: server-sent events (`text/event-stream`).
// ---------------------------------------------------------------------------------------------

/**
 * The events of `GET /api/events`, by SSE `event:` name, with the JSON of their `data:` line.
 * `trace` is sent for a new trace and for one that received more spans (coalesced, at most about
 * four times a second per trace); `evicted` when traces leave the store; `stats` with each batch;
 * `cleared` after `DELETE /api/traces`.
 */
export interface ServerEvents {
  trace: TraceSummary
  evicted: { traceIds: string[] }
  stats: StoreStats
  cleared: Record<string, never>
}

/** The name of a server-sent event. */
export type ServerEventName = keyof ServerEvents

// ---------------------------------------------------------------------------------------------
// Errors and paths
// ---------------------------------------------------------------------------------------------

/** Body of every 4xx/5xx answer of `/api/*` (not of `/v1/*`, which answer per OTLP). */
export interface ApiError {
  error: string
}

/** The paths the server answers. */
export const API_PATHS = {
  traces: '/api/traces',
  /** Followed by `/<traceId>`. */
  trace: '/api/traces/',
  stats: '/api/stats',
  red: '/api/red',
  serviceMap: '/api/service-map',
  events: '/api/events',
  otlpTraces: '/v1/traces',
  otlpMetrics: '/v1/metrics',
  otlpLogs: '/v1/logs',
} as const

/** Default and maximum `limit` of `GET /api/traces`. */
export const LIST_LIMIT = { default: 100, max: 1000 } as const
