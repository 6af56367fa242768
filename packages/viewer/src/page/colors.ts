// One colour per service, the same on every screen: a small hash of the name into the palette the
// stylesheet defines as `.svc-0` … `.svc-9`.

/** How many service colours the stylesheet has. */
export const SERVICE_COLORS = 10

/** The palette index of a service name. */
export function serviceColor(service: string): number {
  let hash = 0
  for (let i = 0; i < service.length; i++) hash = (hash * 31 + service.charCodeAt(i)) >>> 0
  return hash % SERVICE_COLORS
}
