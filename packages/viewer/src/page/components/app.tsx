import { useEffect, useRef, useState } from 'preact/hooks'
import type { StoreStats } from '../../shared/api.js'
import { parseFilters } from '../filters.js'
import { subscribeLive } from '../live.js'
import { onNavigate, parseRoute } from '../route.js'
import { Header } from './header.js'
import { RedPanel } from './red-panel.js'
import { ServiceMap } from './service-map.js'
import { TraceList } from './trace-list.js'
import { TracePage } from './trace-page.js'

/** What changed in the store, as counters the screens refetch on. */
interface Revisions {
  /** Any trace added, updated, evicted, or the store cleared. */
  store: number
  /** Updates of the trace open now. */
  openTrace: number
}

/** The page: routes, the live feed, and the screen the URL names. */
export function App() {
  const [where, setWhere] = useState(() => ({
    path: location.pathname,
    search: location.search,
  }))
  const [stats, setStats] = useState<StoreStats>()
  const [revisions, setRevisions] = useState<Revisions>({ store: 0, openTrace: 0 })
  const route = parseRoute(where.path, where.search)
  const openTraceId = useRef<string | undefined>(undefined)
  openTraceId.current = route.page === 'trace' ? route.traceId : undefined
  // The list's URL with its filters, so "Traces" and Esc go back to the list as it was.
  const listHref = useRef('/')
  if (route.page === 'list') listHref.current = `/${where.search}`

  useEffect(
    () =>
      onNavigate(() => {
        setWhere({ path: location.pathname, search: location.search })
        window.scrollTo(0, 0)
      }),
    [],
  )
  useEffect(
    () =>
      subscribeLive({
        stats: setStats,
        trace: (summary) =>
          setRevisions((r) => ({
            store: r.store + 1,
            openTrace: r.openTrace + (summary.traceId === openTraceId.current ? 1 : 0),
          })),
        evicted: () => setRevisions((r) => ({ ...r, store: r.store + 1 })),
        cleared: () => setRevisions((r) => ({ ...r, store: r.store + 1 })),
        open: () => setRevisions((r) => ({ ...r, store: r.store + 1 })),
      }),
    [],
  )

  return (
    <>
      <Header route={route} stats={stats} listHref={listHref.current} />
      <main>
        {route.page === 'list' && (
          <TraceList
            filters={parseFilters(where.search)}
            revision={revisions.store}
            onStats={setStats}
          />
        )}
        {route.page === 'trace' && (
          <TracePage
            key={route.traceId}
            traceId={route.traceId}
            spanId={route.spanId}
            revision={revisions.openTrace}
            listHref={listHref.current}
          />
        )}
        {route.page === 'red' && <RedPanel revision={revisions.store} />}
        {route.page === 'map' && <ServiceMap revision={revisions.store} />}
      </main>
    </>
  )
}
