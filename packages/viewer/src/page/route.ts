// The page's own routes (the server answers every one of them with index.html).

/** Which screen the URL shows. */
export type Route =
  | { page: 'list' }
  | { page: 'trace'; traceId: string; spanId: string | undefined }
  | { page: 'red' }
  | { page: 'map' }

const TRACE = /^\/trace\/([0-9a-fA-F]{1,64})\/?$/

/** Reads a route from a location's path and query. */
export function parseRoute(pathname: string, search: string): Route {
  const trace = TRACE.exec(pathname)
  if (trace !== null) {
    const span = new URLSearchParams(search).get('span')
    return {
      page: 'trace',
      traceId: trace[1]!.toLowerCase(),
      spanId: span !== null && /^[0-9a-f]{16}$/i.test(span) ? span.toLowerCase() : undefined,
    }
  }
  if (pathname === '/red') return { page: 'red' }
  if (pathname === '/map') return { page: 'map' }
  return { page: 'list' }
}

/** The page URL of a trace, optionally with a span selected. */
export function traceHref(traceId: string, spanId?: string): string {
  return `/trace/${traceId}${spanId === undefined ? '' : `?span=${spanId}`}`
}

const listeners = new Set<() => void>()

/** Moves to a page URL without a reload (`replace` rewrites the current history entry). */
export function navigate(href: string, replace = false): void {
  if (replace) history.replaceState(null, '', href)
  else history.pushState(null, '', href)
  for (const listener of listeners) listener()
}

/** Calls `listener` on every navigation (links, back/forward); returns the unsubscribe. */
export function onNavigate(listener: () => void): () => void {
  listeners.add(listener)
  window.addEventListener('popstate', listener)
  return () => {
    listeners.delete(listener)
    window.removeEventListener('popstate', listener)
  }
}

/** Whether a click should be left to the browser (new tab, download, another origin). */
export function isPlainClick(event: MouseEvent): boolean {
  return event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey && !event.altKey
}
