// The bounded in-memory store: spans grouped by trace, merged as they arrive from any process at
// any time, oldest traces evicted first. A plain module, testable without HTTP.
import {
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
} from '@opentelemetry/semantic-conventions'
import type {
  Attributes,
  OtlpResource,
  OtlpResourceSpans,
  OtlpScope,
  OtlpSpan,
  OtlpTracesData,
  StoreStats,
  TraceListQuery,
  TraceSummary,
  ViewSpan,
} from '../shared/api.js'
import { LIST_LIMIT } from '../shared/api.js'
import { decodeAttributes, flattenSpan, nanosToMs, serviceOf } from '../shared/flatten.js'
import { traceHints } from '../shared/hints.js'

/** A resource as the store keeps it: the OTLP form for export, decoded once for reading. */
export interface StoredResource {
  readonly otlp: OtlpResource
  readonly attributes: Attributes
  readonly service: string
}

/** One span and where it came from. */
export interface StoredSpan {
  readonly span: OtlpSpan
  readonly resource: StoredResource
  readonly scope: OtlpScope | undefined
  readonly startMs: number
  readonly endMs: number
}

/** One trace: its spans by id, and what is derived from them until the next span arrives. */
export interface StoredTrace {
  readonly traceId: string
  readonly spans: Map<string, StoredSpan>
  updatedAt: number
  summary: TraceSummary | undefined
  searchText: string | undefined
}

/** What {@link TraceStore.add} did. */
export interface AddResult {
  accepted: number
  /** Spans refused because one trace alone would exceed the span cap. */
  rejected: number
  /** Traces that received spans, in arrival order. */
  touched: string[]
  /** Traces evicted to make room, oldest first. */
  evicted: string[]
}

/** A list query with its defaults applied. */
export type NormalizedQuery = Required<Pick<TraceListQuery, 'limit'>> & TraceListQuery

/**
 * The store. `add` takes normalised OTLP (see `normalize.ts`); a span that arrives again (same
 * trace and span id, e.g. an imported file) replaces the one kept. When the span count would go
 * over `maxSpans`, the traces that have gone longest without a new span are evicted whole.
 * @example
 * const store = new TraceStore({ maxSpans: 1000 })
 * store.add(request.resourceSpans)
 * store.query({ limit: 20, service: 'orders' })
 */
export class TraceStore {
  readonly maxSpans: number
  private readonly traces = new Map<string, StoredTrace>()
  private readonly resources = new Map<string, StoredResource>()
  private spanTotal = 0
  private evictedTraces = 0
  private evictedSpans = 0
  private rejectedTotal = 0
  private dropsSincePrune = 0
  private changes = 0

  constructor(options: { maxSpans: number }) {
    this.maxSpans = options.maxSpans
  }

  /** Changes whenever spans are added or traces leave: what is derived from the whole store can be kept until then. */
  get version(): number {
    return this.changes
  }

  /** Adds spans, merging them into their traces; evicts the oldest traces past the cap. */
  add(resourceSpans: readonly OtlpResourceSpans[], now = Date.now()): AddResult {
    this.changes++
    const result: AddResult = { accepted: 0, rejected: 0, touched: [], evicted: [] }
    const touched = new Set<string>()
    for (const rs of resourceSpans) {
      const resource = this.resourceFor(rs.resource ?? {})
      for (const ss of rs.scopeSpans ?? []) {
        for (const span of ss.spans ?? []) {
          let trace = this.traces.get(span.traceId)
          if (trace !== undefined && !touched.has(span.traceId)) {
            // Re-inserted so the Map's order is "longest without a new span" first.
            this.traces.delete(span.traceId)
            this.traces.set(span.traceId, trace)
          }
          if (trace === undefined) {
            trace = {
              traceId: span.traceId,
              spans: new Map(),
              updatedAt: now,
              summary: undefined,
              searchText: undefined,
            }
            this.traces.set(span.traceId, trace)
          }
          const isNew = !trace.spans.has(span.spanId)
          if (isNew && !this.makeRoom(trace, result)) {
            result.rejected++
            continue
          }
          const startMs = nanosToMs(span.startTimeUnixNano)
          trace.spans.set(span.spanId, {
            span,
            resource,
            scope: ss.scope,
            startMs,
            endMs: Math.max(startMs, nanosToMs(span.endTimeUnixNano)),
          })
          if (isNew) this.spanTotal++
          trace.updatedAt = now
          trace.summary = undefined
          trace.searchText = undefined
          result.accepted++
          if (!touched.has(span.traceId)) {
            touched.add(span.traceId)
            result.touched.push(span.traceId)
          }
        }
      }
    }
    for (const id of result.touched) {
      if (this.traces.get(id)?.spans.size === 0) this.traces.delete(id)
    }
    result.touched = result.touched.filter((id) => this.traces.has(id))
    this.rejectedTotal += result.rejected
    return result
  }

