import { execFile } from 'node:child_process'
import { request } from 'node:http'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import type { OtlpTracesData, TraceListResponse } from '../src/shared/api.js'
import { flattenTrace } from '../src/shared/flatten.js'
import { traceHints } from '../src/shared/hints.js'
import { decodeTraceRequest, protoReader } from '../src/server/otlp-proto.js'
import type { StartedViewer } from '../src/server/viewer.js'
import { batch, getJson, otlpSpan, postJson, spanId, startTestViewer, traceId } from './helpers.js'
import protobuf from 'protobufjs'

const exec = promisify(execFile)

// The app runs in a child process with the real exporters (see fixtures/two-services.mjs).
async function exportTwoServiceTrace(encoding: string, viewer: StartedViewer): Promise<string> {
  const { stdout } = await exec(
    process.execPath,
    [join(__dirname, 'fixtures', 'two-services.mjs'), encoding, `${viewer.otlpEndpoint}/v1/traces`],
    { cwd: join(__dirname, '..'), timeout: 20_000 },
  )
  return stdout.trim()
}

describe('OTLP/HTTP from the real exporters', () => {
  let viewer: StartedViewer
  beforeEach(async () => {
    viewer = await startTestViewer()
  })
  afterEach(async () => {
    await viewer.close()
  })

  for (const encoding of ['protobuf', 'json', 'protobuf+gzip', 'json+gzip'] as const) {
    it(`merges a two-service trace sent as ${encoding}`, async () => {
      const id = await exportTwoServiceTrace(encoding, viewer)
      expect(id).toMatch(/^[0-9a-f]{32}$/)

      const list = await getJson<TraceListResponse>(viewer, '/api/traces')
      expect(list.traces).toHaveLength(1)
      expect(list.traces[0]).toMatchObject({
        traceId: id,
        rootName: 'POST /api/orders',
        rootService: 'gateway',
        services: ['gateway', 'orders'],
        spanCount: 4,
        error: true,
        errorCount: 1,
        hintCount: 0,
        route: '/api/orders',
        statusCode: 201,
      })

      const data = await getJson<OtlpTracesData>(viewer, `/api/traces/${id}`)
      const spans = flattenTrace(data)
      expect(spans.map((s) => `${s.service}:${s.kind}:${s.name}`).sort()).toEqual([
        'gateway:client:POST',
        'gateway:server:POST /api/orders',
        'orders:internal:orders.place',
        'orders:server:POST /orders',
      ])
      const byName = new Map(spans.map((s) => [s.name, s]))
      expect(byName.get('POST /orders')!.parentSpanId).toBe(byName.get('POST')!.spanId)
      expect(byName.get('POST /orders')!.parentIsRemote).toBe(true)
      const place = byName.get('orders.place')!
      expect(place.attributes).toEqual({
        'order.count': 3,
        'order.total': 12.5,
        'order.gift': true,
        tags: ['a', 'b'],
      })
      expect(place.status).toEqual({ code: 'error', message: 'card declined' })
      expect(place.events.map((e) => e.name)).toEqual(['reserved', 'exception'])
      expect(place.events[1]!.attributes['exception.message']).toBe('card declined')
      expect(place.resource['service.version']).toBe('1.2.3')
      expect(place.scope).toEqual({ name: 'orders-scope', version: undefined })
      expect(byName.get('POST')!.scope).toEqual({ name: 'gateway-scope', version: '0.1.0' })
      expect(traceHints(spans)).toEqual([])
    })
  }

  it('merges spans of one trace that arrive from several processes at different times', async () => {
    const id = traceId(7)
    await postJson(
      viewer,
      batch({
        orders: [otlpSpan({ traceId: id, spanId: spanId(2), parentSpanId: spanId(1), kind: 2 })],
      }),
    )
    let list = await getJson<TraceListResponse>(viewer, '/api/traces')
    expect(list.traces[0]).toMatchObject({ spanCount: 1, hintCount: 1, rootService: 'orders' })
    await postJson(
      viewer,
      batch({ gateway: [otlpSpan({ traceId: id, spanId: spanId(1), kind: 3, endMs: 50 })] }),
    )
    list = await getJson<TraceListResponse>(viewer, '/api/traces')
    expect(list.traces[0]).toMatchObject({
      spanCount: 2,
      hintCount: 0,
      rootService: 'gateway',
      services: ['gateway', 'orders'],
      durationMs: 50,
    })
  })
})

