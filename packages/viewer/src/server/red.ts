// RED per service and route, from the SERVER spans in the store: requests, errors, duration.
import { ATTR_HTTP_ROUTE } from '@opentelemetry/semantic-conventions'
import type { ExampleSpan, RedResponse, RedRow } from '../shared/api.js'
import type { StoredTrace } from './store.js'

const EXAMPLES = 3
const SERVER = 2
const ERROR = 2

interface Bucket {
  service: string
  route: string
  durations: number[]
  errors: ExampleSpan[]
  all: ExampleSpan[]
  errorStarts: number[]
}

/** The `q`-th quantile (0..1) of ascending `sorted`, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0
  const rank = Math.ceil(q * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!
}

/**
 * Groups the SERVER spans of `traces` by service and `http.route` (the span name when there is no
 * route): count, errors, p50/p95/p99 and example spans, the slowest and the latest failures.
 * @example
 * const { rows } = redByRoute(store.allTraces(), 'orders')
 */
export function redByRoute(traces: Iterable<StoredTrace>, service?: string): RedResponse {
  const buckets = new Map<string, Bucket>()
  for (const trace of traces) {
    for (const stored of trace.spans.values()) {
      const { span } = stored
      if (span.kind !== SERVER) continue
      const name = stored.resource.service
      if (service !== undefined && name !== service) continue
      const routeValue = span.attributes?.find((kv) => kv.key === ATTR_HTTP_ROUTE)?.value
      const route = routeValue?.stringValue ?? span.name
      const key = `${name}\u0000${route}`
      let bucket = buckets.get(key)
      if (bucket === undefined) {
        bucket = { service: name, route, durations: [], errors: [], all: [], errorStarts: [] }
        buckets.set(key, bucket)
      }
      const example = {
        traceId: span.traceId,
        spanId: span.spanId,
        durationMs: stored.endMs - stored.startMs,
      }
      bucket.durations.push(example.durationMs)
      bucket.all.push(example)
      if (span.status?.code === ERROR) {
        bucket.errors.push(example)
        bucket.errorStarts.push(stored.startMs)
      }
    }
  }
  const rows: RedRow[] = []
  for (const bucket of buckets.values()) {
    const sorted = [...bucket.durations].sort((a, b) => a - b)
    const count = sorted.length
    const latestErrors = bucket.errors
      .map((example, i) => ({ example, start: bucket.errorStarts[i]! }))
      .sort((a, b) => b.start - a.start)
      .slice(0, EXAMPLES)
      .map((e) => e.example)
    rows.push({
      service: bucket.service,
      route: bucket.route,
      count,
      errorCount: bucket.errors.length,
      errorRate: bucket.errors.length / count,
      p50Ms: quantile(sorted, 0.5),
      p95Ms: quantile(sorted, 0.95),
      p99Ms: quantile(sorted, 0.99),
      slowest: [...bucket.all].sort((a, b) => b.durationMs - a.durationMs).slice(0, EXAMPLES),
      failed: latestErrors,
    })
  }
  rows.sort((a, b) =>
    a.service === b.service ? (a.route < b.route ? -1 : 1) : a.service < b.service ? -1 : 1,
  )
  return { rows }
}