  /** Counts spans the receiver refused before they reached the store (for the stats). */
  countRejected(n: number): void {
    this.rejectedTotal += n
  }

  /** Lists traces, newest first, with the filters of `GET /api/traces`. */
  query(query: TraceListQuery = {}): { traces: TraceSummary[]; matched: number } {
    const limit = query.limit ?? LIST_LIMIT.default
    const q = query.q?.trim().toLowerCase()
    const matches: TraceSummary[] = []
    for (const trace of this.traces.values()) {
      const summary = this.summaryOf(trace)
      if (query.service !== undefined && !summary.services.includes(query.service)) continue
      if (query.error !== undefined && summary.error !== query.error) continue
      if (query.minMs !== undefined && summary.durationMs < query.minMs) continue
      if (query.maxMs !== undefined && summary.durationMs > query.maxMs) continue
      if (q !== undefined && q !== '' && !this.searchTextOf(trace).includes(q)) continue
      matches.push(summary)
    }
    matches.sort((a, b) => b.startTime - a.startTime || (a.traceId < b.traceId ? -1 : 1))
    return { traces: matches.slice(0, limit), matched: matches.length }
  }

  /** The trace as OTLP/JSON, spans grouped by resource and scope; `undefined` when unknown. */
  getTrace(traceId: string): OtlpTracesData | undefined {
    const trace = this.traces.get(traceId)
    if (trace === undefined) return undefined
    const byResource = new Map<StoredResource, Map<OtlpScope | undefined, OtlpSpan[]>>()
    for (const stored of sortedSpans(trace)) {
      let scopes = byResource.get(stored.resource)
      if (scopes === undefined) byResource.set(stored.resource, (scopes = new Map()))
      let spans = scopes.get(stored.scope)
      if (spans === undefined) scopes.set(stored.scope, (spans = []))
      spans.push(stored.span)
    }
    return {
      resourceSpans: [...byResource].map(([resource, scopes]) => ({
        resource: resource.otlp,
        scopeSpans: [...scopes].map(([scope, spans]) => ({ ...(scope && { scope }), spans })),
      })),
    }
  }

  /** The trace's spans flattened (as the page sees them), in start order. */
  getSpans(traceId: string): ViewSpan[] | undefined {
    const trace = this.traces.get(traceId)
    return trace === undefined ? undefined : viewSpans(trace)
  }

  /** The summary of one trace (cached until a span arrives). */
  getSummary(traceId: string): TraceSummary | undefined {
    const trace = this.traces.get(traceId)
    return trace === undefined ? undefined : this.summaryOf(trace)
  }

  /** Every trace, oldest first (for RED, the service map and persistence). */
  allTraces(): IterableIterator<StoredTrace> {
    return this.traces.values()
  }

  /** Evicts the `count` traces that have gone longest without a span; returns their ids. */
  evict(count = 1): string[] {
    const out: string[] = []
    for (const trace of this.traces.values()) {
      if (out.length >= count) break
      out.push(trace.traceId)
    }
    for (const id of out) this.drop(this.traces.get(id)!)
    return out
  }

  /** Forgets every trace (the eviction and rejection counts stay). */
  clear(): void {
    this.changes++
    this.traces.clear()
    this.resources.clear()
    this.spanTotal = 0
  }

  /** What the store holds. */
  stats(): StoreStats {
    const services = new Set<string>()
    for (const resource of this.resources.values()) services.add(resource.service)
    return {
      spanCount: this.spanTotal,
      traceCount: this.traces.size,
      maxSpans: this.maxSpans,
      evictedTraces: this.evictedTraces,
      evictedSpans: this.evictedSpans,
      rejectedSpans: this.rejectedTotal,
      services: [...services].sort(),
    }
  }