function send(
  viewer: StartedViewer,
  path: string,
  body: Buffer | string,
  headers: Record<string, string>,
  method = 'POST',
): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${viewer.otlpEndpoint}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
      )
    })
    // An oversized body may be cut off by the server once it has answered.
    req.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err),
    )
    req.end(body)
  })
}

// google.rpc.Status, declared here to read the answers (field numbers of google/rpc/status.proto).
const Status = new protobuf.Type('Status')
  .add(new protobuf.Field('code', 1, 'int32'))
  .add(new protobuf.Field('message', 2, 'string'))

describe('status codes', () => {
  let viewer: StartedViewer
  beforeAll(async () => {
    viewer = await startTestViewer({ maxBodyBytes: 4096 })
  })
  afterAll(async () => {
    await viewer.close()
  })

  it('answers 200 with an empty ExportTraceServiceResponse for a good protobuf request', async () => {
    const res = await send(viewer, '/v1/traces', Buffer.alloc(0), {
      'content-type': 'application/x-protobuf',
    })
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('application/x-protobuf')
    expect(res.body.length).toBe(0)
  })

  it('answers 200 with partial_success (JSON) when it drops spans', async () => {
    const body = batch({
      a: [otlpSpan({ spanId: 'nothex' }), otlpSpan({ spanId: spanId(9), traceId: traceId(9) })],
    })
    const res = await send(viewer, '/v1/traces', JSON.stringify(body), {
      'content-type': 'application/json',
    })
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body.toString())).toEqual({
      partialSuccess: {
        rejectedSpans: '1',
        errorMessage: 'a span has no valid spanId (16 hex digits)',
      },
    })
    const stats = await getJson<{ rejectedSpans: number }>(viewer, '/api/stats')
    expect(stats.rejectedSpans).toBeGreaterThanOrEqual(1)
  })

  it('answers 200 with partial_success (protobuf) when it drops spans', async () => {
    // A span whose trace id is 3 bytes long (same field numbers as opentelemetry-proto).
    const root = protobuf.Root.fromJSON({
      nested: {
        R: { fields: { resourceSpans: { rule: 'repeated', type: 'RS', id: 1 } } },
        RS: { fields: { scopeSpans: { rule: 'repeated', type: 'SS', id: 2 } } },
        SS: { fields: { spans: { rule: 'repeated', type: 'S', id: 2 } } },
        S: {
          fields: {
            traceId: { type: 'bytes', id: 1 },
            spanId: { type: 'bytes', id: 2 },
            name: { type: 'string', id: 5 },
          },
        },
      },
    })
    const R = root.lookupType('R')
    const payload = R.encode(
      R.create({
        resourceSpans: [
          {
            scopeSpans: [
              { spans: [{ traceId: Buffer.from('abc'), spanId: Buffer.alloc(8, 1), name: 'x' }] },
            ],
          },
        ],
      }),
    ).finish()
    const res = await send(viewer, '/v1/traces', Buffer.from(payload), {
      'content-type': 'application/x-protobuf',
    })
    expect(res.status).toBe(200)
    const response = protobuf.Root.fromJSON({
      nested: {
        Resp: { fields: { partialSuccess: { type: 'PS', id: 1 } } },
        PS: {
          fields: {
            rejectedSpans: { type: 'int64', id: 1 },
            errorMessage: { type: 'string', id: 2 },
          },
        },
      },
    }).lookupType('Resp')
    expect(response.toObject(response.decode(res.body), { longs: Number })).toEqual({
      partialSuccess: {
        rejectedSpans: 1,
        errorMessage: 'a span has no valid traceId (32 hex digits)',
      },
    })
  })

  it('answers 400 with a protobuf Status for a malformed protobuf body', async () => {
    const res = await send(viewer, '/v1/traces', Buffer.from([0x0a, 0xff, 0xff, 0xff]), {
      'content-type': 'application/x-protobuf',
    })
    expect(res.status).toBe(400)
    expect(res.headers['content-type']).toBe('application/x-protobuf')
    const status = Status.toObject(Status.decode(res.body)) as { code: number; message: string }
    expect(status.code).toBe(3)
    expect(status.message).toMatch(/^malformed ExportTraceServiceRequest: /)
  })

  it('answers 400 with a JSON Status for malformed JSON', async () => {
    const res = await send(viewer, '/v1/traces', '{"resourceSpans": [', {
      'content-type': 'application/json',
    })
    expect(res.status).toBe(400)
    const status = JSON.parse(res.body.toString()) as { code: number; message: string }
    expect(status.code).toBe(3)
    expect(status.message).toMatch(/^malformed ExportTraceServiceRequest: /)
  })

  it('answers 400 for JSON that is no ExportTraceServiceRequest', async () => {
    for (const body of ['[]', '42', '{"resourceSpans": 3}', '{"resourceSpans": [7]}']) {
      const res = await send(viewer, '/v1/traces', body, { 'content-type': 'application/json' })
      expect([body, res.status]).toEqual([body, 400])
    }
  })

  it('answers 400 for a corrupt gzip body', async () => {
    const res = await send(viewer, '/v1/traces', Buffer.from('not gzip at all'), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    })
    expect(res.status).toBe(400)
    expect(JSON.parse(res.body.toString()).message).toMatch(/^the gzip body is corrupt/)
  })

  it('answers 413 over the body limit, declared or streamed', async () => {
    const big = JSON.stringify({ resourceSpans: [], pad: 'x'.repeat(5000) })
    const declared = await send(viewer, '/v1/traces', big, { 'content-type': 'application/json' })
    expect(declared.status).toBe(413)
    expect(JSON.parse(declared.body.toString())).toEqual({
      code: 8,
      message: 'the body is larger than 4096 bytes',
    })
    const streamed = await send(viewer, '/v1/traces', big, {
      'content-type': 'application/json',
      'transfer-encoding': 'chunked',
    })
    expect(streamed.status).toBe(413)
  })

  it('answers 413 when the body inflates past the limit (a gzip bomb)', async () => {
    const bomb = gzipSync(
      Buffer.from(JSON.stringify({ resourceSpans: [], pad: ' '.repeat(100_000) })),
    )
    expect(bomb.length).toBeLessThan(4096)
    const res = await send(viewer, '/v1/traces', bomb, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    })
    expect(res.status).toBe(413)
    expect(JSON.parse(res.body.toString()).message).toBe(
      'the inflated body is larger than 4096 bytes',
    )
  })

  it('answers 415 for another content type or content encoding', async () => {
    const text = await send(viewer, '/v1/traces', 'hello', { 'content-type': 'text/plain' })
    expect(text.status).toBe(415)
    const br = await send(viewer, '/v1/traces', '{}', {
      'content-type': 'application/json',
      'content-encoding': 'br',
    })
    expect(br.status).toBe(415)
  })

  it('answers 405 for another method on /v1/traces', async () => {
    const res = await send(viewer, '/v1/traces', '', {}, 'GET')
    expect(res.status).toBe(405)
    expect(res.headers.allow).toBe('POST, OPTIONS')
  })

  it('answers 200 on /v1/metrics and /v1/logs and keeps nothing', async () => {
    for (const path of ['/v1/metrics', '/v1/logs']) {
      const proto = await send(viewer, path, Buffer.from([0x0a, 0x00]), {
        'content-type': 'application/x-protobuf',
      })
      expect([path, proto.status, proto.body.length]).toEqual([path, 200, 0])
      const json = await send(viewer, path, '{"resourceMetrics":[]}', {
        'content-type': 'application/json',
      })
      expect([path, json.status, json.body.toString()]).toEqual([path, 200, '{}'])
    }
  })

  it('answers 421 to a Host that is not this machine (DNS rebinding)', async () => {
    const res = await send(viewer, '/api/traces', '', { host: 'evil.example:4318' }, 'GET')
    expect(res.status).toBe(421)
    const local = await send(viewer, '/api/stats', '', { host: `localhost:${viewer.port}` }, 'GET')
    expect(local.status).toBe(200)
  })
})

