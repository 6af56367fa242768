import {
  diag,
  trace,
  type Context,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api'
import {
  hexDigit,
  isLowerHex,
  isLowerHexId,
  isTracingSuppressed,
  isValidIds,
  listValue,
  readHeader,
  singleValue,
  skipOws,
  trimOwsEnd,
} from './header-utils.js'
import { W3CTraceState } from './trace-state.js'

/** `traceparent` header name. */
export const TRACEPARENT_HEADER = 'traceparent'
/** `tracestate` header name. */
export const TRACESTATE_HEADER = 'tracestate'

const FLAG_SAMPLED = 0x01
const FLAG_RANDOM = 0x02
const KNOWN_FLAGS = FLAG_SAMPLED | FLAG_RANDOM
const TRACEPARENT_LENGTH = 55

/** The trace a request arrived with, kept in the context so later injections can see it. */
interface RemoteTrace {
  readonly traceId: string
  readonly random: boolean
}

// Symbol.for, so two installed copies of @tracehop/core (or the lifecycle and the global
// propagator built from different instances) read each other's note.
const kRemoteTrace = Symbol.for('tracehop.propagation.remote-trace')

/**
 * Notes in `context` the trace id that arrived from a remote caller and whether its random flag
 * was set. The OTel SDK creates child spans with the sampled flag only, so injection looks this
 * up to put the random flag back on calls that continue the same trace.
 */
export function setRemoteTrace(context: Context, traceId: string, random: boolean): Context {
  return context.setValue(kRemoteTrace, { traceId, random } satisfies RemoteTrace)
}

/**
 * Notes a trace id that arrived through a format without a random flag (B3, Jaeger), unless the
 * same trace was already noted, so that `randomTraceIds` does not mark a trace started elsewhere.
 */
export function setForeignRemoteTrace(context: Context, traceId: string): Context {
  return getRemoteTrace(context)?.traceId === traceId
    ? context
    : setRemoteTrace(context, traceId, false)
}

const kDebug = Symbol.for('tracehop.propagation.debug')

/**
 * Notes that the remote caller asked to debug trace `traceId` (B3 `d` / `X-B3-Flags: 1`,
 * Jaeger flag 2). Tied to the trace id so a new root started in this context is not marked.
 */
export function setDebug(context: Context, traceId: string): Context {
  return context.setValue(kDebug, traceId)
}

/** True when a remote debug decision for `traceId` was extracted into `context`. */
export function isDebug(context: Context, traceId: string): boolean {
  return context.getValue(kDebug) === traceId
}

/** The remote trace noted by {@link setRemoteTrace}, if any. */
export function getRemoteTrace(context: Context): RemoteTrace | undefined {
  return context.getValue(kRemoteTrace) as RemoteTrace | undefined
}

/**
 * Parses a `traceparent` value strictly (W3C Trace Context Level 2). Surrounding spaces and tabs
 * are allowed (no other whitespace); a future version is read by its version-00 prefix; a value
 * holding a comma (two joined header lines) is rejected whatever its version. Returns `undefined`
 * for any invalid value, which means "start a new trace".
 *
 * @example
 * parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03')
 * // { traceId: '4bf9...', spanId: '00f0...', traceFlags: 3, isRemote: true }
 */
export function parseTraceparent(value: string): SpanContext | undefined {
  if (typeof value !== 'string') return undefined
  let start = 0
  let end = value.length
  const first = value.charCodeAt(0)
  const last = value.charCodeAt(end - 1)
  if (first === 0x20 || first === 0x09 || last === 0x20 || last === 0x09) {
    start = skipOws(value, 0, end)
    end = trimOwsEnd(value, start, end)
  }
  const length = end - start
  if (length < TRACEPARENT_LENGTH) return undefined
  if (!isLowerHex(value, start, start + 2)) return undefined
  const v0 = value.charCodeAt(start)
  const v1 = value.charCodeAt(start + 1)
  if (v0 === 0x30 && v1 === 0x30) {
    if (length !== TRACEPARENT_LENGTH) return undefined
  } else if (v0 === 0x66 && v1 === 0x66) {
    return undefined // version ff is forbidden
  } else if (length > TRACEPARENT_LENGTH) {
    // a future version may only append fields after a '-'; and a comma means Node joined two
    // traceparent lines (`01-...-01-x, 00-...-01`): one context cannot be chosen from them
    if (value.charCodeAt(start + TRACEPARENT_LENGTH) !== 0x2d) return undefined
    if (value.indexOf(',', start + TRACEPARENT_LENGTH) !== -1) return undefined
  }
  if (
    value.charCodeAt(start + 2) !== 0x2d ||
    value.charCodeAt(start + 35) !== 0x2d ||
    value.charCodeAt(start + 52) !== 0x2d ||
    !isLowerHexId(value, start + 3, start + 35) ||
    !isLowerHexId(value, start + 36, start + 52) ||
    !isLowerHex(value, start + 53, start + 55)
  ) {
    return undefined
  }
  const traceId = value.slice(start + 3, start + 35)
  const spanId = value.slice(start + 36, start + 52)
  const traceFlags =
    (hexDigit(value.charCodeAt(start + 53)) << 4) | hexDigit(value.charCodeAt(start + 54))
  return { traceId, spanId, traceFlags, isRemote: true }
}

/** Options of {@link TraceContextPropagator}. */
export interface TraceContextPropagatorOptions {
  /**
   * Declares that this process generates trace ids at random (the OTel SDK's default
   * `RandomIdGenerator` does), so traces started here carry the W3C Level 2 random flag (`0x02`)
   * on outgoing calls. Traces continued from a caller keep the caller's random flag either way.
   * Leave it off with an id generator that is not random (for example, time-based ids).
   * Default `false`.
   */
  randomTraceIds?: boolean
}

/**
 * W3C Trace Context Level 2 propagator (`traceparent` + `tracestate`), strict where
 * `@opentelemetry/core`'s `W3CTraceContextPropagator` is lenient: lowercase-only hex, duplicate
 * `traceparent` headers rejected, Level 2 `tracestate` keys, a tracestate over the limits
 * discarded whole, and the random flag (`0x02`) kept on outgoing calls.
 *
 * @example
 * propagation.setGlobalPropagator(new TraceContextPropagator({ randomTraceIds: true }))
 * @see https://www.w3.org/TR/trace-context-2/
 */
export class TraceContextPropagator implements TextMapPropagator {
  private readonly _randomTraceIds: boolean

  constructor(options: TraceContextPropagatorOptions = {}) {
    const randomTraceIds = options.randomTraceIds ?? false
    if (typeof randomTraceIds !== 'boolean') {
      throw new TypeError(
        `@tracehop/core: option "randomTraceIds" must be a boolean; received ${describe(randomTraceIds)}`,
      )
    }
    this._randomTraceIds = randomTraceIds
  }

  /** Writes `traceparent` (and `tracestate` when not empty) for the span in `context`. */
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(context)
    if (spanContext === undefined || isTracingSuppressed(context)) return
    const { traceId, spanId } = spanContext
    if (!isValidIds(traceId, spanId)) return
    let flags = spanContext.traceFlags & KNOWN_FLAGS
    if ((flags & FLAG_RANDOM) === 0) {
      const remote = getRemoteTrace(context)
      if (remote !== undefined && remote.traceId === traceId) {
        if (remote.random) flags |= FLAG_RANDOM
      } else if (this._randomTraceIds) {
        flags |= FLAG_RANDOM
      }
    }
    setter.set(carrier, TRACEPARENT_HEADER, `00-${traceId}-${spanId}-0${flags}`)
    const traceState = spanContext.traceState?.serialize()
    if (traceState) setter.set(carrier, TRACESTATE_HEADER, traceState)
  }

  /** Reads `traceparent`/`tracestate`; an invalid `traceparent` leaves `context` as it was. */
  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    try {
      // Node joins repeated headers with ", ": parseTraceparent rejects any value with a comma.
      const header = singleValue(readHeader(getter, carrier, TRACEPARENT_HEADER))
      if (header === undefined) return context
      const spanContext = parseTraceparent(header)
      if (spanContext === undefined) return context
      const traceState = listValue(readHeader(getter, carrier, TRACESTATE_HEADER))
      if (traceState !== undefined) spanContext.traceState = W3CTraceState.parse(traceState)
      return setRemoteTrace(
        trace.setSpanContext(context, spanContext),
        spanContext.traceId,
        (spanContext.traceFlags & FLAG_RANDOM) !== 0,
      )
    } catch (error) {
      diag.debug('@tracehop/core: traceparent extraction failed', error)
      return context
    }
  }

  /** `['traceparent', 'tracestate']`. */
  fields(): string[] {
    return [TRACEPARENT_HEADER, TRACESTATE_HEADER]
  }
}

/** Describes a received option value for a TypeError message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  if (Array.isArray(value)) return 'an array'
  if (value === null) return 'null'
  if (typeof value === 'object') return 'an object'
  return String(value)
}
