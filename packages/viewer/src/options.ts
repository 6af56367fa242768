import type { ViewerOptions } from './types.js'

const OWNER = '@tracehop/viewer'

/** {@link ViewerOptions} with every default applied, validated. */
export interface NormalizedOptions {
  readonly port: number
  readonly host: string
  readonly maxSpans: number
  readonly file: string | undefined
  readonly allowedOrigins: readonly string[]
  readonly maxBodyBytes: number
  readonly maxAttributes: number
  readonly maxValueLength: number
}

/** The defaults, in one place. */
export const DEFAULTS = {
  port: 4318,
  host: '127.0.0.1',
  maxSpans: 100_000,
  maxBodyBytes: 16 * 1024 * 1024,
  maxAttributes: 128,
  maxValueLength: 8192,
} as const

/** Says what a wrong value was, briefly, for an error message. */
export function received(value: unknown): string {
  if (typeof value === 'string') {
    const json = JSON.stringify(value)
    return json.length > 60 ? `${json.slice(0, 57)}..."` : json
  }
  if (Array.isArray(value)) return `an array of length ${value.length}`
  if (typeof value === 'function') return 'a function'
  if (typeof value === 'object' && value !== null) return 'an object'
  return String(value)
}

function fail(name: string, expected: string, value: unknown): TypeError {
  return new TypeError(
    `${OWNER}: option "${name}" must be ${expected}; received ${received(value)}`,
  )
}

function integer(name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw fail(name, `an integer from ${min} to ${max}`, value)
  return value
}

/**
 * Validates options once, when the viewer starts, and applies the defaults. Throws a `TypeError`
 * that names the package, the option and what was received.
 */
export function normalizeOptions(options: ViewerOptions | undefined): NormalizedOptions {
  if (options === undefined) options = {}
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new TypeError(`${OWNER}: options must be an object; received ${received(options)}`)
  const { host, file, allowedOrigins } = options
  if (host !== undefined && (typeof host !== 'string' || host.trim() === ''))
    throw fail('host', 'a non-empty string', host)
  if (file !== undefined && (typeof file !== 'string' || file === ''))
    throw fail('file', 'a non-empty path', file)
  if (
    allowedOrigins !== undefined &&
    (!Array.isArray(allowedOrigins) ||
      !allowedOrigins.every(
        (o) => typeof o === 'string' && (o === '*' || /^https?:\/\/[^/]+$/.test(o)),
      ))
  )
    throw fail(
      'allowedOrigins',
      'an array of origins (like "http://localhost:5173") or "*"',
      allowedOrigins,
    )
  return {
    port: integer('port', options.port, 0, 65535, DEFAULTS.port),
    host: host ?? DEFAULTS.host,
    maxSpans: integer('maxSpans', options.maxSpans, 1, 10_000_000, DEFAULTS.maxSpans),
    file,
    allowedOrigins: allowedOrigins ?? [],
    maxBodyBytes: integer(
      'maxBodyBytes',
      options.maxBodyBytes,
      1024,
      1 << 30,
      DEFAULTS.maxBodyBytes,
    ),
    maxAttributes: integer(
      'maxAttributes',
      options.maxAttributes,
      1,
      100_000,
      DEFAULTS.maxAttributes,
    ),
    maxValueLength: integer(
      'maxValueLength',
      options.maxValueLength,
      16,
      1 << 24,
      DEFAULTS.maxValueLength,
    ),
  }
}
