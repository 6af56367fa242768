import type { Attributes } from '@opentelemetry/api'
import type { IncomingHttpHeaders, OutgoingHttpHeader } from 'node:http'
import { REDACTED } from './constants.js'
import type { CapturedHeader } from './options.js'

/**
 * Query parameters whose values never reach span data: credentials, tokens, signatures, keys,
 * OAuth codes. Compared case-insensitively; users extend the list with `redactQueryParams`.
 */
export const DEFAULT_REDACTED_QUERY_PARAMS: readonly string[] = [
  'token',
  'access_token',
  'id_token',
  'refresh_token',
  'auth',
  'auth_token',
  'authorization',
  'jwt',
  'code',
  'password',
  'passwd',
  'pwd',
  'pass',
  'secret',
  'client_secret',
  'api_key',
  'apikey',
  'api-key',
  'key',
  'private_key',
  'session',
  'sessionid',
  'session_id',
  'sig',
  'signature',
  'awsaccesskeyid',
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
  'x-goog-signature',
  'x-goog-credential',
]

/** Redacts sensitive query parameter values. Compiled once per lifecycle. */
export interface QueryRedaction {
  redact(query: string): string
}

function decodeKey(raw: string): string {
  if (!raw.includes('%') && !raw.includes('+')) return raw.toLowerCase()
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' ')).toLowerCase()
  } catch {
    // a malformed escape is not a known parameter name; keep the raw spelling
    return raw.toLowerCase()
  }
}

/** Builds the query redaction for the default list plus `extra` (lowercase names). */
export function compileQueryRedaction(extra: readonly string[]): QueryRedaction {
  const names = new Set([...DEFAULT_REDACTED_QUERY_PARAMS, ...extra])
  return {
    redact(query) {
      let out: string | undefined
      let start = 0
      while (start <= query.length) {
        let end = query.indexOf('&', start)
        if (end === -1) end = query.length
        const eq = query.indexOf('=', start)
        const keyEnd = eq === -1 || eq > end ? end : eq
        if (keyEnd < end && names.has(decodeKey(query.slice(start, keyEnd)))) {
          // copy lazily: most queries hold nothing to redact and are returned as they are
          out = (out ?? query.slice(0, start)) + query.slice(start, keyEnd + 1) + REDACTED
        } else if (out !== undefined) {
          out += query.slice(start, end)
        }
        if (end === query.length) break
        if (out !== undefined) out += '&'
        start = end + 1
      }
      return out ?? query
    },
  }
}

function toStringList(value: OutgoingHttpHeader | undefined): string[] | undefined {
  if (value === undefined) return undefined
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.map(String)
  return [String(value)]
}

function redactList(values: string[]): string[] {
  return values.map(() => REDACTED)
}

/** Adds `http.request.header.<name>` attributes for the allowlisted request headers. */
export function captureRequestHeaders(
  attributes: Attributes,
  headers: IncomingHttpHeaders,
  captured: readonly CapturedHeader[],
): void {
  for (const header of captured) {
    const values = toStringList(headers[header.name])
    if (values !== undefined) attributes[header.key] = header.redact ? redactList(values) : values
  }
}

/** Reads the allowlisted response headers into `http.response.header.<name>` attributes. */
export function captureResponseHeaders(
  response: { getHeader(name: string): OutgoingHttpHeader | undefined },
  captured: readonly CapturedHeader[],
): Attributes | undefined {
  let attributes: Attributes | undefined
  for (const header of captured) {
    const values = toStringList(response.getHeader(header.name))
    if (values !== undefined) {
      attributes ??= {}
      attributes[header.key] = header.redact ? redactList(values) : values
    }
  }
  return attributes
}
