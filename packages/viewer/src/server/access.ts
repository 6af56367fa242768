// Who may talk to the viewer: local host names when it listens on loopback, CORS origins for OTLP.

/** Whether `host` (an address or name to listen on) is reachable from this machine only. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase()
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare)
}

/** Whether a `Host` header names this machine (`localhost`, `*.localhost`, 127.x, `[::1]`), any port. */
export function isLocalHostHeader(header: string | undefined): boolean {
  if (header === undefined) return false
  const name = (
    header.startsWith('[') ? header.slice(0, header.indexOf(']') + 1) : header.split(':')[0]!
  ).toLowerCase()
  return (
    name === 'localhost' ||
    name.endsWith('.localhost') ||
    name === '[::1]' ||
    /^127(\.\d{1,3}){3}$/.test(name)
  )
}

/** The `access-control-allow-origin` to answer `origin` with, or `undefined` when it is not allowed. */
export function allowedOrigin(
  origin: string | undefined,
  allowed: readonly string[],
): string | undefined {
  if (origin === undefined || allowed.length === 0) return undefined
  if (allowed.includes('*')) return '*'
  return allowed.includes(origin) ? origin : undefined
}
