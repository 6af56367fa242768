import { formatDuration } from '../format.js'
import { axisTicks, type TraceView, type WaterfallRow as Row } from '../trace-model.js'
import { WaterfallRow } from './waterfall-row.js'

/** The spans of a trace as a collapsible tree with bars on one time axis. */
export function Waterfall(props: {
  view: TraceView
  rows: readonly Row[]
  selected: string | undefined
  collapsed: ReadonlySet<string>
  onSelect: (spanId: string) => void
  onToggle: (spanId: string) => void
}) {
  const { view } = props
  const ticks = axisTicks(view.durationMs)
  const tickAt = (t: number): string => `${view.durationMs > 0 ? (t / view.durationMs) * 100 : 0}%`
  return (
    <section class="waterfall" role="grid" aria-label="Waterfall" data-testid="waterfall">
      <div class="wf-row wf-axis" role="row">
        <div class="wf-label">
          <span>Service · span</span>
          <span class="legend">
            <span class="legend-cp" /> critical path
          </span>
        </div>
        <div class="wf-track">
          {ticks.map((t) => (
            <span key={t} class="tick" style={{ left: tickAt(t) }}>
              {formatDuration(t)}
            </span>
          ))}
        </div>
      </div>
      <div class="wf-body">
        <div class="wf-grid" aria-hidden="true">
          {ticks.map((t) => (
            <span key={t} style={{ left: tickAt(t) }} />
          ))}
        </div>
        {props.rows.map((row) => (
          <WaterfallRow
            key={row.node.span.spanId}
            row={row}
            selected={row.node.span.spanId === props.selected}
            collapsed={props.collapsed.has(row.node.span.spanId)}
            onCriticalPath={view.onCriticalPath.has(row.node.span.spanId)}
            onSelect={props.onSelect}
            onToggle={props.onToggle}
          />
        ))}
      </div>
    </section>
  )
}