  private makeRoom(keep: StoredTrace, result: AddResult): boolean {
    while (this.spanTotal >= this.maxSpans) {
      const oldest = this.oldestExcept(keep)
      if (oldest === undefined) return false
      result.evicted.push(oldest.traceId)
      this.drop(oldest)
    }
    return true
  }

  private oldestExcept(keep: StoredTrace): StoredTrace | undefined {
    for (const trace of this.traces.values()) if (trace !== keep) return trace
    return undefined
  }

  private drop(trace: StoredTrace): void {
    this.changes++
    this.traces.delete(trace.traceId)
    this.spanTotal -= trace.spans.size
    this.evictedTraces++
    this.evictedSpans += trace.spans.size
    // Resources are few (one per process); forget those no span uses any more now and then.
    if (++this.dropsSincePrune >= 1000 && this.resources.size > 64) this.pruneResources()
  }

  private pruneResources(): void {
    this.dropsSincePrune = 0
    const used = new Set<StoredResource>()
    for (const trace of this.traces.values())
      for (const stored of trace.spans.values()) used.add(stored.resource)
    for (const [key, resource] of this.resources)
      if (!used.has(resource)) this.resources.delete(key)
  }

  private resourceFor(otlp: OtlpResource): StoredResource {
    // One process sends the same resource with every batch: keep one copy of it.
    const key = JSON.stringify(otlp)
    let resource = this.resources.get(key)
    if (resource === undefined) {
      const attributes = decodeAttributes(otlp.attributes)
      resource = { otlp, attributes, service: serviceOf(attributes) }
      this.resources.set(key, resource)
    }
    return resource
  }

  private summaryOf(trace: StoredTrace): TraceSummary {
    if (trace.summary === undefined) trace.summary = summarize(trace)
    return trace.summary
  }

  private searchTextOf(trace: StoredTrace): string {
    if (trace.searchText === undefined) trace.searchText = searchText(trace)
    return trace.searchText
  }
}

function sortedSpans(trace: StoredTrace): StoredSpan[] {
  return [...trace.spans.values()].sort(
    (a, b) => a.startMs - b.startMs || (a.span.spanId < b.span.spanId ? -1 : 1),
  )
}

/** The trace's spans flattened, in start order. */
export function viewSpans(trace: StoredTrace): ViewSpan[] {
  return sortedSpans(trace).map((s) =>
    flattenSpan(s.span, s.resource.attributes, s.scope, s.resource.service),
  )
}

function summarize(trace: StoredTrace): TraceSummary {
  const spans = viewSpans(trace)
  let start = Infinity
  let end = -Infinity
  let errorCount = 0
  let root: ViewSpan | undefined
  const ids = new Set(spans.map((s) => s.spanId))
  for (const span of spans) {
    start = Math.min(start, span.startMs)
    end = Math.max(end, span.startMs + span.durationMs)
    if (span.status.code === 'error') errorCount++
    // Spans come in start order: the first without a parent here is the root.
    if (root === undefined && (span.parentSpanId === undefined || !ids.has(span.parentSpanId)))
      root = span
  }
  root ??= spans[0]!
  const services = [root.service]
  for (const span of spans) if (!services.includes(span.service)) services.push(span.service)
  const summary: TraceSummary = {
    traceId: trace.traceId,
    rootName: root.name,
    rootService: root.service,
    services,
    spanCount: spans.length,
    // Rounded to the microsecond: the difference of two epoch-sized doubles has float noise.
    durationMs: Math.max(0, Math.round((end - start) * 1000) / 1000),
    startTime: start,
    error: errorCount > 0,
    errorCount,
    hintCount: traceHints(spans).length,
    updatedAt: trace.updatedAt,
  }
  const route = root.attributes[ATTR_HTTP_ROUTE]
  if (typeof route === 'string') summary.route = route
  const status = root.attributes[ATTR_HTTP_RESPONSE_STATUS_CODE]
  if (typeof status === 'number') summary.statusCode = status
  return summary
}

function searchText(trace: StoredTrace): string {
  // Lower-cased once per trace: the trace id, every span name and every string attribute value
  // (http.route included), separated so that no match spans two of them.
  const parts = [trace.traceId]
  for (const { span } of trace.spans.values()) {
    parts.push(span.name)
    for (const kv of span.attributes ?? []) {
      const value = kv.value?.stringValue
      if (value !== undefined) parts.push(value)
    }
  }
  return parts.join('\u0000').toLowerCase()
}
