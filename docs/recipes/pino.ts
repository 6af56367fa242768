// pino log lines that carry trace_id / span_id / trace_flags: a `mixin` for any pino logger, and
// Fastify's request.log, which @tracehop/fastify binds to the request's trace by itself.
// Run it: node --import tsx --import @tracehop/node/register pino.ts
import { logFields, traceHandler, withSpan } from '@tracehop/core'
import { tracingPlugin } from '@tracehop/fastify'
import Fastify from 'fastify'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import pino, { type DestinationStream } from 'pino'

/** A pino logger whose every line carries the ids of the span active when it is logged. */
export function createLogger(destination: DestinationStream = pino.destination(1)) {
  return pino({ mixin: () => logFields() }, destination) // {} outside a trace
}

/** A node:http service logging with the mixin logger. */
export async function startHttp({
  port = 0,
  destination = undefined as DestinationStream | undefined,
} = {}) {
  const logger = createLogger(destination)
  const server = createServer(
    traceHandler(async (req, res) => {
      logger.info({ path: req.url }, 'request received') // ids of the SERVER span
      await withSpan('stock.check', async () => {
        logger.info('checking stock') // ids of the stock.check span
      })
      res.end('ok')
    }),
  )
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    logger,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** A Fastify service: request.log already carries trace_id and span_id of the request's span. */
export async function startFastify({
  port = 0,
  destination = undefined as DestinationStream | undefined,
} = {}) {
  const app = Fastify({ logger: destination ? { stream: destination } : true })
  await app.register(tracingPlugin) // logCorrelation: true is the default
  app.get('/orders/:id', async (request) => {
    request.log.info({ order: (request.params as { id: string }).id }, 'order loaded')
    return { ok: true }
  })
  await app.listen({ port, host: '127.0.0.1' })
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    close: () => app.close(),
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  Promise.all([startHttp({ port: 3000 }), startFastify({ port: 3001 })]).then(([http, fastify]) =>
    console.log(`GET ${http.url}/ and ${fastify.url}/orders/42`),
  )
}
