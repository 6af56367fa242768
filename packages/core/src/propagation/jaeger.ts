import {
  diag,
  propagation,
  trace,
  TraceFlags,
  type Context,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api'
import {
  hexDigit,
  isAllZeros,
  isHex,
  isTracingSuppressed,
  isValidIds,
  padHex,
  readHeader,
  safeDecode,
  safeEncode,
  singleValue,
} from './header-utils.js'
import { isValidBaggageKey } from './baggage.js'
import { describe, isDebug, setDebug, setForeignRemoteTrace } from './trace-context.js'

/** Jaeger trace header name. */
export const JAEGER_HEADER = 'uber-trace-id'
/** Prefix of Jaeger baggage headers (`uberctx-{key}`). */
export const JAEGER_BAGGAGE_PREFIX = 'uberctx-'

const FLAG_SAMPLED = 0x01
const FLAG_DEBUG = 0x02

/** Options of {@link JaegerPropagator}. */
export interface JaegerPropagatorOptions {
  /** Also read and write baggage as `uberctx-{key}` headers. Default `true`. */
  baggage?: boolean
}

// Jaeger drops leading zeros, so ids are 1-32 (trace) or 1-16 (span) hex digits.
function readId(value: string, width: number): string | undefined {
  if (value.length < 1 || value.length > width || !isHex(value, 0, value.length)) return undefined
  const id = padHex(value.toLowerCase(), width)
  return isAllZeros(id) ? undefined : id
}

/**
 * Parses an `uber-trace-id` value, `{trace-id}:{span-id}:{parent-span-id}:{flags}`, with colons
 * possibly percent-encoded as `%3A`. Never throws; returns `undefined` when invalid.
 */
export function parseUberTraceId(
  header: string,
): { spanContext: SpanContext; debug: boolean } | undefined {
  const parts = safeDecode(header.trim()).split(':')
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
  private readonly _baggage: boolean

  constructor(options: JaegerPropagatorOptions = {}) {
    const baggage = options.baggage ?? true
    if (typeof baggage !== 'boolean') {
      throw new TypeError(
        `@tracehop/core: option "baggage" must be a boolean; received ${describe(baggage)}`,
      )
    }
    this._baggage = baggage
  }

  /** Writes `uber-trace-id` for the span in `context` (and `uberctx-*` baggage headers). */
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    if (isTracingSuppressed(context)) return
    const spanContext = trace.getSpanContext(context)
    if (spanContext !== undefined && isValidIds(spanContext.traceId, spanContext.spanId)) {
      let flags = spanContext.traceFlags & FLAG_SAMPLED
      if (isDebug(context, spanContext.traceId)) flags |= FLAG_DEBUG | FLAG_SAMPLED
      setter.set(carrier, JAEGER_HEADER, `${spanContext.traceId}:${spanContext.spanId}:0:${flags}`)
    }
    if (!this._baggage) return
    const baggage = propagation.getBaggage(context)
    if (baggage === undefined) return
    for (const [key, entry] of baggage.getAllEntries()) {
      if (isValidBaggageKey(key) && typeof entry.value === 'string') {
        setter.set(carrier, JAEGER_BAGGAGE_PREFIX + key, safeEncode(entry.value))
      }
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
      if (this._baggage) result = this._extractBaggage(result, carrier, getter)
    } catch (error) {
      diag.debug('@tracehop/core: Jaeger extraction failed', error)
    }
    return result
  }

  private _extractBaggage(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    if (carrier === null || typeof carrier !== 'object') return context
    const initial = propagation.getBaggage(context)
    let baggage = initial
    for (const name of getter.keys(carrier)) {
      if (typeof name !== 'string' || name.length <= JAEGER_BAGGAGE_PREFIX.length) continue
      const lower = name.toLowerCase()
      if (!lower.startsWith(JAEGER_BAGGAGE_PREFIX)) continue
      const value = singleValue(getter.get(carrier, name))
      if (value === undefined) continue
      baggage = (baggage ?? propagation.createBaggage()).setEntry(
        lower.slice(JAEGER_BAGGAGE_PREFIX.length),
        { value: safeDecode(value) },
      )
    }
    return baggage === initial ? context : propagation.setBaggage(context, baggage!)
  }

  /** The headers this propagator writes (`uberctx-*` are named per baggage key). */
  fields(): string[] {
    return [JAEGER_HEADER]
  }
}
