import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { fetchTrace } from '../api-client.js'
import { ignoredKey, listKey } from '../keys.js'
import { navigate, traceHref } from '../route.js'
import { buildTraceView, visibleRows, type TraceView } from '../trace-model.js'
import { HintsPanel } from './hints-panel.js'
import { SpanDetail } from './span-detail.js'
import { TraceHeader } from './trace-header.js'
import { Waterfall } from './waterfall.js'

/** One trace: its hints on top, the waterfall, and the selected span's detail. */
export function TracePage(props: {
  traceId: string
  spanId: string | undefined
  /** Bumped when more spans of this trace arrive. */
  revision: number
  listHref: string
}) {
  const { traceId } = props
  const [view, setView] = useState<TraceView>()
  const [failure, setFailure] = useState<string>()
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set())
  const [selected, setSelected] = useState<string | undefined>(props.spanId)

  useEffect(() => {
    const controller = new AbortController()
    fetchTrace(traceId, controller.signal).then(
      (data) => {
        // Derived once per trace: tree, critical path, hints, bar positions.
        setView(buildTraceView(data))
        setFailure(undefined)
      },
      (err: Error) => {
        if (err.name !== 'AbortError') setFailure(err.message)
      },
    )
    return () => controller.abort()
  }, [traceId, props.revision])
  useEffect(() => {
    if (props.spanId !== undefined) setSelected(props.spanId)
  }, [props.spanId])

  const rows = useMemo(
    () => (view === undefined ? [] : visibleRows(view.rows, collapsed)),
    [view, collapsed],
  )
  const current = selected ?? rows[0]?.node.span.spanId

  const select = useCallback(
    (spanId: string, scroll = false) => {
      setSelected(spanId)
      history.replaceState(null, '', traceHref(traceId, spanId))
      if (view !== undefined) setCollapsed((c) => expandTo(view, c, spanId))
      if (scroll)
        requestAnimationFrame(() =>
          document
            .querySelector(`.wf-row[data-span-id="${spanId}"]`)
            ?.scrollIntoView({ block: 'nearest' }),
        )
    },
    [traceId, view],
  )
  const toggle = useCallback((spanId: string) => {
    setCollapsed((c) => {
      const next = new Set(c)
      if (!next.delete(spanId)) next.add(spanId)
      return next
    })
  }, [])
  const selectAndShow = useCallback((spanId: string) => select(spanId, true), [select])

  // Keys read the latest state through a ref: several presses can come before the effect would
  // be renewed after a render.
  const latest = useRef({
    rows,
    current,
    collapsed,
    view,
    select,
    toggle,
    listHref: props.listHref,
  })
  latest.current = { rows, current, collapsed, view, select, toggle, listHref: props.listHref }
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      if (ignoredKey(event)) return
      const { rows, current, collapsed, view, select, toggle, listHref } = latest.current
      const index = Math.max(
        0,
        rows.findIndex((row) => row.node.span.spanId === current),
      )
      const action = listKey(event.key, index, rows.length)
      if (action === undefined || action.kind === 'search') return
      event.preventDefault()
      if (action.kind === 'back') navigate(listHref)
      else if (action.kind === 'move') {
        const spanId = rows[action.index]!.node.span.spanId
        latest.current = { ...latest.current, current: spanId }
        select(spanId, true)
      } else if (current !== undefined) {
        const row = view?.byId.get(current)
        const open = !collapsed.has(current)
        if (row === undefined || row.node.children.length === 0) return
        if (event.key === 'ArrowLeft' ? open : event.key === 'ArrowRight' ? !open : true)
          toggle(current)
      }
    }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [])

  if (failure !== undefined)
    return (
      <section class="trace">
        <p class="failure">{failure}</p>
      </section>
    )
  if (view === undefined) return <p class="summary">Loading trace {traceId}…</p>
  const span = current === undefined ? undefined : view.byId.get(current)?.node.span
  return (
    <section class="trace">
      <TraceHeader view={view} listHref={props.listHref} />
      <HintsPanel view={view} onSelect={selectAndShow} />
      <Waterfall
        view={view}
        rows={rows}
        selected={current}
        collapsed={collapsed}
        onSelect={select}
        onToggle={toggle}
      />
      {span !== undefined && <SpanDetail view={view} span={span} onSelect={selectAndShow} />}
    </section>
  )
}

/** `collapsed` without the ancestors of `spanId`, so the span shows. */
function expandTo(
  view: TraceView,
  collapsed: ReadonlySet<string>,
  spanId: string,
): ReadonlySet<string> {
  if (collapsed.size === 0) return collapsed
  let next: Set<string> | undefined
  let parentId = view.byId.get(spanId)?.node.span.parentSpanId
  const seen = new Set<string>()
  while (parentId !== undefined && !seen.has(parentId)) {
    seen.add(parentId)
    if (collapsed.has(parentId)) (next ??= new Set(collapsed)).delete(parentId)
    parentId = view.byId.get(parentId)?.node.span.parentSpanId
  }
  return next ?? collapsed
}
