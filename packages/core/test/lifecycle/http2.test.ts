import http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import { traceHandler } from '../../src/index.js'
import { setupTracing, waitForSpans } from '../support/tracing.js'

describe('HTTP/2 (node:http2 compatibility API)', () => {
  let tracing: ReturnType<typeof setupTracing>
  beforeEach(() => {
    tracing = setupTracing()
  })
  afterEach(async () => {
    await tracing.teardown()
  })

  it('reads :authority and :scheme and reports protocol version 2', async () => {
    const handler = traceHandler(
      (_req, res) => {
        res.statusCode = 202
        res.end('h2')
      },
      { tracerProvider: tracing.provider },
    )
    // the compatibility API hands over request/response objects shaped like node:http's
    const server = http2.createServer((req, res) => handler(req as never, res as never))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    const client = http2.connect(`http://127.0.0.1:${port}`)
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const stream = client.request({ ':path': '/h2?x=1', ':method': 'GET' })
        let data = ''
        stream.setEncoding('utf8')
        stream.on('data', (chunk: string) => (data += chunk))
        stream.on('end', () => resolve(data))
        stream.on('error', reject)
        stream.end()
      })
      expect(body).toBe('h2')
      const [span] = await waitForSpans(tracing.exporter, 1)
      expect(span?.attributes).toMatchObject({
        'http.request.method': 'GET',
        'url.path': '/h2',
        'url.query': 'x=1',
        'url.scheme': 'http',
        'server.address': '127.0.0.1',
        'server.port': port,
        'network.protocol.version': '2',
        'http.response.status_code': 202,
      })
    } finally {
      client.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})
