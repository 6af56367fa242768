import { diag, type TraceState } from '@opentelemetry/api'
import { indexWithin, skipOws, trimOwsEnd } from './header-utils.js'

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
  // Parallel arrays in header order: index 0 is the left-most, most recent entry. At most 32
  // entries, so a linear search beats a Map and costs no allocation per lookup.
  private readonly _keys: readonly string[]
  private readonly _values: readonly string[]
  private _serialized: string | undefined

  private constructor(keys: readonly string[], values: readonly string[], serialized?: string) {
    this._keys = keys
    this._values = values
    this._serialized = serialized
  }

  /**
   * Parses a combined `tracestate` header (several header lines joined with commas).
   * Returns `undefined` when the header is invalid, which means "do not propagate it", or empty.
   */
  static parse(header: string): W3CTraceState | undefined {
    if (typeof header !== 'string') return undefined
    const keys: string[] = []
    const values: string[] = []
    const length = header.length
    // A header already in canonical form (no whitespace, empty members or repeats) is reused as
    // its own serialization, so injecting it costs nothing more.
    let canonical = length <= MAX_SERIALIZED_LENGTH
    let members = 0
    let pos = 0
    while (pos <= length) {
      let comma = header.indexOf(',', pos)
      if (comma === -1) comma = length
      const start = skipOws(header, pos, comma)
      const end = trimOwsEnd(header, start, comma)
      if (start !== pos || end !== comma) canonical = false
      pos = comma + 1
      // Empty and whitespace-only members are allowed: they appear when header lines are joined.
      if (start === end) {
        canonical = false
        continue
      }
      if (++members > MAX_MEMBERS) return undefined
      const eq = indexWithin(header, 0x3d, start, end)
      if (eq === end || !isKeyAt(header, start, eq) || !isValueAt(header, eq + 1, end)) {
        return undefined
      }
      const key = header.slice(start, eq)
      // A duplicated key keeps the left-most (most recent) value.
      if (keys.includes(key)) {
        canonical = false
      } else {
        keys.push(key)
        values.push(header.slice(eq + 1, end))
      }
    }
    if (keys.length === 0) return undefined
    return new W3CTraceState(keys, values, canonical ? header : undefined)
  }

  /**
   * Builds a trace state from `[key, value]` pairs, left-most first. Invalid pairs are skipped,
   * a repeated key keeps its first value, and at most 32 entries are kept.
   */
  static from(entries: Iterable<readonly [string, string]> = []): W3CTraceState {
    const keys: string[] = []
    const values: string[] = []
    for (const [key, value] of entries) {
      if (keys.length === MAX_MEMBERS) break
      if (isValidTraceStateKey(key) && isValidTraceStateValue(value) && !keys.includes(key)) {
        keys.push(key)
        values.push(value)
      }
    }
    return new W3CTraceState(keys, values)
  }

  /** Number of entries. */
  get size(): number {
    return this._keys.length
  }

  /** The value of `key`, or `undefined`. */
  get(key: string): string | undefined {
    const index = this._keys.indexOf(key)
    return index === -1 ? undefined : this._values[index]
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
    const keys = [key]
    const values = [value]
    for (let i = 0; i < this._keys.length && keys.length < MAX_MEMBERS; i++) {
      if (this._keys[i] !== key) {
        keys.push(this._keys[i]!)
        values.push(this._values[i]!)
      }
    }
    return new W3CTraceState(keys, values)
  }

  /** A new trace state without `key`. */
  unset(key: string): W3CTraceState {
    const index = this._keys.indexOf(key)
    if (index === -1) return this
    const keys = this._keys.filter((_, i) => i !== index)
    const values = this._values.filter((_, i) => i !== index)
    return new W3CTraceState(keys, values)
  }

  /** The `tracestate` header value, at most 512 characters; `''` when empty. */
  serialize(): string {
    if (this._serialized === undefined) {
      this._serialized = serializeEntries(this._keys, this._values)
    }
    return this._serialized
  }

  /** `[key, value]` pairs, left-most first. */
  *entries(): IterableIterator<[string, string]> {
    for (let i = 0; i < this._keys.length; i++) yield [this._keys[i]!, this._values[i]!]
  }
}

function serializeEntries(keys: readonly string[], values: readonly string[]): string {
  const parts: string[] = []
  let total = -1
  for (let i = 0; i < keys.length; i++) {
    const part = `${keys[i]}=${values[i]}`
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
