import { memo } from 'preact/compat'
import { formatDuration } from '../format.js'
import type { WaterfallRow as Row } from '../trace-model.js'

/** Indentation per tree level, in pixels. */
const INDENT_PX = 14

/** One span of the waterfall: its place in the tree on the left, its bar on the time axis. */
function WaterfallRowView(props: {
  row: Row
  selected: boolean
  collapsed: boolean
  onCriticalPath: boolean
  onSelect: (spanId: string) => void
  onToggle: (spanId: string) => void
}) {
  const { row, selected, collapsed } = props
  const span = row.node.span
  const hasChildren = row.node.children.length > 0
  const end = row.left + row.width
  const classes = ['wf-row']
  if (selected) classes.push('selected')
  if (row.error) classes.push('failed')
  if (props.onCriticalPath) classes.push('critical')
  if (row.node.missingParent) classes.push('orphan')
  const detail =
    row.target ??
    (row.route !== undefined && !span.name.includes(row.route) ? row.route : undefined)
  return (
    <div
      class={classes.join(' ')}
      data-span-id={span.spanId}
      role="row"
      aria-selected={selected}
      onClick={() => props.onSelect(span.spanId)}
    >
      <div class="wf-label" style={{ paddingLeft: `${4 + row.node.depth * INDENT_PX}px` }}>
        {hasChildren ? (
          <button
            type="button"
            class="twisty"
            aria-expanded={!collapsed}
            aria-label={collapsed ? 'Expand' : 'Collapse'}
            onClick={(event) => {
              event.stopPropagation()
              props.onToggle(span.spanId)
            }}
          >
            {collapsed ? '▸' : '▾'}
          </button>
        ) : (
          <span class="twisty" />
        )}
        <span class={`wf-service svc-${row.color}`}>{span.service}</span>
        <span class="wf-name">{span.name}</span>
        {row.statusCode !== undefined && (
          <span
            class={`code${row.statusCode >= 500 ? ' bad' : row.statusCode >= 400 ? ' warn' : ''}`}
          >
            {row.statusCode}
          </span>
        )}
        {detail !== undefined && <span class="wf-detail">{detail}</span>}
        {row.error && (
          <span class="wf-error" title={span.status.message ?? 'status ERROR'}>
            error
          </span>
        )}
        {row.hints.length > 0 && (
          <span class="wf-hint" title={row.hints.map((h) => h.message).join('\n')}>
            ⚠
          </span>
        )}
        {collapsed && <span class="wf-folded">+{countBelow(row)}</span>}
      </div>
      <div class="wf-track">
        <div
          class={`wf-bar svc-${row.color}`}
          style={{ left: `${row.left * 100}%`, width: `${row.width * 100}%` }}
        />
        {row.critical.map((c, i) => (
          <div
            key={i}
            class="wf-cp"
            style={{ left: `${c.left * 100}%`, width: `${c.width * 100}%` }}
          />
        ))}
        <span
          class={end > 0.8 ? 'wf-dur before' : 'wf-dur'}
          style={end > 0.8 ? { right: `${(1 - row.left) * 100}%` } : { left: `${end * 100}%` }}
        >
          {formatDuration(span.durationMs)}
        </span>
      </div>
    </div>
  )
}

function countBelow(row: Row): number {
  let n = 0
  const stack = [...row.node.children]
  while (stack.length > 0) {
    n++
    stack.push(...stack.pop()!.children)
  }
  return n
}

/** A waterfall row that re-renders only when its own props change. */
export const WaterfallRow = memo(WaterfallRowView)
