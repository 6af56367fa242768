import type { ViewEvent, ViewSpan } from '../../shared/api.js'
import { formatDuration, formatValue } from '../format.js'
import { traceHref } from '../route.js'
import type { TraceView } from '../trace-model.js'
import { AttributeTable } from './attribute-table.js'
import { Link } from './link.js'
import { ServiceChip } from './service-chip.js'

/** Everything about one span: status, attributes, events (exceptions with their stack), links, resource, scope. */
export function SpanDetail(props: {
  view: TraceView
  span: ViewSpan
  onSelect: (spanId: string) => void
}) {
  const { span, view } = props
  const row = view.byId.get(span.spanId)
  const parent = span.parentSpanId === undefined ? undefined : view.byId.get(span.parentSpanId)
  return (
    <section class="detail" aria-label="Span detail" data-testid="span-detail">
      <h2>
        <ServiceChip service={span.service} /> <span>{span.name}</span>
      </h2>
      {row !== undefined && row.hints.length > 0 && (
        <ul class="detail-hints">
          {row.hints.map((hint, i) => (
            <li key={i}>⚠ {hint.message}</li>
          ))}
        </ul>
      )}
      <dl class="facts">
        <dt>Kind</dt>
        <dd>{span.kind.toUpperCase()}</dd>
        <dt>Status</dt>
        <dd class={span.status.code === 'error' ? 'bad' : ''}>
          {span.status.code.toUpperCase()}
          {span.status.message !== undefined ? `: ${span.status.message}` : ''}
        </dd>
        <dt>Duration</dt>
        <dd>{formatDuration(span.durationMs)}</dd>
        <dt>Starts at</dt>
        <dd>+{formatDuration(span.startMs - view.startMs)}</dd>
        <dt>Span id</dt>
        <dd class="mono">{span.spanId}</dd>
        <dt>Parent</dt>
        <dd class="mono">
          {span.parentSpanId === undefined ? (
            'none (root)'
          ) : parent !== undefined ? (
            <button
              type="button"
              class="span-ref"
              onClick={() => props.onSelect(span.parentSpanId!)}
            >
              {parent.node.span.name} ({span.parentSpanId})
            </button>
          ) : (
            `${span.parentSpanId} (missing)`
          )}
          {span.parentIsRemote === true ? ' · remote' : ''}
        </dd>
        {span.traceState !== undefined && (
          <>
            <dt>Trace state</dt>
            <dd class="mono">{span.traceState}</dd>
          </>
        )}
      </dl>

      <h3>Attributes</h3>
      <AttributeTable attributes={span.attributes} />
      {span.dropped.attributes > 0 && <p class="muted">{span.dropped.attributes} dropped</p>}

      <h3>Events ({span.events.length})</h3>
      {span.events.length === 0 ? (
        <p class="muted">none</p>
      ) : (
        <ol class="events">
          {span.events.map((event, i) => (
            <EventItem key={i} event={event} />
          ))}
        </ol>
      )}

      <h3>Links ({span.links.length})</h3>
      {span.links.length === 0 ? (
        <p class="muted">none</p>
      ) : (
        <ul class="links">
          {span.links.map((link, i) => (
            <li key={i}>
              {link.traceId === span.traceId && view.byId.has(link.spanId) ? (
                <button type="button" class="span-ref" onClick={() => props.onSelect(link.spanId)}>
                  span {link.spanId} of this trace
                </button>
              ) : (
                <Link href={traceHref(link.traceId, link.spanId)} class="mono">
                  trace {link.traceId} · span {link.spanId}
                </Link>
              )}
              <AttributeTable attributes={link.attributes} empty="" />
            </li>
          ))}
        </ul>
      )}

      <h3>Resource</h3>
      <AttributeTable attributes={span.resource} />
      <h3>Scope</h3>
      <p class="mono">
        {span.scope.name === '' ? '(unnamed)' : span.scope.name}
        {span.scope.version !== undefined ? ` ${span.scope.version}` : ''}
      </p>
    </section>
  )
}

function EventItem(props: { event: ViewEvent }) {
  const { event } = props
  const {
    'exception.type': type,
    'exception.message': message,
    'exception.stacktrace': stack,
    ...rest
  } = event.attributes
  const isException = event.name === 'exception'
  return (
    <li class={isException ? 'exception' : ''}>
      <div>
        <span class="offset">+{formatDuration(event.offsetMs)}</span> <strong>{event.name}</strong>
        {isException && (type !== undefined || message !== undefined) && (
          <span>
            {' '}
            {type !== undefined ? formatValue(type) : ''}
            {message !== undefined ? `: ${formatValue(message)}` : ''}
          </span>
        )}
      </div>
      {isException && stack !== undefined && <pre class="stack">{formatValue(stack)}</pre>}
      <AttributeTable attributes={isException ? rest : event.attributes} empty="" />
    </li>
  )
}
