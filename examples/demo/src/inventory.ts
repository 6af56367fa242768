// inventory: plain node:http, traced by @tracehop/core's traceHandler.
import { type TracerProvider } from '@opentelemetry/api'
import { traceHandler, tryGetRequestTrace } from '@tracehop/core'
import http from 'node:http'
import { type AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

export interface Service {
  url: string
  close(): Promise<void>
}

/** A service that can say when it has no request in flight. */
export interface InventoryService extends Service {
  whenIdle(): Promise<void>
}

export async function startInventory(tracerProvider: TracerProvider): Promise<InventoryService> {
  let inFlight = 0
  const idle: (() => void)[] = []
  const server = http.createServer(
    traceHandler(
      async (req, res) => {
        inFlight++
        res.once('close', () => {
          if (--inFlight === 0) for (const resolve of idle.splice(0)) resolve()
        })
        const path = (req.url ?? '/').split('?')[0]!
        if (req.method !== 'GET' || !path.startsWith('/stock/')) {
          res.writeHead(404).end()
          return
        }
        tryGetRequestTrace(req)?.setRoute('/stock/:sku')
        const sku = decodeURIComponent(path.slice('/stock/'.length))
        if (sku === 'broken') {
          res.writeHead(500, { 'content-type': 'application/json' })
          res.end(JSON.stringify({ error: 'stock database unavailable' }))
          return
        }
        if (sku === 'slow') {
          // a slow lookup that stops when the caller goes away
          const gone = new AbortController()
          res.once('close', () => gone.abort())
          try {
            await sleep(1500, undefined, { signal: gone.signal })
          } catch {
            return
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ sku, available: 7 }))
      },
      { tracerProvider },
    ),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    whenIdle: () =>
      inFlight === 0 ? Promise.resolve() : new Promise((resolve) => idle.push(resolve)),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
