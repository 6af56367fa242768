import type { TraceHint } from '../../shared/api.js'
import type { TraceView } from '../trace-model.js'
import { ServiceChip } from './service-chip.js'

const TITLES: Record<TraceHint['kind'], string> = {
  'missing-parent': 'Missing parent',
  'several-roots': 'Several roots',
  'consumer-without-producer': 'Consumer without producer',
  'server-without-client': 'Server without client',
  'remote-parent-policy': 'Caller not continued',
}

/** What is wrong with the trace's shape, on top of the waterfall; each names its span. */
export function HintsPanel(props: { view: TraceView; onSelect: (spanId: string) => void }) {
  const { hints, byId } = props.view
  if (hints.length === 0) return null
  return (
    <section class="hints" aria-label="Broken-trace hints" data-testid="hints">
      <h2>⚠ {hints.length === 1 ? 'One problem' : `${hints.length} problems`} with this trace</h2>
      <ul>
        {hints.map((hint, i) => {
          const span = byId.get(hint.spanId)?.node.span
          return (
            <li key={`${hint.spanId}-${hint.kind}-${i}`} data-hint-kind={hint.kind}>
              <strong>{TITLES[hint.kind]}</strong>
              <button type="button" class="span-ref" onClick={() => props.onSelect(hint.spanId)}>
                {span === undefined ? hint.spanId : span.name}
              </button>
              {span !== undefined && <ServiceChip service={span.service} />}
              <span class="hint-message">{hint.message}</span>
            </li>
          )
        })}
      </ul>
    </section>
  )
}
