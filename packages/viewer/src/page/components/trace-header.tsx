import { API_PATHS } from '../../shared/api.js'
import { formatClock, formatDuration } from '../format.js'
import type { TraceView } from '../trace-model.js'
import { Link } from './link.js'
import { ServiceChip } from './service-chip.js'

/** The trace's name, numbers and services, the way back, and the download. */
export function TraceHeader(props: { view: TraceView; listHref: string }) {
  const { view } = props
  const root = view.rows[0]?.node.span
  return (
    <div class="trace-head">
      <Link href={props.listHref} class="back" title="Back to the list (Esc)">
        ← Traces
      </Link>
      <h1>{root?.name ?? view.traceId}</h1>
      <dl class="facts">
        <dt>Trace</dt>
        <dd class="mono">{view.traceId}</dd>
        <dt>Start</dt>
        <dd>{formatClock(view.startMs)}</dd>
        <dt>Duration</dt>
        <dd>{formatDuration(view.durationMs)}</dd>
        <dt>Spans</dt>
        <dd>{view.spans.length}</dd>
        <dt>Errors</dt>
        <dd class={view.errorCount > 0 ? 'bad' : ''}>{view.errorCount}</dd>
      </dl>
      <a
        class="button"
        href={`${API_PATHS.trace}${view.traceId}?download`}
        download={`trace-${view.traceId}.json`}
        data-testid="download"
      >
        Download OTLP JSON
      </a>
      <div class="services">
        {view.services.map((service) => (
          <ServiceChip key={service} service={service} />
        ))}
      </div>
    </div>
  )
}
