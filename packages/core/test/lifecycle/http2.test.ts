import http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import { getRequestTrace, traceHandler, type RequestTrace } from '../../src/index.js'
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

  it('tells an unsampled request without metrics ended once the client cancelled its stream', async () => {
    let seen: { trace: RequestTrace; closed: Promise<void> } | undefined
    const handler = traceHandler(
      (req, res) => {
        const closed = new Promise<void>((resolve) => res.once('close', () => resolve()))
        seen = { trace: getRequestTrace(req), closed }
        res.write('partial')
      },
      { tracerProvider: tracing.provider, metrics: false },
    )
    const server = http2.createServer((req, res) => handler(req as never, res as never))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    const client = http2.connect(`http://127.0.0.1:${port}`)
    try {
      await new Promise<void>((resolve, reject) => {
        const stream = client.request({
          ':path': '/stream',
          traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00',
        })
        stream.once('data', () => {
          expect(seen?.trace.span.isRecording()).toBe(false)
          expect(seen?.trace.ended).toBe(false)
          stream.close(http2.constants.NGHTTP2_CANCEL)
          resolve()
        })
        stream.on('error', reject)
      })
      await seen?.closed
      expect(seen?.trace.ended).toBe(true)
    } finally {
      client.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})
