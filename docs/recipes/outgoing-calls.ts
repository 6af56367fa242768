// Outgoing HTTP calls with fetch, undici, axios and node:http: each call gets a CLIENT span and
// carries its context in the headers from injectHeaders(), so the next service continues the trace.
// (@tracehop/node can do both for fetch/undici and node:http by itself: see docs/configuration.md.)
// Run it: node --import tsx --import @tracehop/node/register outgoing-calls.ts
import { SpanKind } from '@opentelemetry/api'
import { injectHeaders, traceHandler, withSpan } from '@tracehop/core'
import axios from 'axios'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import { request as undiciRequest } from 'undici'

/** Runs `call` in a CLIENT span and hands it the headers that carry that span's context. */
function clientCall<T>(
  method: string,
  url: string,
  call: (headers: Record<string, string>) => Promise<{ status: number; body: T }>,
): Promise<T> {
  return withSpan(
    method,
    { kind: SpanKind.CLIENT, attributes: { 'http.request.method': method, 'url.full': url } },
    async (span) => {
      const { status, body } = await call(injectHeaders({ accept: 'application/json' }))
      span.setAttribute('http.response.status_code', status)
      return body
    },
  )
}

function httpGet(url: string, headers: Record<string, string>) {
  return new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (text += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }))
      })
      .on('error', reject)
  })
}

// The service called: answers with the traceparent it received.
function inventory(req: http.IncomingMessage, res: http.ServerResponse) {
  res.setHeader('content-type', 'application/json')
  res.end(JSON.stringify({ via: req.url, traceparent: req.headers.traceparent }))
}

// The service calling: one incoming request, four outgoing calls, four clients.
function checkout(inventoryUrl: string) {
  return async (_req: http.IncomingMessage, res: http.ServerResponse) => {
    const results = [
      await clientCall('GET', `${inventoryUrl}/fetch`, async (headers) => {
        const r = await fetch(`${inventoryUrl}/fetch`, { headers })
        return { status: r.status, body: await r.json() }
      }),
      await clientCall('GET', `${inventoryUrl}/undici`, async (headers) => {
        const r = await undiciRequest(`${inventoryUrl}/undici`, { headers })
        return { status: r.statusCode, body: await r.body.json() }
      }),
      await clientCall('GET', `${inventoryUrl}/axios`, async (headers) => {
        const r = await axios.get(`${inventoryUrl}/axios`, { headers })
        return { status: r.status, body: r.data }
      }),
      await clientCall('GET', `${inventoryUrl}/http`, (headers) =>
        httpGet(`${inventoryUrl}/http`, headers),
      ),
    ]
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify(results))
  }
}

async function listen(server: http.Server, port: number): Promise<string> {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

export async function start({ port = 0, inventoryPort = 0 } = {}) {
  const inventoryServer = http.createServer(traceHandler(inventory))
  const inventoryUrl = await listen(inventoryServer, inventoryPort)
  const checkoutServer = http.createServer(traceHandler(checkout(inventoryUrl)))
  const url = await listen(checkoutServer, port)
  const close = (server: http.Server) =>
    new Promise<void>((resolve) => server.close(() => resolve()))
  return {
    url,
    inventoryUrl,
    close: async () => {
      await close(checkoutServer)
      await close(inventoryServer)
    },
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  start({ port: 3000 }).then(({ url }) => console.log(`GET ${url}/`))
}
