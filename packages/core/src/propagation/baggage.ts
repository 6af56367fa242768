import {
  baggageEntryMetadataFromString,
  diag,
  propagation,
  type BaggageEntry,
  type Context,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api'
import { MAX_MEMBER_LENGTH, reportDropped, sendableMembers } from './baggage-limits.js'
import {
  indexWithin,
  isTokenAt,
  isTracingSuppressed,
  listValue,
  readHeader,
  safeDecode,
  skipOws,
  trimOwsEnd,
} from './header-utils.js'

/** `baggage` header name. */
export const BAGGAGE_HEADER = 'baggage'

// W3C Baggage asks platforms to carry at least 64 members and 8192 bytes. Like the OTel SDKs, up
// to 180 members are read, each at most 4096 characters, and 8192 characters in all; what is sent
// keeps to the W3C figures (baggage-limits.ts).
/** Most baggage members read from one request, in any format. */
export const MAX_READ_MEMBERS = 180
/** Most characters of baggage read from one request, in any format. */
export const MAX_READ_LENGTH = 8192

// baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E (no space, '"', ',', ';', '\')
function isValueAt(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x21 || c > 0x7e || c === 0x22 || c === 0x2c || c === 0x3b || c === 0x5c) return false
  }
  return true
}

// property = key OWS [ "=" OWS value OWS ], separated by ";"
function isPropertiesAt(s: string, start: number, end: number): boolean {
  let pos = start
  while (pos <= end) {
    const semi = indexWithin(s, 0x3b, pos, end)
    const from = skipOws(s, pos, semi)
    const to = trimOwsEnd(s, from, semi)
    pos = semi + 1
    const eq = indexWithin(s, 0x3d, from, to)
    if (!isTokenAt(s, from, trimOwsEnd(s, from, eq))) return false
    if (eq < to && !isValueAt(s, skipOws(s, eq + 1, to), to)) return false
  }
  return true
}

/**
 * Parses a `baggage` header into entries, or `undefined` when it holds none. Invalid members are
 * skipped, values are percent-decoded without ever throwing, properties become the entry's metadata.
 */
export function parseBaggage(header: string): Record<string, BaggageEntry> | undefined {
  // No prototype: a member named `__proto__` must stay an ordinary entry.
  const entries = Object.create(null) as Record<string, BaggageEntry>
  const length = header.length
  let members = 0
  let total = 0
  let pos = 0
  let dropped = 0
  while (pos <= length) {
    let comma = header.indexOf(',', pos)
    if (comma === -1) comma = length
    const start = skipOws(header, pos, comma)
    const end = trimOwsEnd(header, start, comma)
    pos = comma + 1
    if (start === end) continue
    // what is kept counts against the total: one oversized member does not crowd out the rest
    const size = end - start + (members === 0 ? 0 : 1)
    if (
      members === MAX_READ_MEMBERS ||
      total + size > MAX_READ_LENGTH ||
      end - start > MAX_MEMBER_LENGTH
    ) {
      // counted, not parsed: the rest of an oversized header costs one scan for commas
      dropped++
      continue
    }
    const semi = indexWithin(header, 0x3b, start, end)
    const eq = indexWithin(header, 0x3d, start, semi)
    if (eq === semi) continue
    const keyEnd = trimOwsEnd(header, start, eq)
    const valueStart = skipOws(header, eq + 1, semi)
    const valueEnd = trimOwsEnd(header, valueStart, semi)
    if (!isTokenAt(header, start, keyEnd) || !isValueAt(header, valueStart, valueEnd)) continue
    const entry: BaggageEntry = { value: safeDecode(header.slice(valueStart, valueEnd)) }
    if (semi < end) {
      const propsStart = skipOws(header, semi + 1, end)
      if (!isPropertiesAt(header, propsStart, end)) continue
      entry.metadata = baggageEntryMetadataFromString(header.slice(propsStart, end))
    }
    entries[header.slice(start, keyEnd)] = entry
    members++
    total += size
  }
  if (dropped > 0) reportDropped('read', 'the baggage header', dropped)
  return members === 0 ? undefined : entries
}

/** True when `key` can be sent as a W3C baggage key (an HTTP token). */
export function isValidBaggageKey(key: string): boolean {
  return typeof key === 'string' && isTokenAt(key, 0, key.length)
}

/**
 * W3C Baggage propagator (`baggage` header). Invalid members are skipped rather than failing the
 * whole header, percent-decoding never throws, and entry properties travel as metadata.
 *
 * @example
 * propagation.setGlobalPropagator(new CompositePropagator([new TraceContextPropagator(), new W3CBaggagePropagator()]))
 * @see https://www.w3.org/TR/baggage/
 */
export class W3CBaggagePropagator implements TextMapPropagator {
  /**
   * Writes the context's baggage as one `baggage` header, within the W3C limits (64 members,
   * 8192 bytes); what does not fit is counted and reported once through `diag`.
   */
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const baggage = propagation.getBaggage(context)
    if (baggage === undefined || isTracingSuppressed(context)) return
    const members = sendableMembers(context, baggage, 'the baggage header', true)
    if (members.length === 0) return
    let header = members[0]!.member
    for (let i = 1; i < members.length; i++) header += `,${members[i]!.member}`
    setter.set(carrier, BAGGAGE_HEADER, header)
  }

  /** Reads the `baggage` header(s) into the context's baggage, replacing what was there. */
  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    try {
      const header = listValue(readHeader(getter, carrier, BAGGAGE_HEADER))
      if (header === undefined) return context
      const entries = parseBaggage(header)
      if (entries === undefined) return context
      return propagation.setBaggage(context, propagation.createBaggage(entries))
    } catch (error) {
      diag.debug('@tracehop/core: baggage extraction failed', error)
      return context
    }
  }

  /** `['baggage']`. */
  fields(): string[] {
    return [BAGGAGE_HEADER]
  }
}
