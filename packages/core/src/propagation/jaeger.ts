import {
  diag,
  propagation,
  trace,
  TraceFlags,
  type Context,
  type BaggageEntry,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api'
import { MAX_MEMBER_LENGTH, reportDropped, sendableMembers } from './baggage-limits.js'
import { MAX_READ_LENGTH, MAX_READ_MEMBERS } from './baggage.js'
import {
  hexDigit,
  isAllZeros,
  isHex,
  isTracingSuppressed,
  isValidIds,
  padHex,
  readHeader,
  safeDecode,
  singleValue,
  trimOws,
} from './header-utils.js'
import { describe, isDebug, setDebug, setForeignRemoteTrace } from './trace-context.js'

/** Jaeger trace header name. */
export const JAEGER_HEADER = 'uber-trace-id'
/** Prefix of Jaeger baggage headers (`uberctx-{key}`). */
export const JAEGER_BAGGAGE_PREFIX = 'uberctx-'

const FLAG_SAMPLED = 0x01
const FLAG_DEBUG = 0x02

/** Options of {@link JaegerPropagator}. */
export interface JaegerPropagatorOptions {
  /**
   * Baggage as `uberctx-{key}` headers. `true` (default): read them, and write every baggage
   * entry as one. `'received'`: read them, and write only the entries that arrived as `uberctx-*`
   * headers, for when a W3C `baggage` propagator carries the rest (`createPropagator` chooses
   * this when both are configured, so the same baggage is not sent twice). `false`: neither.
   */
  baggage?: boolean | 'received'
}

// Which baggage keys arrived as uberctx-* headers, for the 'received' mode. Symbol.for, like the
// other propagation notes, so two installed copies of @tracehop/core read each other's.
const kReceivedKeys = Symbol.for('tracehop.propagation.uberctx-keys')

// Jaeger drops leading zeros, so ids are 1-32 (trace) or 1-16 (span) hex digits.
function readId(value: string, width: number): string | undefined {
  if (value.length < 1 || value.length > width || !isHex(value, 0, value.length)) return undefined
  const id = padHex(value.toLowerCase(), width)
  return isAllZeros(id) ? undefined : id
}

function decodeColons(value: string): string {
  return value.indexOf('%') === -1 ? value : value.replace(/%3a/gi, ':')
}

/**
 * Parses an `uber-trace-id` value, `{trace-id}:{span-id}:{parent-span-id}:{flags}`, with colons
 * possibly percent-encoded as `%3A`. Never throws; returns `undefined` when invalid.
 */
export function parseUberTraceId(
  header: string,
): { spanContext: SpanContext; debug: boolean } | undefined {
  // Only spaces and tabs are optional whitespace, and only the colons may be percent-encoded:
  // decoding anything else could turn bytes that are not hex into characters that look like it.
  const parts = decodeColons(trimOws(header)).split(':')
  if (parts.length !== 4) return undefined
  const traceId = readId(parts[0]!, 32)
  const spanId = readId(parts[1]!, 16)
  const flagText = parts[3]!
  if (traceId === undefined || spanId === undefined) return undefined
  if (flagText.length < 1 || flagText.length > 2 || !isHex(flagText, 0, flagText.length)) {
    return undefined
  }
  let flags = 0
  for (let i = 0; i < flagText.length; i++) flags = (flags << 4) | hexDigit(flagText.charCodeAt(i))
  const debug = (flags & FLAG_DEBUG) !== 0
  const traceFlags = debug || (flags & FLAG_SAMPLED) !== 0 ? TraceFlags.SAMPLED : TraceFlags.NONE
  return { spanContext: { traceId, spanId, traceFlags, isRemote: true }, debug }
}

/**
 * Jaeger propagator (`uber-trace-id`, and baggage as `uberctx-*` headers unless
 * `{ baggage: false }`). Percent-encoded colons are accepted; bad encoding never throws.
 *
 * @example
 * new JaegerPropagator({ baggage: false })
 * @see https://www.jaegertracing.io/docs/latest/client-libraries/#propagation-format
 */
export class JaegerPropagator implements TextMapPropagator {
  private readonly _baggage: boolean | 'received'

  constructor(options: JaegerPropagatorOptions = {}) {
    const baggage = options.baggage ?? true
    if (typeof baggage !== 'boolean' && baggage !== 'received') {
      throw new TypeError(
        `@tracehop/core: option "baggage" must be a boolean or 'received'; received ${describe(baggage)}`,
      )
    }
    this._baggage = baggage
  }

  /**
   * Writes `uber-trace-id` for the span in `context`, and `uberctx-*` headers for its baggage
   * within the W3C limits (64 members, 8192 bytes); what does not fit is reported once.
   */
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    if (isTracingSuppressed(context)) return
    const spanContext = trace.getSpanContext(context)
    if (spanContext !== undefined && isValidIds(spanContext.traceId, spanContext.spanId)) {
      let flags = spanContext.traceFlags & FLAG_SAMPLED
      if (isDebug(context, spanContext.traceId)) flags |= FLAG_DEBUG | FLAG_SAMPLED
      setter.set(carrier, JAEGER_HEADER, `${spanContext.traceId}:${spanContext.spanId}:0:${flags}`)
    }
    if (this._baggage === false) return
    const baggage = propagation.getBaggage(context)
    if (baggage === undefined) return
    let include: ((key: string) => boolean) | undefined
    if (this._baggage === 'received') {
      const received = context.getValue(kReceivedKeys) as ReadonlySet<string> | undefined
      if (received === undefined) return
      include = (key) => received.has(key)
    }
    for (const { key, value } of sendableMembers(
      context,
      baggage,
      'uberctx-* headers',
      false,
      include,
    )) {
      setter.set(carrier, JAEGER_BAGGAGE_PREFIX + key, value)
    }
  }

  /** Reads `uber-trace-id` (and `uberctx-*` headers); invalid input is ignored. */
  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    let result = context
    try {
      const header = singleValue(readHeader(getter, carrier, JAEGER_HEADER))
      const ids = header === undefined ? undefined : parseUberTraceId(header)
      if (ids !== undefined) {
        result = setForeignRemoteTrace(
          trace.setSpanContext(result, ids.spanContext),
          ids.spanContext.traceId,
        )
        if (ids.debug) result = setDebug(result, ids.spanContext.traceId)
      }
      if (this._baggage !== false) result = this._extractBaggage(result, carrier, getter)
    } catch (error) {
      diag.debug('@tracehop/core: Jaeger extraction failed', error)
    }
    return result
  }

  // One pass over the carrier's keys and one Baggage built at the end: setting entries one by
  // one copies the whole baggage each time, quadratic in the number of uberctx-* headers.
  private _extractBaggage(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    if (carrier === null || typeof carrier !== 'object') return context
    const keys = getter.keys(carrier)
    let found: Array<[string, string]> | undefined
    let dropped = 0
    let total = 0
    for (let i = 0; i < keys.length; i++) {
      const name: unknown = keys[i]
      if (typeof name !== 'string' || name.length <= JAEGER_BAGGAGE_PREFIX.length) continue
      const lower = name.toLowerCase()
      if (!lower.startsWith(JAEGER_BAGGAGE_PREFIX)) continue
      const value = singleValue(getter.get(carrier, name))
      if (value === undefined) continue
      // the same limits as the baggage header, measured as its `key=value` member would be
      const size = lower.length - JAEGER_BAGGAGE_PREFIX.length + 1 + value.length
      const cost = size + (total === 0 ? 0 : 1)
      if (
        (found?.length ?? 0) === MAX_READ_MEMBERS ||
        size > MAX_MEMBER_LENGTH ||
        total + cost > MAX_READ_LENGTH
      ) {
        dropped++
        continue
      }
      total += cost
      ;(found ??= []).push([lower.slice(JAEGER_BAGGAGE_PREFIX.length), value])
    }
    if (dropped > 0) reportDropped('read', 'uberctx-* headers', dropped)
    if (found === undefined) return context
    const entries = Object.create(null) as Record<string, BaggageEntry>
    const initial = propagation.getBaggage(context)
    if (initial !== undefined)
      for (const [key, entry] of initial.getAllEntries()) entries[key] = entry
    const received = new Set<string>()
    for (const [key, value] of found) {
      entries[key] = { value: safeDecode(value) }
      received.add(key)
    }
    return propagation
      .setBaggage(context, propagation.createBaggage(entries))
      .setValue(kReceivedKeys, received)
  }

  /** The headers this propagator writes (`uberctx-*` are named per baggage key). */
  fields(): string[] {
    return [JAEGER_HEADER]
  }
}
