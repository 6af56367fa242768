// One shape for every span the store keeps, whatever it arrived as: OTLP/JSON as the spec writes
// it (hex ids, nanos as strings, numbers for enums), with the receiver's bounds applied. Both the
// protobuf decoder's messages and parsed OTLP/JSON go through `normalizeRequest`.
import type {
  OtlpAnyValue,
  OtlpKeyValue,
  OtlpLink,
  OtlpResourceSpans,
  OtlpScope,
  OtlpScopeSpans,
  OtlpSpan,
  OtlpSpanKind,
  OtlpStatusCode,
} from '../shared/api.js'

/** What the receiver keeps of one span at most; the rest is dropped and counted on the span. */
export interface Limits {
  /** Attributes per span, event, link, resource and scope. */
  readonly maxAttributes: number
  /** Characters of a string value (and of a span or event name); longer ones are cut, with `…`. */
  readonly maxValueLength: number
  readonly maxEvents: number
  readonly maxLinks: number
  /** Elements of one array or key-value-list value; nesting stops at depth 8. */
  readonly maxArrayLength: number
}

/** The normalised request: the spans kept and how many were refused, and why. */
export interface NormalizedRequest {
  resourceSpans: OtlpResourceSpans[]
  spanCount: number
  rejected: number
  /** Why the first span was refused. */
  reason: string | undefined
}

/**
 * How a decoded message reads, for either input: `id` turns an id field (bytes or hex string)
 * into lower-case hex or `undefined`, `nanos` a time field into a decimal string, `value` tells
 * which field of an `AnyValue` is set.
 */
export interface Reader {
  id(value: unknown): string | undefined
  nanos(value: unknown): string
  int(value: unknown): string | undefined
  bytes(value: unknown): string | undefined
}

type Json = Record<string, unknown>

const MAX_DEPTH = 8
const ID = /^[0-9a-f]+$/

/** The {@link Reader} of parsed OTLP/JSON: ids are hex, 64-bit numbers strings or numbers. */
export const jsonReader: Reader = {
  id(value) {
    if (typeof value !== 'string' || value === '') return undefined
    const hex = value.toLowerCase()
    return ID.test(hex) ? hex : undefined
  },
  nanos(value) {
    if (typeof value === 'string' && /^\d{1,20}$/.test(value)) return value
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0)
      return BigInt(Math.trunc(value)).toString()
    return '0'
  },
  int(value) {
    if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) return value
    if (typeof value === 'number' && Number.isFinite(value)) return String(Math.trunc(value))
    return undefined
  },
  bytes(value) {
    return typeof value === 'string' ? value : undefined
  },
}

const KIND_BY_NAME: Record<string, OtlpSpanKind> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
}
const STATUS_BY_NAME: Record<string, OtlpStatusCode> = {
  STATUS_CODE_UNSET: 0,
  STATUS_CODE_OK: 1,
  STATUS_CODE_ERROR: 2,
}

/**
 * Normalises an `ExportTraceServiceRequest` (a decoded protobuf message or parsed JSON) into the
 * store's shape. Throws a `TypeError` when the message is not one at all (the receiver answers
 * 400); a span without a valid trace or span id is refused and counted, the rest are kept.
 */
export function normalizeRequest(
  message: unknown,
  read: Reader,
  limits: Limits,
): NormalizedRequest {
  if (!isObject(message)) throw new TypeError('the body is not an ExportTraceServiceRequest object')
  const list = message.resourceSpans ?? []
  if (!Array.isArray(list)) throw new TypeError('resourceSpans is not an array')
  const out: NormalizedRequest = { resourceSpans: [], spanCount: 0, rejected: 0, reason: undefined }
  for (const rs of list) {
    if (!isObject(rs)) throw new TypeError('a resourceSpans entry is not an object')
    const scopeSpans: OtlpScopeSpans[] = []
    for (const ss of arrayOf(rs.scopeSpans)) {
      if (!isObject(ss)) throw new TypeError('a scopeSpans entry is not an object')
      const spans: OtlpSpan[] = []
      for (const raw of arrayOf(ss.spans)) {
        const span = isObject(raw) ? normalizeSpan(raw, read, limits) : 'not an object'
        if (typeof span === 'string') {
          out.rejected++
          out.reason ??= span
        } else {
          spans.push(span)
        }
      }
      if (spans.length === 0) continue
      out.spanCount += spans.length
      const scope = normalizeScope(ss.scope, read, limits)
      scopeSpans.push({ ...(scope && { scope }), spans, ...schemaUrl(ss.schemaUrl) })
    }
    if (scopeSpans.length === 0) continue
    const resource = attributed({}, isObject(rs.resource) ? rs.resource : {}, read, limits)
    out.resourceSpans.push({
      resource,
      scopeSpans,
      ...schemaUrl(rs.schemaUrl),
    })
  }
  return out
}

