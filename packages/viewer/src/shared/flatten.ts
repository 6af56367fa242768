// OTLP/JSON → flattened spans (ViewSpan), for the page's waterfall and the server's summaries.
// Plain functions over plain data: no Node or DOM APIs, so the page bundles this file as is.
import type {
  AttributeValue,
  Attributes,
  OtlpAnyValue,
  OtlpKeyValue,
  OtlpScope,
  OtlpSpan,
  OtlpTracesData,
  SpanKindName,
  StatusCodeName,
  ViewSpan,
} from './api.js'

/** `service.name` when a resource names no service (the SDKs' own default). */
export const UNKNOWN_SERVICE = 'unknown_service'

const KIND_NAMES: readonly SpanKindName[] = [
  'unspecified',
  'internal',
  'server',
  'client',
  'producer',
  'consumer',
]
const STATUS_NAMES: readonly StatusCodeName[] = ['unset', 'ok', 'error']

/** Decodes one OTLP `AnyValue`. Integers beyond 2^53 stay decimal strings. */
export function decodeAnyValue(value: OtlpAnyValue | undefined): AttributeValue {
  if (value === undefined || value === null) return null
  if (value.stringValue !== undefined) return value.stringValue
  if (value.boolValue !== undefined) return value.boolValue
  if (value.intValue !== undefined) {
    const n = Number(value.intValue)
    return Number.isSafeInteger(n) ? n : String(value.intValue)
  }
  if (value.doubleValue !== undefined) return value.doubleValue
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(decodeAnyValue)
  if (value.kvlistValue !== undefined) return decodeAttributes(value.kvlistValue.values)
  if (value.bytesValue !== undefined) return value.bytesValue
  return null
}

/** Decodes an OTLP `KeyValue` list into a plain object (a repeated key keeps its last value). */
export function decodeAttributes(list: OtlpKeyValue[] | undefined): Attributes {
  const out: Attributes = {}
  if (list === undefined) return out
  for (const kv of list) out[kv.key] = decodeAnyValue(kv.value)
  return out
}

/** The `service.name` of decoded resource attributes. */
export function serviceOf(resource: Attributes): string {
  const name = resource['service.name']
  return typeof name === 'string' && name !== '' ? name : UNKNOWN_SERVICE
}

/** `end - start` of two decimal nanosecond strings, in milliseconds, exact to the nanosecond. */
export function nanosDiffMs(start: string, end: string): number {
  // Both fit 64 bits; the difference of two such numbers as doubles would lose up to ~256 ns.
  try {
    return Number(BigInt(end) - BigInt(start)) / 1e6
  } catch {
    return Number(end) / 1e6 - Number(start) / 1e6
  }
}

/** A decimal nanosecond string as fractional milliseconds since the epoch. */
export function nanosToMs(nanos: string): number {
  // Whole milliseconds and the rest apart: 1.7e18 / 1e6 as one double would not come out round.
  const ms =
    nanos.length <= 6
      ? Number(nanos) / 1e6
      : Number(nanos.slice(0, -6)) + Number(nanos.slice(-6)) / 1e6
  return Number.isFinite(ms) ? ms : 0
}

/** Flattens one span, given its already decoded resource and scope. */
export function flattenSpan(
  span: OtlpSpan,
  resource: Attributes,
  scope: OtlpScope | undefined,
  service = serviceOf(resource),
): ViewSpan {
  const startMs = nanosToMs(span.startTimeUnixNano)
  const flags = span.flags ?? 0
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId:
      span.parentSpanId === undefined || span.parentSpanId === '' ? undefined : span.parentSpanId,
    traceState: span.traceState || undefined,
    // opentelemetry-proto SpanFlags: bit 8 (HAS_IS_REMOTE) says whether bit 9 (IS_REMOTE) is known.
    parentIsRemote: (flags & 0x100) !== 0 ? (flags & 0x200) !== 0 : undefined,
    name: span.name,
    kind: KIND_NAMES[span.kind ?? 0] ?? 'unspecified',
    startTimeUnixNano: span.startTimeUnixNano,
    endTimeUnixNano: span.endTimeUnixNano,
    startMs,
    durationMs: Math.max(0, nanosDiffMs(span.startTimeUnixNano, span.endTimeUnixNano)),
    service,
    resource,
    scope: { name: scope?.name ?? '', version: scope?.version || undefined },
    attributes: decodeAttributes(span.attributes),
    events: (span.events ?? []).map((event) => ({
      name: event.name,
      timeUnixNano: event.timeUnixNano,
      offsetMs: nanosDiffMs(span.startTimeUnixNano, event.timeUnixNano),
      attributes: decodeAttributes(event.attributes),
    })),
    links: (span.links ?? []).map((link) => ({
      traceId: link.traceId,
      spanId: link.spanId,
      traceState: link.traceState || undefined,
      attributes: decodeAttributes(link.attributes),
    })),
    status: {
      code: STATUS_NAMES[span.status?.code ?? 0] ?? 'unset',
      message: span.status?.message || undefined,
    },
    dropped: {
      attributes: span.droppedAttributesCount ?? 0,
      events: span.droppedEventsCount ?? 0,
      links: span.droppedLinksCount ?? 0,
    },
  }
}

/**
 * Flattens OTLP/JSON (`GET /api/traces/<id>`, or a file the user uploads) into one span per
 * OTLP span, sorted by start time.
 * @example
 * const spans = flattenTrace(await (await fetch(`/api/traces/${id}`)).json())
 */
export function flattenTrace(data: OtlpTracesData): ViewSpan[] {
  const out: ViewSpan[] = []
  for (const rs of data.resourceSpans ?? []) {
    const resource = decodeAttributes(rs.resource?.attributes)
    const service = serviceOf(resource)
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) out.push(flattenSpan(span, resource, ss.scope, service))
    }
  }
  return out.sort(byStart)
}

/** Orders spans by start time, then by span id (stable across calls). */
export function byStart(a: ViewSpan, b: ViewSpan): number {
  return a.startMs - b.startMs || (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0)
}
