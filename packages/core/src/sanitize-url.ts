import { compileQueryRedaction, type QueryRedaction } from './redact.js'

// `scheme://` and, when present, the userinfo that ends at the authority's last `@`.
const PREFIX = /^[a-z][a-z0-9+.-]*:\/\/(?:[^/?#]*@)?/i

let defaultRedaction: QueryRedaction | undefined

/**
 * Makes a URL safe to record, as `url.full` on a CLIENT span: the userinfo
 * (`user:password@`) is removed, sensitive query parameter values are replaced by `REDACTED`
 * with the same rules as a server span's `url.query` (the default list,
 * `DEFAULT_REDACTED_QUERY_PARAMS`), and the fragment is dropped (it is never sent, and OAuth
 * implicit flows carry tokens there). Everything else is kept as written, unparsed and
 * unnormalised; a string that is not an absolute URL only has its query and fragment treated.
 *
 * @example
 * sanitizeUrl('https://ada:pw@api.example.com/v1/orders?token=abc&page=2#top')
 * // 'https://api.example.com/v1/orders?token=REDACTED&page=2'
 * @see https://opentelemetry.io/docs/specs/semconv/registry/attributes/url/#url-full
 */
export function sanitizeUrl(url: string): string {
  const hash = url.indexOf('#')
  const end = hash === -1 ? url.length : hash
  const question = url.indexOf('?')
  const queryStart = question !== -1 && question < end ? question : -1
  const beforeQuery = queryStart === -1 ? end : queryStart
  // the userinfo cannot reach past `?` or `#`, so it always lies before the query
  const prefix = PREFIX.exec(url)?.[0]
  const head =
    prefix?.endsWith('@') === true
      ? url.slice(0, url.indexOf('://') + 3) + url.slice(prefix.length, beforeQuery)
      : url.slice(0, beforeQuery)
  if (queryStart === -1) return head
  defaultRedaction ??= compileQueryRedaction([])
  return `${head}?${defaultRedaction.redact(url.slice(queryStart + 1, end))}`
}
