import { useEffect, useRef, useState } from 'preact/hooks'
import type { StoreStats, TraceListResponse } from '../../shared/api.js'
import { fetchTraceList } from '../api-client.js'
import { effectiveLimit, filtersToQuery, hasFilters, type ListFilters } from '../filters.js'
import { ignoredKey, listKey } from '../keys.js'
import { navigate, traceHref } from '../route.js'
import { FilterBar } from './filter-bar.js'
import { TraceListRow } from './trace-list-row.js'
import { useThrottledRevision } from '../use-throttled-revision.js'

/** The live trace list with its filters and keyboard navigation. */
export function TraceList(props: {
  filters: ListFilters
  revision: number
  onStats: (stats: StoreStats) => void
}) {
  const { filters } = props
  const query = filtersToQuery(filters)
  const [list, setList] = useState<TraceListResponse>()
  const [failure, setFailure] = useState<string>()
  const [selected, setSelected] = useState(0)
  const refresh = useThrottledRevision(props.revision)

  useEffect(() => {
    const controller = new AbortController()
    fetchTraceList(filters, controller.signal).then(
      (response) => {
        setList(response)
        setFailure(undefined)
        props.onStats(response.stats)
      },
      (err: Error) => {
        if (err.name !== 'AbortError') setFailure(err.message)
      },
    )
    return () => controller.abort()
    // `query` is the filters as one value: a new object with the same filters fetches nothing
  }, [query, refresh])

  const traces = list?.traces ?? []
  const current = Math.min(selected, Math.max(0, traces.length - 1))
  // Keys read the latest rows and selection through a ref: several presses can come before the
  // effect would be renewed after a render.
  const latest = useRef({ traces, current })
  latest.current = { traces, current }
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      if (ignoredKey(event)) {
        if (event.key === 'Escape') (event.target as HTMLElement).blur()
        return
      }
      const { traces, current } = latest.current
      const action = listKey(event.key, current, traces.length)
      if (action === undefined) return
      event.preventDefault()
      if (action.kind === 'move') {
        latest.current = { traces, current: action.index }
        setSelected(action.index)
        document
          .querySelector(`tr[data-trace-id="${traces[action.index]!.traceId}"]`)
          ?.scrollIntoView({ block: 'nearest' })
      } else if (action.kind === 'open') {
        const trace = traces[current]
        if (trace !== undefined) navigate(traceHref(trace.traceId))
      } else if (action.kind === 'search') {
        document.getElementById('filter-q')?.focus()
      }
    }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [])

  const maxDuration = traces.reduce((max, t) => Math.max(max, t.durationMs), 0)
  return (
    <section class="list">
      <FilterBar filters={filters} services={list?.stats.services ?? []} />
      {failure !== undefined && <p class="failure">{failure}</p>}
      <p class="summary" data-testid="list-summary">
        {list === undefined
          ? 'Loading…'
          : `${list.matched} ${list.matched === 1 ? 'trace' : 'traces'}${
              hasFilters(filters) ? ' match' : ''
            }${list.matched > traces.length ? ` · showing the newest ${traces.length}` : ''}`}
        <span class="keys">j/k move · Enter open · / search</span>
      </p>
      {list !== undefined && traces.length === 0 && (
        <p class="empty">
          {hasFilters(filters)
            ? 'No trace matches these filters.'
            : 'No traces yet. Send spans with OTEL_EXPORTER_OTLP_ENDPOINT set to this address.'}
        </p>
      )}
      {traces.length > 0 && (
        <table class="traces">
          <thead>
            <tr>
              <th class="mark" />
              <th>Root span</th>
              <th>Services</th>
              <th class="num">Spans</th>
              <th>Duration</th>
              <th>Start</th>
            </tr>
          </thead>
          <tbody>
            {traces.map((trace, i) => (
              <TraceListRow
                key={trace.traceId}
                trace={trace}
                selected={i === current}
                maxDurationMs={maxDuration}
                onHover={() => setSelected(i)}
              />
            ))}
          </tbody>
        </table>
      )}
      <p class="limit-note">
        {list !== undefined && list.matched > effectiveLimit(filters)
          ? 'Raise the limit or narrow the filters to see older traces.'
          : ''}
      </p>
    </section>
  )
}
