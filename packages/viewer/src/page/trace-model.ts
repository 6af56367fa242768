// Everything the trace page derives from one trace, computed once when the trace arrives (not in
// components): the spans, their tree in display order, the critical path, the hints, the time axis.
import type { OtlpTracesData, TraceHint, ViewSpan } from '../shared/api.js'
import { criticalPath, type CriticalSegment } from '../shared/critical-path.js'
import { flattenTrace } from '../shared/flatten.js'
import { traceHints } from '../shared/hints.js'
import { buildTree, walkTree, type SpanNode } from '../shared/tree.js'
import { serviceColor } from './colors.js'

/** One row of the waterfall. */
export interface WaterfallRow {
  node: SpanNode
  /** The service's colour ({@link serviceColor}). */
  color: number
  /** Bar offset and width as fractions of the trace's time axis, 0..1. */
  left: number
  width: number
  /** Critical-path stretches of this span, as fractions of the axis. */
  critical: { left: number; width: number }[]
  hints: TraceHint[]
  /** HTTP status code, route and client target when the span has them. */
  statusCode: number | undefined
  route: string | undefined
  target: string | undefined
  error: boolean
}

/** The derived view of one trace. */
export interface TraceView {
  traceId: string
  spans: ViewSpan[]
  /** Every row, in display order (depth first), before any collapsing. */
  rows: WaterfallRow[]
  byId: ReadonlyMap<string, WaterfallRow>
  hints: TraceHint[]
  segments: CriticalSegment[]
  /** Span ids on the critical path. */
  onCriticalPath: ReadonlySet<string>
  /** Services in order of first appearance. */
  services: string[]
  startMs: number
  endMs: number
  durationMs: number
  errorCount: number
}

/** Builds the view of a trace from its OTLP/JSON (`GET /api/traces/<id>` or an uploaded file). */
export function buildTraceView(data: OtlpTracesData): TraceView {
  const spans = flattenTrace(data)
  const roots = buildTree(spans)
  const hints = traceHints(spans)
  const segments = criticalPath(spans)
  let startMs = Infinity
  let endMs = -Infinity
  for (const span of spans) {
    startMs = Math.min(startMs, span.startMs)
    endMs = Math.max(endMs, span.startMs + span.durationMs)
  }
  if (spans.length === 0) startMs = endMs = 0
  const durationMs = endMs - startMs
  const scale = durationMs > 0 ? 1 / durationMs : 0
  const at = (ms: number): number => (durationMs > 0 ? (ms - startMs) * scale : 0)

  const services = [...new Set(spans.map((span) => span.service))]
  const hintsBySpan = groupBy(hints, (hint) => hint.spanId)
  const criticalBySpan = groupBy(segments, (segment) => segment.spanId)

  const rows: WaterfallRow[] = []
  const byId = new Map<string, WaterfallRow>()
  let errorCount = 0
  for (const node of walkTree(roots)) {
    const span = node.span
    const error = span.status.code === 'error'
    if (error) errorCount++
    const row: WaterfallRow = {
      node,
      color: serviceColor(span.service),
      left: at(span.startMs),
      width: durationMs > 0 ? span.durationMs * scale : 1,
      critical: (criticalBySpan.get(span.spanId) ?? []).map((s) => ({
        left: at(s.startMs),
        width: (s.endMs - s.startMs) * scale,
      })),
      hints: hintsBySpan.get(span.spanId) ?? [],
      statusCode:
        numberAttr(span, 'http.response.status_code') ?? numberAttr(span, 'rpc.grpc.status_code'),
      route: stringAttr(span, 'http.route'),
      target: span.kind === 'client' || span.kind === 'producer' ? clientTarget(span) : undefined,
      error,
    }
    rows.push(row)
    byId.set(span.spanId, row)
  }
  return {
    traceId: spans[0]?.traceId ?? '',
    spans,
    rows,
    byId,
    hints,
    segments,
    onCriticalPath: new Set(segments.map((s) => s.spanId)),
    services,
    startMs,
    endMs,
    durationMs,
    errorCount,
  }
}

/**
 * The rows left when the subtrees under `collapsed` span ids are folded away (the collapsed
 * span itself stays). One pass over the display order.
 */
export function visibleRows(
  rows: readonly WaterfallRow[],
  collapsed: ReadonlySet<string>,
): WaterfallRow[] {
  if (collapsed.size === 0) return rows as WaterfallRow[]
  const out: WaterfallRow[] = []
  let hideBelow = -1
  for (const row of rows) {
    const depth = row.node.depth
    if (hideBelow >= 0 && depth > hideBelow) continue
    hideBelow = collapsed.has(row.node.span.spanId) ? depth : -1
    out.push(row)
  }
  return out
}

/** Ticks for the time axis: about `count` round offsets (ms from the trace start). */
export function axisTicks(durationMs: number, count = 5): number[] {
  if (!(durationMs > 0)) return [0]
  const raw = durationMs / count
  const magnitude = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw
  const ticks: number[] = []
  for (let t = 0; t <= durationMs + step * 1e-9; t += step) ticks.push(t)
  return ticks
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>()
  for (const item of items) {
    const k = key(item)
    const list = out.get(k)
    if (list === undefined) out.set(k, [item])
    else list.push(item)
  }
  return out
}

function numberAttr(span: ViewSpan, key: string): number | undefined {
  const value = span.attributes[key]
  return typeof value === 'number' ? value : undefined
}

function stringAttr(span: ViewSpan, key: string): string | undefined {
  const value = span.attributes[key]
  return typeof value === 'string' && value !== '' ? value : undefined
}

/** Where a CLIENT or PRODUCER span went: the URL, the peer's address, or the destination. */
function clientTarget(span: ViewSpan): string | undefined {
  const url = stringAttr(span, 'url.full') ?? stringAttr(span, 'http.url')
  if (url !== undefined) return url
  const address = stringAttr(span, 'server.address') ?? stringAttr(span, 'net.peer.name')
  if (address !== undefined) {
    const port = span.attributes['server.port'] ?? span.attributes['net.peer.port']
    return port === undefined ? address : `${address}:${String(port)}`
  }
  return (
    stringAttr(span, 'messaging.destination.name') ??
    stringAttr(span, 'db.system.name') ??
    stringAttr(span, 'db.system')
  )
}
