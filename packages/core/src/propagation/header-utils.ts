import { type Context, type TextMapGetter } from '@opentelemetry/api'

// The SDK marks contexts whose work must not be traced (an exporter's own HTTP calls) with this
// key. `createContextKey` is `Symbol.for`, so reading it needs no dependency on `@opentelemetry/core`.
const kSuppressTracing = Symbol.for('OpenTelemetry SDK Context Key SUPPRESS_TRACING')

/** True when the SDK asked for no tracing in this context: nothing is injected then. */
export function isTracingSuppressed(context: Context): boolean {
  return context.getValue(kSuppressTracing) === true
}

/**
 * Reads a header through the getter. Node lower-cases incoming header names, so the direct
 * lookup hits on the common path; only when it misses are the carrier's keys scanned for another
 * casing (`TraceParent` in a plain object). Comparing lengths first keeps the scan cheap.
 */
export function readHeader<C>(
  getter: TextMapGetter<C>,
  carrier: C,
  name: string,
): string | string[] | undefined {
  const value = getter.get(carrier, name)
  if (value !== undefined) return value
  if (carrier === null || typeof carrier !== 'object') return undefined
  let keys: unknown
  try {
    keys = getter.keys(carrier)
  } catch {
    // A getter without a working keys() still serves exact-case lookups.
    return undefined
  }
  if (!Array.isArray(keys)) return undefined
  for (let i = 0; i < keys.length; i++) {
    const key: unknown = keys[i]
    if (
      typeof key === 'string' &&
      key.length === name.length &&
      key !== name &&
      key.toLowerCase() === name
    ) {
      return getter.get(carrier, key)
    }
  }
  return undefined
}

/** One header value: the only element of a one-element array, else `undefined` for duplicates. */
export function singleValue(value: string | string[] | undefined): string | undefined {
  if (typeof value === 'string') return value
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return value[0]
  return undefined
}

/** A list-valued header (tracestate, baggage): several lines combine, in order, with commas. */
export function listValue(value: string | string[] | undefined): string | undefined {
  if (typeof value === 'string') return value
  if (!Array.isArray(value)) return undefined
  let out: string | undefined
  for (const line of value) {
    if (typeof line !== 'string') continue
    out = out === undefined ? line : `${out},${line}`
  }
  return out
}

// token = 1*tchar (RFC 9110): ALPHA / DIGIT / "!#$%&'*+-.^_`|~"
function isTokenChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x21 ||
    (c >= 0x23 && c <= 0x27) ||
    c === 0x2a ||
    c === 0x2b ||
    c === 0x2d ||
    c === 0x2e ||
    c === 0x5e ||
    c === 0x5f ||
    c === 0x60 ||
    c === 0x7c ||
    c === 0x7e
  )
}

/** True when `s[start, end)` is a non-empty HTTP token (RFC 9110 `tchar`s). */
export function isTokenAt(s: string, start: number, end: number): boolean {
  if (start >= end) return false
  for (let i = start; i < end; i++) {
    if (!isTokenChar(s.charCodeAt(i))) return false
  }
  return true
}

/** Index of the first character after leading spaces and tabs (HTTP optional whitespace). */
export function skipOws(s: string, start: number, end: number): number {
  while (start < end) {
    const c = s.charCodeAt(start)
    if (c !== 0x20 && c !== 0x09) break
    start++
  }
  return start
}

/** Index after the last character that is not a space or tab, searching back from `end`. */
export function trimOwsEnd(s: string, start: number, end: number): number {
  while (end > start) {
    const c = s.charCodeAt(end - 1)
    if (c !== 0x20 && c !== 0x09) break
    end--
  }
  return end
}

/**
 * `s` without leading and trailing spaces and tabs, the only optional whitespace of HTTP
 * (RFC 9110, section 5.6.3). `String.prototype.trim` is wrong for header values: it also strips
 * NBSP and other Unicode spaces, which would turn an invalid value into a valid one.
 */
export function trimOws(s: string): string {
  const start = skipOws(s, 0, s.length)
  const end = trimOwsEnd(s, start, s.length)
  return start === 0 && end === s.length ? s : s.slice(start, end)
}

