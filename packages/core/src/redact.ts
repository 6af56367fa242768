import type { Attributes } from '@opentelemetry/api'
import type { IncomingHttpHeaders, OutgoingHttpHeader } from 'node:http'
import { REDACTED } from './constants.js'
import type { CapturedHeader } from './options.js'

/**
 * Query parameters whose values never reach span data: credentials, tokens, signatures, keys,
 * OAuth/OIDC/SAML flow values, one-time codes, CSRF tokens, session ids, cloud signed-URL parts.
 * Names match case-insensitively and through separators (`accessToken`, `access-token` and
 * `ACCESS_TOKEN` are all `access_token`), and inside bracket forms (`token[]`, `user[password]`).
 * `redactQueryParams` adds names; `sensitiveQueryParams` replaces this list.
 * @see https://github.com/tracehop/tracehop/blob/main/docs/attributes.md#what-is-redacted
 */
export const DEFAULT_REDACTED_QUERY_PARAMS: readonly string[] = Object.freeze([
  // tokens and credentials
  'token',
  'access_token',
  'id_token',
  'refresh_token',
  'auth_token',
  'api_token',
  'session_token',
  'reset_token',
  'bearer',
  'jwt',
  'auth',
  'authorization',
  'credential',
  'credentials',
  'password',
  'passwd',
  'pwd',
  'pass',
  'passphrase',
  'secret',
  'client_secret',
  'api_secret',
  'secret_key',
  'api_key',
  'apikey',
  'key',
  'private_key',
  'hmac',
  // OAuth 1 and 2, OIDC, SAML
  'code',
  'code_verifier',
  'state',
  'nonce',
  'oauth_token',
  'oauth_verifier',
  'oauth_signature',
  'assertion',
  'client_assertion',
  'saml_request',
  'saml_response',
  'relay_state',
  // one-time codes, links and CSRF
  'otp',
  'pin',
  'ticket',
  'verification_code',
  'magic_link',
  'csrf',
  'csrf_token',
  'xsrf',
  'xsrf_token',
  // session ids
  'session',
  'session_id',
  'sid',
  'jsessionid',
  'phpsessid',
  // signed URLs: AWS, Google Cloud, Azure SAS
  'sig',
  'signature',
  'aws_access_key_id',
  'aws_secret_access_key',
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
  'x-goog-signature',
  'x-goog-credential',
  'se',
  'sv',
])

/** Redacts sensitive query parameter values. Compiled once per lifecycle. */
export interface QueryRedaction {
  redact(query: string): string
}

/**
 * The form names are compared in: lowercase, without `-` and `_`, so that `accessToken`,
 * `access-token` and `ACCESS_TOKEN` are one name.
 */
export function normalizeParamName(name: string): string {
  const lower = name.toLowerCase()
  return lower.indexOf('-') === -1 && lower.indexOf('_') === -1 ? lower : lower.replace(/[-_]/g, '')
}

function decodeKey(raw: string): string {
  if (raw.indexOf('%') === -1 && raw.indexOf('+') === -1) return raw
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '))
  } catch {
    // a malformed escape is not a known parameter name; keep the raw spelling
    return raw
  }
}

/**
 * True when a parameter name (decoded) is sensitive: its name before any bracket, or any
 * bracketed or dotted segment of it (`user[password]`, `auth.token`), is in `names`. Each
 * segment is looked at once: linear in the length of the name.
 */
function isSensitive(key: string, names: ReadonlySet<string>): boolean {
  let from = 0
  for (let i = 0; i <= key.length; i++) {
    const c = i === key.length ? 0x5b : key.charCodeAt(i)
    // '[' and ']' and '.' end a segment
    if (c === 0x5b || c === 0x5d || c === 0x2e) {
      if (i > from && names.has(normalizeParamName(key.slice(from, i)))) return true
      from = i + 1
    }
  }
  return false
}

/**
 * Builds the query redaction for `base` (the default list unless given) plus `extra`. Names are
 * matched in their normalised form (see {@link normalizeParamName}), decoded, and through bracket
 * and dot forms. Runs in time linear in the length of the query.
 */
export function compileQueryRedaction(
  extra: readonly string[],
  base: readonly string[] = DEFAULT_REDACTED_QUERY_PARAMS,
): QueryRedaction {
  const names = new Set([...base, ...extra].map(normalizeParamName))
  names.delete('')
  return {
    redact(query) {
      if (names.size === 0) return query
      let out: string | undefined
      // One pass over the characters: each segment's first '=' is noted as the scan meets it.
      // Searching for '=' from every '&' instead would rescan the rest of a query without one
      // (`&&&...`) once per segment, quadratic in its length.
      let start = 0
      let eq = -1
      for (let i = 0; i <= query.length; i++) {
        const c = i === query.length ? 0x26 : query.charCodeAt(i)
        if (c === 0x3d) {
          if (eq === -1) eq = i
          continue
        }
        if (c !== 0x26) continue
        // a segment [start, i): the key is [start, eq) when it has a value
        if (eq !== -1 && isSensitive(decodeKey(query.slice(start, eq)), names)) {
          // copy lazily: most queries hold nothing to redact and are returned as they are
          out = (out ?? query.slice(0, start)) + query.slice(start, eq + 1) + REDACTED
        } else if (out !== undefined) {
          out += query.slice(start, i)
        }
        if (out !== undefined && i < query.length) out += '&'
        start = i + 1
        eq = -1
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
