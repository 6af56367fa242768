// The page's JSON API under /api (see src/shared/api.ts for every response's type).
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ApiError, TraceListResponse } from '../shared/api.js'
import type { EventHub } from './events.js'
import { parseListQuery } from './list-query.js'
import { redByRoute } from './red.js'
import { serviceMap } from './service-map.js'
import type { TraceStore } from './store.js'

const TRACE_ID = /^[0-9a-f]{32}$/

// RED and the service map read every span: computed once per store version and query.
const derived = new WeakMap<TraceStore, { version: number; values: Map<string, unknown> }>()

function memo<T>(store: TraceStore, key: string, compute: () => T): T {
  let entry = derived.get(store)
  if (entry === undefined || entry.version !== store.version) {
    entry = { version: store.version, values: new Map() }
    derived.set(store, entry)
  }
  if (!entry.values.has(key)) entry.values.set(key, compute())
  return entry.values.get(key) as T
}

/** What the API reads and changes. */
export interface ApiContext {
  readonly store: TraceStore
  readonly events: EventHub
  /** Empties the store (and the file). */
  clear(): Promise<void>
}

function json(response: ServerResponse, status: number, body: unknown, head = false): void {
  const text = JSON.stringify(body)
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  })
  response.end(head ? undefined : text)
}

function fail(response: ServerResponse, status: number, error: string): void {
  json(response, status, { error } satisfies ApiError)
}

/** Answers one request under `/api/`. */
export async function handleApi(
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  context: ApiContext,
): Promise<void> {
  const { store } = context
  const method = request.method ?? 'GET'
  const head = method === 'HEAD'
  const path = url.pathname
  const readOnly = method === 'GET' || head

  if (path === '/api/traces') {
    if (method === 'DELETE') {
      await context.clear()
      response.writeHead(204).end()
      return
    }
    if (!readOnly) return notAllowed(response, 'GET, HEAD, DELETE')
    const query = parseListQuery(url.searchParams)
    if (typeof query === 'string') return fail(response, 400, query)
    const body: TraceListResponse = { ...store.query(query), stats: store.stats() }
    return json(response, 200, body, head)
  }
  if (path.startsWith('/api/traces/')) {
    if (!readOnly) return notAllowed(response, 'GET, HEAD')
    const id = path.slice('/api/traces/'.length).toLowerCase()
    if (!TRACE_ID.test(id)) return fail(response, 400, 'a trace id is 32 hex digits')
    const data = store.getTrace(id)
    if (data === undefined) return fail(response, 404, `trace ${id} is not in the store`)
    if (url.searchParams.get('download') !== null)
      response.setHeader('content-disposition', `attachment; filename="trace-${id}.json"`)
    return json(response, 200, data, head)
  }
  if (!readOnly) return notAllowed(response, 'GET, HEAD')
  switch (path) {
    case '/api/stats':
      return json(response, 200, store.stats(), head)
    case '/api/red': {
      const service = url.searchParams.get('service') || undefined
      const red = memo(store, `red\u0000${service ?? ''}`, () =>
        redByRoute(store.allTraces(), service),
      )
      return json(response, 200, red, head)
    }
    case '/api/service-map':
      return json(
        response,
        200,
        memo(store, 'map', () => serviceMap(store.allTraces())),
        head,
      )
    case '/api/events':
      context.events.open(response)
      return
    default:
      return fail(response, 404, `no such endpoint: ${path}`)
  }
}

function notAllowed(response: ServerResponse, allow: string): void {
  response.setHeader('allow', allow)
  fail(response, 405, `method not allowed; use ${allow}`)
}
