import type { TraceSummary } from '../../shared/api.js'
import { formatDuration, formatStart } from '../format.js'
import { traceHref } from '../route.js'
import { Link } from './link.js'
import { ServiceChip } from './service-chip.js'

/** One trace of the list. */
export function TraceListRow(props: {
  trace: TraceSummary
  selected: boolean
  /** Widest duration in the list, for the little duration bar. */
  maxDurationMs: number
  onHover: () => void
}) {
  const { trace, selected } = props
  const share = props.maxDurationMs > 0 ? trace.durationMs / props.maxDurationMs : 0
  return (
    <tr
      class={`${selected ? 'selected' : ''}${trace.error ? ' failed' : ''}`}
      data-trace-id={trace.traceId}
      aria-selected={selected}
      onMouseEnter={props.onHover}
    >
      <td class="mark" title={trace.error ? `${trace.errorCount} spans failed` : undefined}>
        {trace.error ? '●' : ''}
      </td>
      <td class="root">
        <Link href={traceHref(trace.traceId)}>{trace.rootName}</Link>
        {trace.statusCode !== undefined && (
          <span
            class={`code${trace.statusCode >= 500 ? ' bad' : trace.statusCode >= 400 ? ' warn' : ''}`}
          >
            {trace.statusCode}
          </span>
        )}
        {trace.hintCount > 0 && (
          <span class="hint-count" title="broken-trace hints">
            ⚠ {trace.hintCount}
          </span>
        )}
      </td>
      <td class="services">
        {trace.services.map((service) => (
          <ServiceChip key={service} service={service} />
        ))}
      </td>
      <td class="num">{trace.spanCount}</td>
      <td class="duration">
        <span class="duration-bar" style={{ width: `${Math.max(2, share * 100)}%` }} />
        <span class="duration-text">{formatDuration(trace.durationMs)}</span>
      </td>
      <td class="start">{formatStart(trace.startTime)}</td>
    </tr>
  )
}