function normalizeSpan(raw: Json, read: Reader, limits: Limits): OtlpSpan | string {
  const traceId = read.id(raw.traceId)
  if (traceId === undefined || traceId.length !== 32 || /^0+$/.test(traceId))
    return 'a span has no valid traceId (32 hex digits)'
  const spanId = read.id(raw.spanId)
  if (spanId === undefined || spanId.length !== 16 || /^0+$/.test(spanId))
    return 'a span has no valid spanId (16 hex digits)'
  const parentSpanId = read.id(raw.parentSpanId)
  const span: OtlpSpan = attributed(
    {
      traceId,
      spanId,
      name: text(raw.name, limits),
      kind: enumOf(raw.kind, KIND_BY_NAME, 5) as OtlpSpanKind,
      startTimeUnixNano: read.nanos(raw.startTimeUnixNano),
      endTimeUnixNano: read.nanos(raw.endTimeUnixNano),
    },
    raw,
    read,
    limits,
  )
  if (parentSpanId !== undefined && parentSpanId.length === 16 && !/^0+$/.test(parentSpanId))
    span.parentSpanId = parentSpanId
  if (typeof raw.traceState === 'string' && raw.traceState !== '')
    span.traceState = raw.traceState.slice(0, 512)
  const flags = count(raw.flags)
  if (flags !== 0) span.flags = flags

  const events = bounded(raw.events, limits.maxEvents, (event) =>
    attributed(
      { timeUnixNano: read.nanos(event.timeUnixNano), name: text(event.name, limits) },
      event,
      read,
      limits,
    ),
  )
  if (events.kept.length > 0) span.events = events.kept
  withDropped(span, 'droppedEventsCount', count(raw.droppedEventsCount) + events.dropped)

  const links = bounded(raw.links, limits.maxLinks, (link): OtlpLink | undefined => {
    const linkTrace = read.id(link.traceId)
    const linkSpan = read.id(link.spanId)
    if (linkTrace?.length !== 32 || linkSpan?.length !== 16) return undefined
    const kept: OtlpLink = { traceId: linkTrace, spanId: linkSpan }
    if (typeof link.traceState === 'string' && link.traceState !== '')
      kept.traceState = link.traceState.slice(0, 512)
    return attributed(kept, link, read, limits)
  })
  if (links.kept.length > 0) span.links = links.kept
  withDropped(span, 'droppedLinksCount', count(raw.droppedLinksCount) + links.dropped)

  if (isObject(raw.status)) {
    const code = enumOf(raw.status.code, STATUS_BY_NAME, 2) as OtlpStatusCode
    const message = text(raw.status.message, limits)
    if (code !== 0 || message !== '') span.status = { code, ...(message === '' ? {} : { message }) }
  }
  return span
}

function normalizeScope(raw: unknown, read: Reader, limits: Limits): OtlpScope | undefined {
  if (!isObject(raw)) return undefined
  const scope: OtlpScope = attributed({ name: text(raw.name, limits) }, raw, read, limits)
  const version = text(raw.version, limits)
  if (version !== '') scope.version = version
  if (scope.attributes!.length === 0) delete scope.attributes
  return scope
}

