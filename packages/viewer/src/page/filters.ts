// The list's filters, kept in the URL query (so a filtered list can be bookmarked and shared) and
// sent to `GET /api/traces` as they are.
import { LIST_LIMIT } from '../shared/api.js'

/** What the user filters the list by; the empty string means "not set". */
export interface ListFilters {
  service: string
  q: string
  /** `''` any, `'true'` failed only, `'false'` no error. */
  error: '' | 'true' | 'false'
  minMs: string
  maxMs: string
  limit: string
}

/** No filter. */
export const NO_FILTERS: ListFilters = {
  service: '',
  q: '',
  error: '',
  minMs: '',
  maxMs: '',
  limit: '',
}

const KEYS = Object.keys(NO_FILTERS) as (keyof ListFilters)[]

/** Reads the filters of a URL query (`?service=orders&error=true`); unknown keys are ignored. */
export function parseFilters(search: string): ListFilters {
  const params = new URLSearchParams(search)
  const error = params.get('error')
  return {
    service: params.get('service') ?? '',
    q: params.get('q') ?? '',
    error: error === 'true' || error === 'false' ? error : '',
    minMs: numeric(params.get('minMs')),
    maxMs: numeric(params.get('maxMs')),
    limit: numeric(params.get('limit')),
  }
}

function numeric(value: string | null): string {
  return value !== null && /^\d+(\.\d+)?$/.test(value) ? value : ''
}

/** The URL query of the filters that are set (`''` when none is), in a stable order. */
export function filtersToQuery(filters: ListFilters): string {
  const params = new URLSearchParams()
  for (const key of KEYS) {
    const value = filters[key].trim()
    if (value !== '') params.set(key, value)
  }
  const text = params.toString()
  return text === '' ? '' : `?${text}`
}

/** Whether any filter is set. */
export function hasFilters(filters: ListFilters): boolean {
  return KEYS.some((key) => filters[key].trim() !== '')
}

/** The limit the list asks for: the filter's, clamped to what the API accepts. */
export function effectiveLimit(filters: ListFilters): number {
  const n = Number(filters.limit)
  if (filters.limit === '' || !Number.isInteger(n) || n < 1) return LIST_LIMIT.default
  return Math.min(n, LIST_LIMIT.max)
}
