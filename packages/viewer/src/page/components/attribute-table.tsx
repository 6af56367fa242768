import type { Attributes } from '../../shared/api.js'
import { formatValue } from '../format.js'

/** Keys and values, as text. */
export function AttributeTable(props: { attributes: Attributes; empty?: string }) {
  const entries = Object.entries(props.attributes)
  if (entries.length === 0)
    return props.empty === '' ? null : <p class="muted">{props.empty ?? 'none'}</p>
  return (
    <table class="attributes">
      <tbody>
        {entries.map(([key, value]) => (
          <tr key={key}>
            <th>{key}</th>
            <td class={typeof value === 'string' ? '' : 'typed'}>{formatValue(value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