/** Sets `attributes` (bounded) and `droppedAttributesCount` on `target` from `raw`. */
function attributed<T extends object>(
  target: T,
  raw: Json,
  read: Reader,
  limits: Limits,
): T & { attributes: OtlpKeyValue[] } {
  const { list, dropped } = keyValues(raw.attributes, read, limits, 0)
  const out = Object.assign(target, { attributes: list })
  return withDropped(out, 'droppedAttributesCount', count(raw.droppedAttributesCount) + dropped)
}

/** Converts at most `max` objects of a repeated field; the rest, and the refused, are dropped. */
function bounded<T>(
  raw: unknown,
  max: number,
  convert: (item: Json) => T | undefined,
): { kept: T[]; dropped: number } {
  const items = arrayOf(raw)
  const kept: T[] = []
  for (const item of items.slice(0, max)) {
    const converted = isObject(item) ? convert(item) : undefined
    if (converted !== undefined) kept.push(converted)
  }
  return { kept, dropped: items.length - kept.length }
}

function keyValues(
  raw: unknown,
  read: Reader,
  limits: Limits,
  depth: number,
): { list: OtlpKeyValue[]; dropped: number } {
  const input = arrayOf(raw)
  const max = depth === 0 ? limits.maxAttributes : limits.maxArrayLength
  const list: OtlpKeyValue[] = []
  for (const kv of input) {
    if (list.length >= max) break
    if (!isObject(kv) || typeof kv.key !== 'string') continue
    list.push({
      key: kv.key.slice(0, limits.maxValueLength),
      value: anyValue(kv.value, read, limits, depth),
    })
  }
  return { list, dropped: input.length - list.length }
}

function anyValue(raw: unknown, read: Reader, limits: Limits, depth: number): OtlpAnyValue {
  if (!isObject(raw)) return {}
  // A decoded protobuf AnyValue names its set field in `value` (the oneof); JSON has one key.
  const field = typeof raw.value === 'string' && raw.value in raw ? raw.value : firstField(raw)
  const value = field === undefined ? undefined : raw[field]
  switch (field) {
    case 'stringValue':
      return { stringValue: text(value, limits) }
    case 'boolValue':
      return { boolValue: value === true }
    case 'intValue': {
      const int = read.int(value)
      return int === undefined ? {} : { intValue: int }
    }
    case 'doubleValue':
      return typeof value === 'number' ? { doubleValue: value } : {}
    case 'bytesValue': {
      const bytes = read.bytes(value)
      return bytes === undefined ? {} : { bytesValue: bytes.slice(0, limits.maxValueLength) }
    }
    case 'arrayValue': {
      if (depth >= MAX_DEPTH || !isObject(value)) return { arrayValue: { values: [] } }
      const values = arrayOf(value.values)
        .slice(0, limits.maxArrayLength)
        .map((v) => anyValue(v, read, limits, depth + 1))
      return { arrayValue: { values } }
    }
    case 'kvlistValue': {
      if (depth >= MAX_DEPTH || !isObject(value)) return { kvlistValue: { values: [] } }
      return { kvlistValue: { values: keyValues(value.values, read, limits, depth + 1).list } }
    }
    default:
      return {}
  }
}

const FIELDS = [
  'stringValue',
  'boolValue',
  'intValue',
  'doubleValue',
  'arrayValue',
  'kvlistValue',
  'bytesValue',
]

function firstField(raw: Json): string | undefined {
  for (const field of FIELDS) if (raw[field] !== undefined && raw[field] !== null) return field
  return undefined
}

function text(value: unknown, limits: Limits): string {
  if (typeof value !== 'string') return ''
  return value.length > limits.maxValueLength ? `${value.slice(0, limits.maxValueLength)}…` : value
}

function enumOf(value: unknown, names: Record<string, number>, max: number): number {
  const n = typeof value === 'string' ? (names[value] ?? Number(value)) : value
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= max ? n : 0
}

function count(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value ?? 0)
  return Number.isInteger(n) && n > 0 ? n : 0
}

function withDropped<T extends object>(target: T, key: string, dropped: number): T {
  if (dropped > 0) (target as Record<string, unknown>)[key] = dropped
  return target
}

function schemaUrl(value: unknown): { schemaUrl?: string } {
  return typeof value === 'string' && value !== '' ? { schemaUrl: value.slice(0, 512) } : {}
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
