import { useEffect, useState } from 'preact/hooks'
import type { ExampleSpan, RedResponse } from '../../shared/api.js'
import { fetchRed } from '../api-client.js'
import { formatDuration, formatPercent } from '../format.js'
import { traceHref } from '../route.js'
import { Link } from './link.js'
import { ServiceChip } from './service-chip.js'
import { useThrottledRevision } from '../use-throttled-revision.js'

/** Requests, errors and durations per service and route, one click from example traces. */
export function RedPanel(props: { revision: number }) {
  const refresh = useThrottledRevision(props.revision)
  const [red, setRed] = useState<RedResponse>()
  const [failure, setFailure] = useState<string>()
  useEffect(() => {
    const controller = new AbortController()
    fetchRed(controller.signal).then(setRed, (err: Error) => {
      if (err.name !== 'AbortError') setFailure(err.message)
    })
    return () => controller.abort()
  }, [refresh])
  return (
    <section class="red">
      <h1>Requests, errors, duration</h1>
      <p class="muted">Per service and route, from the SERVER spans in the store.</p>
      {failure !== undefined && <p class="failure">{failure}</p>}
      {red !== undefined && red.rows.length === 0 && <p class="empty">No SERVER spans yet.</p>}
      {red !== undefined && red.rows.length > 0 && (
        <table class="red-table">
          <thead>
            <tr>
              <th>Service</th>
              <th>Route</th>
              <th class="num">Requests</th>
              <th class="num">Errors</th>
              <th class="num">p50</th>
              <th class="num">p95</th>
              <th class="num">p99</th>
              <th>Slowest</th>
              <th>Failed</th>
            </tr>
          </thead>
          <tbody>
            {red.rows.map((row) => (
              <tr key={`${row.service} ${row.route}`}>
                <td>
                  <ServiceChip service={row.service} />
                </td>
                <td class="mono">{row.route}</td>
                <td class="num">{row.count}</td>
                <td class={`num${row.errorCount > 0 ? ' bad' : ''}`}>
                  {row.errorCount > 0 ? `${row.errorCount} · ` : ''}
                  {formatPercent(row.errorRate)}
                </td>
                <td class="num">{formatDuration(row.p50Ms)}</td>
                <td class="num">{formatDuration(row.p95Ms)}</td>
                <td class="num">{formatDuration(row.p99Ms)}</td>
                <td>
                  <Examples spans={row.slowest} />
                </td>
                <td>
                  <Examples spans={row.failed} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

function Examples(props: { spans: readonly ExampleSpan[] }) {
  if (props.spans.length === 0) return <span class="muted">–</span>
  return (
    <span class="examples">
      {props.spans.map((example) => (
        <Link
          key={example.spanId}
          href={traceHref(example.traceId, example.spanId)}
          title={`trace ${example.traceId}`}
        >
          {formatDuration(example.durationMs)}
        </Link>
      ))}
    </span>
  )
}
