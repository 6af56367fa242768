// The query string of GET /api/traces, parsed and checked.
import type { TraceListQuery } from '../shared/api.js'
import { LIST_LIMIT } from '../shared/api.js'

/** Parses `service`, `q`, `error`, `minMs`, `maxMs` and `limit`; returns an error message for a bad one. */
export function parseListQuery(params: URLSearchParams): TraceListQuery | string {
  const query: TraceListQuery = {}
  const service = params.get('service')
  if (service !== null && service !== '') query.service = service
  const q = params.get('q')
  if (q !== null && q.trim() !== '') query.q = q
  const error = params.get('error')
  if (error !== null && error !== '') {
    if (error !== 'true' && error !== 'false')
      return `error must be true or false; received ${JSON.stringify(error)}`
    query.error = error === 'true'
  }
  for (const name of ['minMs', 'maxMs'] as const) {
    const raw = params.get(name)
    if (raw === null || raw === '') continue
    const value = Number(raw)
    if (!Number.isFinite(value) || value < 0)
      return `${name} must be a number of milliseconds, 0 or more; received ${JSON.stringify(raw)}`
    query[name] = value
  }
  const limit = params.get('limit')
  if (limit !== null && limit !== '') {
    const value = Number(limit)
    if (!Number.isInteger(value) || value < 1 || value > LIST_LIMIT.max)
      return `limit must be an integer from 1 to ${LIST_LIMIT.max}; received ${JSON.stringify(limit)}`
    query.limit = value
  }
  return query
}
