// Outgoing calls traced by @tracehop/node alone: no injectHeaders(), no CLIENT spans by hand.
// fetch and undici are traced through undici's diagnostics channels, node:http (and axios on top
// of it) through node:http's on Node 22.12 and later, through @opentelemetry/instrumentation-http's
// outgoing side on Node 20.
// Run it: OTEL_SERVICE_NAME=checkout node --import tsx --import @tracehop/node/register outgoing-calls-auto.ts
import { traceHandler } from '@tracehop/core'
import axios from 'axios'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import { request as undiciRequest } from 'undici'

function httpGet(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (text += chunk))
        res.on('end', () => resolve(JSON.parse(text)))
      })
      .on('error', reject)
  })
}

// The service called: answers with the traceparent it received.
function inventory(req: http.IncomingMessage, res: http.ServerResponse) {
  res.setHeader('content-type', 'application/json')
  res.end(JSON.stringify({ via: req.url, traceparent: req.headers.traceparent }))
}

// The service calling: plain client calls, nothing about tracing in them.
function checkout(inventoryUrl: string) {
  return async (_req: http.IncomingMessage, res: http.ServerResponse) => {
    const results = [
      await (await fetch(`${inventoryUrl}/fetch`)).json(),
      await (await undiciRequest(`${inventoryUrl}/undici`)).body.json(),
      (await axios.get(`${inventoryUrl}/axios`)).data,
      await httpGet(`${inventoryUrl}/http`),
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
    close: async () => {
      await close(checkoutServer)
      await close(inventoryServer)
    },
  }
}

// As a script: one request through both services, then exit (tracing flushes on the way out).
if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  start().then(async (app) => {
    const res = await fetch(app.url)
    console.log(JSON.stringify(await res.json()))
    await app.close()
  })
}