/**
 * `s.indexOf(char, from)` that stops at `to`, returning `to` when not found. An unbounded search
 * from every list member would rescan the rest of a long header each time.
 */
export function indexWithin(s: string, code: number, from: number, to: number): number {
  for (let i = from; i < to; i++) {
    if (s.charCodeAt(i) === code) return i
  }
  return to
}

/** True when `s[start, end)` is lowercase hex only. A loop, not a regex: this runs per request. */
export function isLowerHex(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i)
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false
  }
  return true
}

/** True when `s[start, end)` is lowercase hex and not all zeros: a valid W3C id, in one pass. */
export function isLowerHexId(s: string, start: number, end: number): boolean {
  let nonZero = 0
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i)
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false
    nonZero |= c ^ 0x30
  }
  return nonZero !== 0
}

/**
 * True when `s[start, end)` is hex of either case: `0-9`, `a-f`, `A-F` and nothing else. Each
 * range is tested as written: folding the case with `c | 0x20` would let control bytes through
 * (`0x11 | 0x20` is `1`).
 */
export function isHex(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i)
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46))) {
      return false
    }
  }
  return true
}

/** True when every character of `s` is `0`. */
export function isAllZeros(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) !== 0x30) return false
  }
  return true
}

/** Value of one lowercase hex digit (caller has checked it). */
export function hexDigit(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57
}

const ZEROS = '00000000000000000000000000000000'

/** Left-pads a hex id with zeros to `width` characters. */
export function padHex(id: string, width: number): string {
  return id.length >= width ? id : ZEROS.slice(0, width - id.length) + id
}

/** True when the ids are lowercase hex, of the W3C lengths, and not all zero. */
export function isValidIds(traceId: string, spanId: string): boolean {
  return (
    typeof traceId === 'string' &&
    typeof spanId === 'string' &&
    traceId.length === 32 &&
    spanId.length === 16 &&
    isLowerHexId(traceId, 0, 32) &&
    isLowerHexId(spanId, 0, 16)
  )
}

const decoder = new TextDecoder('utf-8', { fatal: false })

/**
 * Percent-decodes `value` and never throws: a malformed escape (`%zz`, a lone `%`, bytes that are
 * not UTF-8) is kept as written or becomes U+FFFD, where `decodeURIComponent` would throw.
 */
export function safeDecode(value: string): string {
  if (value.indexOf('%') === -1) return value
  try {
    return decodeURIComponent(value)
  } catch {
    // fall through to the lenient decoder below
  }
  const bytes: number[] = []
  let out = ''
  const flush = (): void => {
    if (bytes.length > 0) {
      out += decoder.decode(new Uint8Array(bytes))
      bytes.length = 0
    }
  }
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c === 0x25 && i + 2 < value.length && isHex(value, i + 1, i + 3)) {
      bytes.push((hexDigit(value.charCodeAt(i + 1)) << 4) | hexDigit(value.charCodeAt(i + 2)))
      i += 2
    } else {
      flush()
      out += value[i]
    }
  }
  flush()
  return out
}

const encoder = new TextEncoder()
const HEX = '0123456789ABCDEF'

/**
 * `encodeURIComponent` that never throws: where it would (a lone surrogate), the text is encoded
 * through `TextEncoder`, which turns lone surrogates into U+FFFD.
 */
export function safeEncode(value: string): string {
  try {
    return encodeURIComponent(value)
  } catch {
    let out = ''
    for (const byte of encoder.encode(value)) {
      const unreserved =
        (byte >= 0x30 && byte <= 0x39) ||
        (byte >= 0x41 && byte <= 0x5a) ||
        (byte >= 0x61 && byte <= 0x7a) ||
        byte === 0x2d ||
        byte === 0x2e ||
        byte === 0x5f ||
        byte === 0x7e
      out += unreserved ? String.fromCharCode(byte) : `%${HEX[byte >> 4]}${HEX[byte & 15]}`
    }
    return out
  }
}
