import { serviceColor } from '../colors.js'

/** A service name in its colour. */
export function ServiceChip(props: { service: string }) {
  return <span class={`chip svc-${serviceColor(props.service)}`}>{props.service}</span>
}
