// winston log lines that carry trace_id / span_id / trace_flags, through a format.
// Run it: node --import tsx --import @tracehop/node/register winston.ts
import { logFields, traceHandler, withSpan } from '@tracehop/core'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import winston from 'winston'

/** Adds the active span's ids to each entry ({} outside a trace). */
export const traceFields = winston.format((info) => Object.assign(info, logFields()))

export function createLogger(stream: NodeJS.WritableStream = process.stdout) {
  return winston.createLogger({
    // traceFields() first, so every later format and transport sees the ids
    format: winston.format.combine(
      traceFields(),
      winston.format.timestamp(),
      winston.format.json(),
    ),
    transports: [new winston.transports.Stream({ stream })],
  })
}

export async function start({ port = 0, stream = process.stdout as NodeJS.WritableStream } = {}) {
  const logger = createLogger(stream)
  const server = createServer(
    traceHandler(async (req, res) => {
      logger.info('request received', { path: req.url })
      await withSpan('payment.authorize', async () => {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20))
        logger.info('payment authorized')
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

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  start({ port: 3000 }).then(({ url }) => console.log(`GET ${url}/`))
}
