// Hostile trace and baggage headers as a user meets them (issue 12, items 4 and 5): raw bytes over
// a socket into a traced Fastify server that calls a default node:http downstream.
import { propagation } from '@opentelemetry/api'
import { createPropagator } from '@tracehop/core'
import { tracingPlugin } from '@tracehop/fastify'
import type { FastifyInstance } from 'fastify'
import http from 'node:http'
import net, { type AddressInfo } from 'node:net'
import { captureDiag, FASTIFY_VERSIONS, listen, useTracing } from './helpers.js'

const T1 = 'ab28fb76b8213d06f9cb3b3c0a643f8c'
const S1 = 'b38ba69fa3a292b4'
const T2 = 'aeeb2e3b6b0a4f7c8d9e0f1a2b3c4d5e'
const S2 = '00f067aa0ba902b7'
const NBSP = '\u00a0'

const tracing = useTracing()

/** What the downstream server received on one call. */
interface Received {
  status: number
  headerBytes: number
  baggage: string | undefined
  uberctx: string[]
}

/** Sends `headers` as raw latin1 bytes, exactly as written, and returns the status and body. */
function rawRequest(
  port: number,
  path: string,
  headers: ReadonlyArray<readonly [string, string]>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    const lines = [`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: close']
    for (const [name, value] of headers) lines.push(`${name}: ${value}`)
    // write, not end: a half-closed socket may be dropped before the response is written
    socket.write(Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'))
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) })
    })
  })
}

let downstream: http.Server
let downstreamPort: number
let diagnostics: ReturnType<typeof captureDiag>

beforeAll(async () => {
  diagnostics = captureDiag()
  // what startTracing({ propagators: [...] }) registers
  propagation.disable()
  propagation.setGlobalPropagator(createPropagator('tracecontext,baggage,b3multi,jaeger'))
  // a default node:http server: it answers 431 above 16 KiB of headers, before any handler
  downstream = http.createServer((req, res) => {
    let headerBytes = 0
    const uberctx: string[] = []
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      headerBytes += req.rawHeaders[i]!.length + req.rawHeaders[i + 1]!.length + 4
      if (req.rawHeaders[i]!.toLowerCase().startsWith('uberctx-')) uberctx.push(req.rawHeaders[i]!)
    }
    res.setHeader('content-type', 'application/json')
    res.end(
      JSON.stringify({
        status: 200,
        headerBytes,
        baggage: req.headers.baggage as string | undefined,
        uberctx,
      } satisfies Received),
    )
  })
  await new Promise<void>((resolve) => downstream.listen(0, '127.0.0.1', resolve))
  downstreamPort = (downstream.address() as AddressInfo).port
})
afterAll(async () => {
  diagnostics.restore()
  downstream.closeAllConnections()
  await new Promise((resolve) => downstream.close(resolve))
})

function callDownstream(headers: Record<string, string>): Promise<Received> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port: downstreamPort, path: '/', headers, agent: false },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (body += chunk))
        res.on('end', () =>
          resolve(
            res.statusCode === 200
              ? (JSON.parse(body) as Received)
              : { status: res.statusCode ?? 0, headerBytes: 0, baggage: undefined, uberctx: [] },
          ),
        )
      },
    )
    req.on('error', reject)
  })
}

describe.each(FASTIFY_VERSIONS)('$name: hostile headers over a socket', ({ create }) => {
  let app: FastifyInstance
  let port: number

  beforeEach(async () => {
    app = create()
    await app.register(tracingPlugin, { tracerProvider: tracing.provider })
    app.get('/hop', async (request) => callDownstream(request.tracing.inject()))
    port = Number(new URL(await listen(app)).port)
  })
  afterEach(() => app.close())

  async function serverParent(
    headers: ReadonlyArray<readonly [string, string]>,
  ): Promise<{ traceId: string; parent: string | undefined }> {
    const res = await rawRequest(port, '/hop', headers)
    expect(res.status).toBe(200)
    const [span] = await tracing.waitForSpans(1)
    return { traceId: span!.spanContext().traceId, parent: span!.parentSpanContext?.spanId }
  }

  it('starts a new trace for two traceparent lines, the first of a future version', async () => {
    const found = await serverParent([
      ['traceparent', `01-${T1}-${S1}-01-x`],
      ['traceparent', `00-${T2}-${S2}-01`],
    ])
    expect(found.parent).toBeUndefined()
    expect([T1, T2]).not.toContain(found.traceId)
  })

  it.each([
    [
      'an uber-trace-id percent-decoding to a control byte',
      [['uber-trace-id', `%11f92f3577b34da6a3ce929d0e0e4736:${S1}:0:1`]],
    ],
    ['an uber-trace-id wrapped in NBSP', [['uber-trace-id', `${NBSP}${T1}:${S1}:0:1${NBSP}`]]],
    [
      'X-B3 ids wrapped in NBSP',
      [
        ['X-B3-TraceId', `${NBSP}${T1}`],
        ['X-B3-SpanId', `${S1}${NBSP}`],
        ['X-B3-Sampled', '1'],
      ],
    ],
  ] as const)('keeps the valid traceparent beside %s', async (_what, extra) => {
    const found = await serverParent([['traceparent', `00-${T2}-${S2}-01`], ...extra])
    expect(found).toEqual({ traceId: T2, parent: S2 })
  })

  it('does not make the downstream answer 431 for a 15 KB uberctx-a header', async () => {
    const value = `${'v '.repeat(7679)}v` // 15 KB, twice that once percent-encoded
    const res = await rawRequest(port, '/hop', [
      ['uberctx-a', value],
      ['uberctx-user', 'alice'],
    ])
    expect(res.status).toBe(200)
    const received = JSON.parse(res.body) as Received
    expect(received.status).toBe(200)
    expect(received.headerBytes).toBeLessThan(8192 + 1024)
    expect(received.uberctx).toEqual(['uberctx-user'])
    expect(received.baggage).toBe('user=alice')
  })

  it('sends an 8 KB W3C baggage once, not again as uberctx-*', async () => {
    const baggage = Array.from({ length: 60 }, (_, i) => `k${i}=${'v'.repeat(128)}`).join(',')
    const res = await rawRequest(port, '/hop', [['baggage', baggage]])
    const received = JSON.parse(res.body) as Received
    expect(received.status).toBe(200)
    expect(received.baggage).toBe(baggage)
    expect(received.uberctx).toEqual([])
    expect(received.headerBytes).toBeLessThan(8192 + 1024)
  })
})

describe('diag', () => {
  it('said once, for both Fastify majors, that the oversized uberctx-a was not read', () => {
    const dropped = diagnostics.messages.filter((message) => message.includes('baggage'))
    expect(dropped).toEqual([
      '@tracehop/core: 1 baggage entry not read from uberctx-* headers: incoming baggage is read up to 180 members and 8192 bytes, members over 4096 bytes are skipped. Reported once; later drops are only counted.',
    ])
  })
})
