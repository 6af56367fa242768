// The live feed: server-sent events of `GET /api/events`, parsed into typed callbacks.
import { API_PATHS, type ServerEventName, type ServerEvents } from '../shared/api.js'

/** Callbacks per event name. */
export type LiveHandlers = { [K in ServerEventName]?: (data: ServerEvents[K]) => void } & {
  /** The stream (re)connected: whatever was missed meanwhile should be fetched again. */
  open?: () => void
}

/** Subscribes to the server's events; returns the unsubscribe. EventSource reconnects by itself. */
export function subscribeLive(handlers: LiveHandlers): () => void {
  const source = new EventSource(API_PATHS.events)
  const names: ServerEventName[] = ['trace', 'evicted', 'stats', 'cleared']
  for (const name of names) {
    const handler = handlers[name] as ((data: unknown) => void) | undefined
    if (handler === undefined) continue
    source.addEventListener(name, (event) => {
      try {
        handler(JSON.parse((event as MessageEvent<string>).data))
      } catch {
        // a malformed event is skipped; the next list fetch puts things right
      }
    })
  }
  if (handlers.open !== undefined) source.addEventListener('open', handlers.open)
  return () => source.close()
}
