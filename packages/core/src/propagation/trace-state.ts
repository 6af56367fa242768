import { diag, type TraceState } from '@opentelemetry/api'
import { skipOws, trimOwsEnd } from './header-utils.js'

// Limits from W3C Trace Context Level 2, https://www.w3.org/TR/trace-context-2/#tracestate-header
const MAX_MEMBERS = 32
const MAX_KEY_LENGTH = 256
const MAX_VALUE_LENGTH = 256
const MAX_SERIALIZED_LENGTH = 512
const LONG_ENTRY_LENGTH = 128

// key = ( lcalpha / DIGIT ) 0*255( keychar ); keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@"
function isKeyStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39)
}

function isKeyChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x5f ||
    c === 0x2d ||
    c === 0x2a ||
    c === 0x2f ||
    c === 0x40
  )
}

function isKeyAt(s: string, start: number, end: number): boolean {
  const length = end - start
  if (length < 1 || length > MAX_KEY_LENGTH || !isKeyStart(s.charCodeAt(start))) return false
  for (let i = start + 1; i < end; i++) {
    if (!isKeyChar(s.charCodeAt(i))) return false
  }
  return true
}

// value = 0*255( chr ) nblk-chr; chr = %x20 / nblk-chr; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
function isValueAt(s: string, start: number, end: number): boolean {
  const length = end - start
  if (length < 1 || length > MAX_VALUE_LENGTH || s.charCodeAt(end - 1) === 0x20) return false
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20 || c > 0x7e || c === 0x2c || c === 0x3d) return false
  }
  return true
}

/** True when `key` is a legal W3C Level 2 `tracestate` key (vendor forms such as `tenant@system` included). */
export function isValidTraceStateKey(key: string): boolean {
  return typeof key === 'string' && isKeyAt(key, 0, key.length)
}

/** True when `value` is a legal W3C `tracestate` value (1-256 printable ASCII, no `,` or `=`, no trailing space). */
export function isValidTraceStateValue(value: string): boolean {
  return typeof value === 'string' && isValueAt(value, 0, value.length)
}

/**
 * An immutable W3C Trace Context Level 2 `tracestate`, with strict parsing: an invalid member,
 * more than 32 members or an oversized key or value discards the whole header, as the spec asks.
 * Serialization stays within 512 characters by dropping entries over 128 characters first, then
 * entries from the right.
 *
 * @example
 * const state = W3CTraceState.parse('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7')
 * state?.set('tracehop', '1').serialize() // 'tracehop=1,congo=t61rcWkgMzE,rojo=00f067aa0ba902b7'
 * @see https://www.w3.org/TR/trace-context-2/#tracestate-header
 */
export class W3CTraceState implements TraceState {
  // Insertion order is header order: the first entry is the left-most, most recent one.
  private readonly _entries: ReadonlyMap<string, string>
  private _serialized: string | undefined

  private constructor(entries: ReadonlyMap<string, string>) {
    this._entries = entries
  }

  /**
   * Parses a combined `tracestate` header (several header lines joined with commas).
   * Returns `undefined` when the header is invalid, which means "do not propagate it", or empty.
   */
  static parse(header: string): W3CTraceState | undefined {
    if (typeof header !== 'string') return undefined
    const entries = new Map<string, string>()
    const length = header.length
    let members = 0
    let pos = 0
    while (pos <= length) {
      let comma = header.indexOf(',', pos)
      if (comma === -1) comma = length
      const start = skipOws(header, pos, comma)
      const end = trimOwsEnd(header, start, comma)
      pos = comma + 1
      // Empty and whitespace-only members are allowed: they appear when header lines are joined.
      if (start === end) continue
      if (++members > MAX_MEMBERS) return undefined
      const eq = header.indexOf('=', start)
      if (
        eq === -1 ||
        eq >= end ||
        !isKeyAt(header, start, eq) ||
        !isValueAt(header, eq + 1, end)
      ) {
        return undefined
      }
      const key = header.slice(start, eq)
      // A duplicated key keeps the left-most (most recent) value.
      if (!entries.has(key)) entries.set(key, header.slice(eq + 1, end))
    }
    return entries.size === 0 ? undefined : new W3CTraceState(entries)
  }

  /**
   * Builds a trace state from `[key, value]` pairs, left-most first. Invalid pairs are skipped,
   * a repeated key keeps its first value, and at most 32 entries are kept.
   */
  static from(entries: Iterable<readonly [string, string]> = []): W3CTraceState {
    const map = new Map<string, string>()
    for (const [key, value] of entries) {
      if (map.size === MAX_MEMBERS) break
      if (isValidTraceStateKey(key) && isValidTraceStateValue(value) && !map.has(key)) {
        map.set(key, value)
      }
    }
    return new W3CTraceState(map)
  }

  /** Number of entries. */
  get size(): number {
    return this._entries.size
  }

  /** The value of `key`, or `undefined`. */
  get(key: string): string | undefined {
    return this._entries.get(key)
  }

  /**
   * A new trace state with `key` set and moved to the left (the spec's place for the entry of
   * the vendor that updates it). When full, the right-most entry is dropped. An invalid key or
   * value leaves the state unchanged.
   */
  set(key: string, value: string): W3CTraceState {
    if (!isValidTraceStateKey(key) || !isValidTraceStateValue(value)) {
      diag.debug(`@tracehop/core: ignoring invalid tracestate entry ${JSON.stringify(key)}`)
      return this
    }
    const map = new Map<string, string>([[key, value]])
    for (const [k, v] of this._entries) {
      if (map.size === MAX_MEMBERS) break
      if (k !== key) map.set(k, v)
    }
    return new W3CTraceState(map)
  }

  /** A new trace state without `key`. */
  unset(key: string): W3CTraceState {
    if (!this._entries.has(key)) return this
    const map = new Map(this._entries)
    map.delete(key)
    return new W3CTraceState(map)
  }

  /** The `tracestate` header value, at most 512 characters; `''` when empty. */
  serialize(): string {
    if (this._serialized === undefined) this._serialized = serializeEntries(this._entries)
    return this._serialized
  }

  /** `[key, value]` pairs, left-most first. */
  entries(): IterableIterator<[string, string]> {
    return this._entries.entries()
  }
}

function serializeEntries(entries: ReadonlyMap<string, string>): string {
  const parts: string[] = []
  let total = -1
  for (const [key, value] of entries) {
    const part = `${key}=${value}`
    parts.push(part)
    total += part.length + 1
  }
  if (total <= MAX_SERIALIZED_LENGTH) return parts.join(',')
  // https://www.w3.org/TR/trace-context-2/#tracestate-limits: remove entries longer than 128
  // characters first, then entries from the right, until the header fits.
  for (let i = parts.length - 1; i >= 0 && total > MAX_SERIALIZED_LENGTH; i--) {
    const part = parts[i]!
    if (part.length > LONG_ENTRY_LENGTH) {
      total -= part.length + 1
      parts.splice(i, 1)
    }
  }
  while (total > MAX_SERIALIZED_LENGTH) {
    total -= parts.pop()!.length + 1
  }
  return parts.join(',')
}