describe('bounds', () => {
  it('keeps at most maxAttributes attributes and cuts long values', async () => {
    const viewer = await startTestViewer({ maxAttributes: 3, maxValueLength: 20 })
    try {
      const attrs: Record<string, string> = {}
      for (let i = 0; i < 10; i++) attrs[`k${i}`] = 'v'.repeat(50)
      await postJson(viewer, batch({ a: [otlpSpan({ attrs, name: 'n'.repeat(30) })] }))
      const [span] = flattenTrace(
        await getJson<OtlpTracesData>(viewer, `/api/traces/${traceId(1)}`),
      )
      expect(Object.keys(span!.attributes)).toEqual(['k0', 'k1', 'k2'])
      expect(span!.attributes.k0).toBe(`${'v'.repeat(20)}…`)
      expect(span!.name).toBe(`${'n'.repeat(20)}…`)
      expect(span!.dropped.attributes).toBe(7)
    } finally {
      await viewer.close()
    }
  })
})

describe('CORS for browser exporters', () => {
  it('answers the preflight of an allowed origin and no other', async () => {
    const viewer = await startTestViewer({ allowedOrigins: ['http://localhost:5173'] })
    try {
      const preflight = await fetch(`${viewer.otlpEndpoint}/v1/traces`, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://localhost:5173',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      })
      expect(preflight.status).toBe(204)
      expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:5173')
      expect(preflight.headers.get('access-control-allow-methods')).toBe('POST, OPTIONS')
      expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type')

      const other = await fetch(`${viewer.otlpEndpoint}/v1/traces`, {
        method: 'OPTIONS',
        headers: { origin: 'http://elsewhere.test', 'access-control-request-method': 'POST' },
      })
      expect(other.headers.get('access-control-allow-origin')).toBeNull()

      const post = await fetch(`${viewer.otlpEndpoint}/v1/traces`, {
        method: 'POST',
        headers: { origin: 'http://localhost:5173', 'content-type': 'application/json' },
        body: '{}',
      })
      expect(post.status).toBe(200)
      expect(post.headers.get('access-control-allow-origin')).toBe('http://localhost:5173')
      // The API is never opened to other origins.
      const api = await fetch(`${viewer.otlpEndpoint}/api/traces`, {
        headers: { origin: 'http://localhost:5173' },
      })
      expect(api.headers.get('access-control-allow-origin')).toBeNull()
    } finally {
      await viewer.close()
    }
  })
})

describe('protoReader', () => {
  it('reads the official definitions’ messages into hex ids and decimal nanos', () => {
    const message = decodeTraceRequest(new Uint8Array()) as { resourceSpans: unknown[] }
    expect(message.resourceSpans).toEqual([])
    expect(protoReader.id(new Uint8Array([0xb7, 0xad]))).toBe('b7ad')
    expect(protoReader.id(new Uint8Array())).toBeUndefined()
  })
})

describe('64-bit numbers from protobuf', () => {
  it('reads unsigned nanos and signed ints exactly', () => {
    const big = { low: -1, high: -1, unsigned: true } // 2^64 - 1 as protobufjs' Long holds it
    expect(protoReader.nanos(big)).toBe('18446744073709551615')
    expect(protoReader.int({ low: -1, high: -1, unsigned: false })).toBe('-1')
    expect(protoReader.int({ low: 5, high: 0, unsigned: false })).toBe('5')
    expect(protoReader.nanos({ low: 0x6e5c_0000, high: 0x1797_4a2c, unsigned: true })).toBe(
      (BigInt(0x1797_4a2c) * 2n ** 32n + BigInt(0x6e5c_0000)).toString(),
    )
  })
})
