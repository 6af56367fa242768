// Server-sent events for the page: new and updated traces (coalesced), evictions, stats.
import type { ServerResponse } from 'node:http'
import type { ServerEventName, ServerEvents, StoreStats, TraceSummary } from '../shared/api.js'

const FLUSH_MS = 250
const HEARTBEAT_MS = 15_000

/** What the event stream reads from the store when it flushes. */
export interface EventSource {
  summary(traceId: string): TraceSummary | undefined
  stats(): StoreStats
}

/**
 * The set of open `GET /api/events` streams. Changes are collected and sent together at most
 * every 250 ms, so a burst of batches for one trace costs one `trace` event, not one per batch.
 */
export class EventHub {
  private readonly clients = new Set<ServerResponse>()
  private readonly touched = new Set<string>()
  private readonly evicted = new Set<string>()
  private timer: NodeJS.Timeout | undefined
  private readonly heartbeat: NodeJS.Timeout

  constructor(private readonly source: EventSource) {
    this.heartbeat = setInterval(() => {
      for (const client of this.clients) client.write(': keep-alive\n\n')
    }, HEARTBEAT_MS)
    this.heartbeat.unref()
  }

  /** Opens a stream on `response`. */
  open(response: ServerResponse): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    })
    response.write('retry: 2000\n\n')
    write(response, 'stats', this.source.stats())
    this.clients.add(response)
    response.on('close', () => this.clients.delete(response))
  }

  /** Notes traces that received spans and traces that were evicted. */
  changed(touched: readonly string[], evicted: readonly string[]): void {
    if (this.clients.size === 0) return
    for (const id of touched) this.touched.add(id)
    for (const id of evicted) {
      this.evicted.add(id)
      this.touched.delete(id)
    }
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS)
  }

  /** Tells every client the store was cleared. */
  cleared(): void {
    this.touched.clear()
    this.evicted.clear()
    this.broadcast('cleared', {})
    this.broadcast('stats', this.source.stats())
  }

  /** Ends every stream. */
  close(): void {
    clearInterval(this.heartbeat)
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    for (const client of this.clients) client.end()
    this.clients.clear()
  }

  private flush(): void {
    this.timer = undefined
    if (this.evicted.size > 0) this.broadcast('evicted', { traceIds: [...this.evicted] })
    for (const id of this.touched) {
      const summary = this.source.summary(id)
      if (summary !== undefined) this.broadcast('trace', summary)
    }
    this.touched.clear()
    this.evicted.clear()
    this.broadcast('stats', this.source.stats())
  }

  private broadcast<E extends ServerEventName>(event: E, data: ServerEvents[E]): void {
    for (const client of this.clients) write(client, event, data)
  }
}

function write<E extends ServerEventName>(
  response: ServerResponse,
  event: E,
  data: ServerEvents[E],
): void {
  // JSON.stringify escapes newlines inside strings, so the data stays on one line.
  response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
}
