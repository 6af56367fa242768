import {
  diag,
  trace,
  TraceFlags,
  type Context,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api'
import {
  isAllZeros,
  isHex,
  isTracingSuppressed,
  isValidIds,
  padHex,
  readHeader,
  singleValue,
  skipOws,
  trimOws,
  trimOwsEnd,
} from './header-utils.js'
import { describe, isDebug, setDebug, setForeignRemoteTrace } from './trace-context.js'

/** B3 single-header name. */
export const B3_HEADER = 'b3'
/** B3 multi-header trace id. */
export const B3_TRACE_ID_HEADER = 'x-b3-traceid'
/** B3 multi-header span id. */
export const B3_SPAN_ID_HEADER = 'x-b3-spanid'
/** B3 multi-header sampling decision (`1`/`true`, `0`/`false`). */
export const B3_SAMPLED_HEADER = 'x-b3-sampled'
/** B3 multi-header debug flag (`1`). */
export const B3_FLAGS_HEADER = 'x-b3-flags'

/** Options of {@link B3Propagator}. */
export interface B3PropagatorOptions {
  /**
   * How outgoing calls carry B3: one `b3` header (`'single'`, the default) or the
   * `X-B3-TraceId`/`X-B3-SpanId`/`X-B3-Sampled` headers (`'multi'`). Both are always read.
   */
  inject?: 'single' | 'multi'
}

interface B3Ids {
  spanContext: SpanContext
  debug: boolean
}

// Trace ids are 64 or 128 bit; a 64-bit id is left-padded to the W3C 128 bits.
function readTraceId(value: string): string | undefined {
  if ((value.length !== 16 && value.length !== 32) || !isHex(value, 0, value.length)) {
    return undefined
  }
  const id = padHex(value.toLowerCase(), 32)
  return isAllZeros(id) ? undefined : id
}

function readSpanId(value: string): string | undefined {
  if (value.length !== 16 || !isHex(value, 0, 16)) return undefined
  const id = value.toLowerCase()
  return isAllZeros(id) ? undefined : id
}

/** Parses a B3 single header, `{traceId}-{spanId}[-{1|0|d}[-{parentSpanId}]]`. */
export function parseB3Single(header: string): B3Ids | undefined {
  const start = skipOws(header, 0, header.length)
  const parts = header.slice(start, trimOwsEnd(header, start, header.length)).split('-')
  if (parts.length < 2 || parts.length > 4) return undefined
  const traceId = readTraceId(parts[0]!)
  const spanId = readSpanId(parts[1]!)
  if (traceId === undefined || spanId === undefined) return undefined
  const sampling = parts[2]
  if (sampling !== undefined && sampling !== '0' && sampling !== '1' && sampling !== 'd') {
    return undefined
  }
  if (parts[3] !== undefined && readSpanId(parts[3]) === undefined) return undefined
  const debug = sampling === 'd'
  const traceFlags = debug || sampling === '1' ? TraceFlags.SAMPLED : TraceFlags.NONE
  return { spanContext: { traceId, spanId, traceFlags, isRemote: true }, debug }
}

function readMulti(getter: TextMapGetter, carrier: unknown): B3Ids | undefined {
  const rawTraceId = singleValue(readHeader(getter, carrier, B3_TRACE_ID_HEADER))
  if (rawTraceId === undefined) return undefined
  const rawSpanId = singleValue(readHeader(getter, carrier, B3_SPAN_ID_HEADER))
  if (rawSpanId === undefined) return undefined
  // only spaces and tabs are optional whitespace: an NBSP around an id leaves it invalid
  const traceId = readTraceId(trimOws(rawTraceId))
  const spanId = readSpanId(trimOws(rawSpanId))
  if (traceId === undefined || spanId === undefined) return undefined
  const flags = singleValue(readHeader(getter, carrier, B3_FLAGS_HEADER))
  const debug = flags !== undefined && trimOws(flags) === '1'
  const rawSampled = singleValue(readHeader(getter, carrier, B3_SAMPLED_HEADER))
  const sampled = rawSampled === undefined ? undefined : trimOws(rawSampled)
  // An absent or unknown X-B3-Sampled is B3's "deferred" decision; a SpanContext cannot say
  // "undecided", so it arrives unsampled, as in the OTel B3 propagator.
  const traceFlags =
    debug || sampled === '1' || sampled === 'true' ? TraceFlags.SAMPLED : TraceFlags.NONE
  return { spanContext: { traceId, spanId, traceFlags, isRemote: true }, debug }
}

/**
 * Zipkin B3 propagator. Reads the single `b3` header and the `X-B3-*` headers (single wins when
 * both are valid); writes the single header unless `{ inject: 'multi' }`. A 64-bit trace id is
 * left-padded to 128 bits; `d` / `X-B3-Flags: 1` (debug) means sampled and is passed on.
 *
 * @example
 * new B3Propagator({ inject: 'multi' })
 * @see https://github.com/openzipkin/b3-propagation
 */
export class B3Propagator implements TextMapPropagator {
  private readonly _multi: boolean

  constructor(options: B3PropagatorOptions = {}) {
    const inject = options.inject ?? 'single'
    if (inject !== 'single' && inject !== 'multi') {
      throw new TypeError(
        `@tracehop/core: option "inject" must be 'single' or 'multi'; received ${describe(inject)}`,
      )
    }
    this._multi = inject === 'multi'
  }

  /** Writes B3 headers for the span in `context`. */
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(context)
    if (spanContext === undefined || isTracingSuppressed(context)) return
    const { traceId, spanId } = spanContext
    if (!isValidIds(traceId, spanId)) return
    const debug = isDebug(context, traceId)
    const sampled = (spanContext.traceFlags & TraceFlags.SAMPLED) !== 0
    if (!this._multi) {
      setter.set(carrier, B3_HEADER, `${traceId}-${spanId}-${debug ? 'd' : sampled ? '1' : '0'}`)
      return
    }
    setter.set(carrier, B3_TRACE_ID_HEADER, traceId)
    setter.set(carrier, B3_SPAN_ID_HEADER, spanId)
    // Debug implies "sampled"; B3 says not to send X-B3-Sampled beside it.
    if (debug) setter.set(carrier, B3_FLAGS_HEADER, '1')
    else setter.set(carrier, B3_SAMPLED_HEADER, sampled ? '1' : '0')
  }

  /** Reads B3 single or multi headers; invalid input leaves `context` as it was. */
  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    try {
      const single = singleValue(readHeader(getter, carrier, B3_HEADER))
      const ids =
        (single === undefined ? undefined : parseB3Single(single)) ?? readMulti(getter, carrier)
      if (ids === undefined) return context
      let result = setForeignRemoteTrace(
        trace.setSpanContext(context, ids.spanContext),
        ids.spanContext.traceId,
      )
      if (ids.debug) result = setDebug(result, ids.spanContext.traceId)
      return result
    } catch (error) {
      diag.debug('@tracehop/core: B3 extraction failed', error)
      return context
    }
  }

  /** The headers this propagator writes. */
  fields(): string[] {
    return this._multi
      ? [B3_TRACE_ID_HEADER, B3_SPAN_ID_HEADER, B3_SAMPLED_HEADER, B3_FLAGS_HEADER]
      : [B3_HEADER]
  }
}
