import { request } from 'node:http'
import type {
  OtlpTracesData,
  RedResponse,
  ServiceMapResponse,
  StoreStats,
  TraceListResponse,
  TraceSummary,
} from '../src/shared/api.js'
import type { StartedViewer } from '../src/server/viewer.js'
import { batch, getJson, otlpSpan, postJson, spanId, startTestViewer, traceId } from './helpers.js'

const SERVER = 2
const CLIENT = 3

// Three traces: gateway → orders (one of them failing), and a lone health check.
function fixture(): OtlpTracesData[] {
  const order = (n: number, durationMs: number, failed: boolean): OtlpTracesData =>
    batch({
      gateway: [
        otlpSpan({
          traceId: traceId(n),
          spanId: spanId(n * 10),
          name: 'POST /api/orders',
          kind: SERVER,
          startMs: n * 1000,
          endMs: n * 1000 + durationMs,
          attrs: { 'http.route': '/api/orders', 'http.response.status_code': failed ? 500 : 201 },
          ...(failed && { status: { code: 2 } }),
        }),
        otlpSpan({
          traceId: traceId(n),
          spanId: spanId(n * 10 + 1),
          parentSpanId: spanId(n * 10),
          name: 'POST',
          kind: CLIENT,
          startMs: n * 1000 + 1,
          endMs: n * 1000 + durationMs - 1,
        }),
      ],
      orders: [
        otlpSpan({
          traceId: traceId(n),
          spanId: spanId(n * 10 + 2),
          parentSpanId: spanId(n * 10 + 1),
          name: 'POST /orders',
          kind: SERVER,
          startMs: n * 1000 + 2,
          endMs: n * 1000 + durationMs - 2,
          attrs: { 'http.route': '/orders', 'order.sku': `sku-${n}` },
          ...(failed && { status: { code: 2, message: 'out of stock' } }),
        }),
      ],
    })
  return [
    order(1, 100, false),
    order(2, 300, true),
    batch({
      gateway: [
        otlpSpan({
          traceId: traceId(3),
          spanId: spanId(30),
          name: 'GET /healthz',
          kind: SERVER,
          startMs: 3000,
          endMs: 3001,
        }),
      ],
    }),
  ]
}

describe('the API', () => {
  let viewer: StartedViewer
  beforeAll(async () => {
    viewer = await startTestViewer()
    for (const body of fixture()) expect((await postJson(viewer, body)).status).toBe(200)
  })
  afterAll(async () => {
    await viewer.close()
  })

  const list = async (query: string): Promise<string[]> =>
    (await getJson<TraceListResponse>(viewer, `/api/traces${query}`)).traces.map((t) => t.traceId)

  describe('GET /api/traces', () => {
    it('lists newest first with stats', async () => {
      const body = await getJson<TraceListResponse>(viewer, '/api/traces')
      expect(body.traces.map((t) => t.traceId)).toEqual([traceId(3), traceId(2), traceId(1)])
      expect(body.matched).toBe(3)
      expect(body.stats).toMatchObject({
        spanCount: 7,
        traceCount: 3,
        services: ['gateway', 'orders'],
      })
    })
    it('filters by service, error, duration, q and limit', async () => {
      expect(await list('?service=orders')).toEqual([traceId(2), traceId(1)])
      expect(await list('?error=true')).toEqual([traceId(2)])
      expect(await list('?error=false')).toEqual([traceId(3), traceId(1)])
      expect(await list('?minMs=100')).toEqual([traceId(2), traceId(1)])
      expect(await list('?maxMs=100')).toEqual([traceId(3), traceId(1)])
      expect(await list('?q=SKU-2')).toEqual([traceId(2)])
      expect(await list('?q=%2Forders')).toEqual([traceId(2), traceId(1)])
      expect(await list(`?q=${traceId(3)}`)).toEqual([traceId(3)])
      expect(await list('?limit=1')).toEqual([traceId(3)])
      expect(await list('?service=orders&error=false')).toEqual([traceId(1)])
    })
    it('answers 400 with the reason for a bad parameter', async () => {
      for (const [query, error] of [
        ['?limit=0', 'limit must be an integer from 1 to 1000; received "0"'],
        ['?limit=abc', 'limit must be an integer from 1 to 1000; received "abc"'],
        ['?error=yes', 'error must be true or false; received "yes"'],
        ['?minMs=-1', 'minMs must be a number of milliseconds, 0 or more; received "-1"'],
      ] as const) {
        const response = await fetch(`${viewer.otlpEndpoint}/api/traces${query}`)
        expect([query, response.status, await response.json()]).toEqual([query, 400, { error }])
      }
    })
  })

  describe('GET /api/traces/<id>', () => {
    it('returns OTLP/JSON that can be POSTed back (import)', async () => {
      const data = await getJson<OtlpTracesData>(viewer, `/api/traces/${traceId(2)}`)
      expect(
        data.resourceSpans.map((rs) => rs.resource!.attributes![0]!.value!.stringValue),
      ).toEqual(['gateway', 'orders'])
      const other = await startTestViewer()
      try {
        const response = await postJson(other, data)
        expect(await response.json()).toEqual({})
        expect(await getJson<OtlpTracesData>(other, `/api/traces/${traceId(2)}`)).toEqual(data)
        const summary = (await getJson<TraceListResponse>(other, '/api/traces')).traces[0]
        expect(summary).toEqual({
          ...(await getJson<TraceListResponse>(viewer, `/api/traces?q=${traceId(2)}`)).traces[0],
          updatedAt: summary!.updatedAt,
        })
      } finally {
        await other.close()
      }
    })
    it('offers the trace as a download', async () => {
      const response = await fetch(`${viewer.otlpEndpoint}/api/traces/${traceId(1)}?download`)
      expect(response.headers.get('content-disposition')).toBe(
        `attachment; filename="trace-${traceId(1)}.json"`,
      )
    })
    it('answers 404 for an unknown trace and 400 for a malformed id', async () => {
      const unknown = await fetch(`${viewer.otlpEndpoint}/api/traces/${'f'.repeat(32)}`)
      expect(unknown.status).toBe(404)
      expect(await unknown.json()).toEqual({ error: `trace ${'f'.repeat(32)} is not in the store` })
      const malformed = await fetch(`${viewer.otlpEndpoint}/api/traces/xyz`)
      expect(malformed.status).toBe(400)
    })
  })

  it('GET /api/stats', async () => {
    expect(await getJson<StoreStats>(viewer, '/api/stats')).toEqual({
      spanCount: 7,
      traceCount: 3,
      maxSpans: 100_000,
      evictedTraces: 0,
      evictedSpans: 0,
      rejectedSpans: 0,
      services: ['gateway', 'orders'],
    })
  })

  it('GET /api/red: count, errors, percentiles and example traces per service and route', async () => {
    const { rows } = await getJson<RedResponse>(viewer, '/api/red')
    expect(rows.map((r) => [r.service, r.route, r.count, r.errorCount, r.errorRate])).toEqual([
      ['gateway', '/api/orders', 2, 1, 0.5],
      ['gateway', 'GET /healthz', 1, 0, 0],
      ['orders', '/orders', 2, 1, 0.5],
    ])
    const orders = rows[0]!
    expect([orders.p50Ms, orders.p95Ms, orders.p99Ms]).toEqual([100, 300, 300])
    expect(orders.slowest.map((e) => [e.traceId, e.durationMs])).toEqual([
      [traceId(2), 300],
      [traceId(1), 100],
    ])
    expect(orders.failed).toEqual([{ traceId: traceId(2), spanId: spanId(20), durationMs: 300 }])
    const filtered = await getJson<RedResponse>(viewer, '/api/red?service=orders')
    expect(filtered.rows.map((r) => r.route)).toEqual(['/orders'])
  })

  it('GET /api/service-map: services and the calls between them', async () => {
    expect(await getJson<ServiceMapResponse>(viewer, '/api/service-map')).toEqual({
      nodes: [
        { service: 'gateway', spanCount: 5, errorCount: 1 },
        { service: 'orders', spanCount: 2, errorCount: 1 },
      ],
      edges: [{ from: 'gateway', to: 'orders', count: 2, errorCount: 1 }],
    })
  })

  it('answers 404 for an unknown endpoint and 405 for a wrong method', async () => {
    expect((await fetch(`${viewer.otlpEndpoint}/api/nothing`)).status).toBe(404)
    const post = await fetch(`${viewer.otlpEndpoint}/api/stats`, { method: 'POST' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
  })
})

describe('the page', () => {
  it('serves the placeholder at / and /trace/<id> until the page is built', async () => {
    const viewer = await startTestViewer()
    try {
      for (const path of ['/', `/trace/${traceId(1)}`]) {
        const response = await fetch(`${viewer.otlpEndpoint}${path}`)
        expect(response.status).toBe(200)
        expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
        expect(response.headers.get('content-security-policy')).toContain("script-src 'self'")
        expect(await response.text()).toContain('tracehop viewer')
      }
      expect((await fetch(`${viewer.otlpEndpoint}/assets/app.js`)).status).toBe(404)
      expect((await fetch(`${viewer.otlpEndpoint}/assets/..%2Fsecret.js`)).status).toBe(404)
    } finally {
      await viewer.close()
    }
  })
})

interface SseEvent {
  event: string
  data: unknown
}

// Reads server-sent events from /api/events; `next` waits for the first event after those seen.
async function openEvents(viewer: StartedViewer): Promise<{
  events: SseEvent[]
  waitFor(predicate: (event: SseEvent) => boolean): Promise<SseEvent>
  close(): void
}> {
  const events: SseEvent[] = []
  const waiters = new Set<() => void>()
  let req!: ReturnType<typeof request>
  await new Promise<void>((resolve, reject) => {
    req = request(`${viewer.otlpEndpoint}/api/events`, (res) => {
      expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8')
      let buffer = ''
      res.setEncoding('utf8').on('data', (chunk: string) => {
        buffer += chunk
        let end
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const event = /^event: (.*)$/m.exec(block)?.[1]
          const data = /^data: (.*)$/m.exec(block)?.[1]
          if (event === undefined || data === undefined) continue
          events.push({ event, data: JSON.parse(data) })
          if (events.length === 1) resolve()
          for (const waiter of [...waiters]) waiter()
        }
      })
    })
    req.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'ECONNRESET' ? undefined : reject(err),
    )
    req.end()
  })
  return {
    events,
    waitFor(predicate) {
      let seen = 0
      return new Promise((resolve) => {
        const check = (): void => {
          for (; seen < events.length; seen++) {
            if (predicate(events[seen]!)) {
              waiters.delete(check)
              resolve(events[seen]!)
              return
            }
          }
        }
        waiters.add(check)
        check()
      })
    },
    close: () => req.destroy(),
  }
}

describe('GET /api/events', () => {
  it('streams trace summaries as spans arrive, then evictions, stats and clears', async () => {
    const viewer = await startTestViewer({ maxSpans: 3 })
    const stream = await openEvents(viewer)
    try {
      expect(stream.events[0]).toEqual({
        event: 'stats',
        data: expect.objectContaining({ spanCount: 0 }),
      })
      const name = '<img src=x onerror=alert(1)>'
      await postJson(
        viewer,
        batch({ a: [otlpSpan({ traceId: traceId(1), spanId: spanId(1), name })] }),
      )
      await postJson(
        viewer,
        batch({
          a: [otlpSpan({ traceId: traceId(1), spanId: spanId(2), parentSpanId: spanId(1) })],
        }),
      )
      const updated = await stream.waitFor(
        (e) => e.event === 'trace' && (e.data as TraceSummary).spanCount === 2,
      )
      expect(updated.data).toMatchObject({ traceId: traceId(1), rootName: name, services: ['a'] })

      await postJson(
        viewer,
        batch({
          b: [1, 2, 3].map((n) => otlpSpan({ traceId: traceId(2), spanId: spanId(10 + n) })),
        }),
      )
      const evicted = await stream.waitFor((e) => e.event === 'evicted')
      expect(evicted.data).toEqual({ traceIds: [traceId(1)] })
      const stats = await stream.waitFor(
        (e) => e.event === 'stats' && (e.data as StoreStats).evictedTraces === 1,
      )
      expect(stats.data).toMatchObject({ spanCount: 3, traceCount: 1, evictedSpans: 2 })

      expect((await fetch(`${viewer.otlpEndpoint}/api/traces`, { method: 'DELETE' })).status).toBe(
        204,
      )
      await stream.waitFor((e) => e.event === 'cleared')
      const after = await stream.waitFor(
        (e) => e.event === 'stats' && (e.data as StoreStats).spanCount === 0,
      )
      expect(after.data).toMatchObject({ traceCount: 0 })
      expect(await getJson<TraceListResponse>(viewer, '/api/traces')).toMatchObject({
        traces: [],
        matched: 0,
      })
    } finally {
      stream.close()
      await viewer.close()
    }
  })
})

describe('RED and the service map after new spans', () => {
  it('are computed again once the store changed, not served stale', async () => {
    const viewer = await startTestViewer()
    try {
      const server = (n: number) =>
        otlpSpan({
          traceId: traceId(n),
          spanId: spanId(n),
          kind: SERVER,
          attrs: { 'http.route': '/x' },
        })
      await postJson(viewer, batch({ a: [server(1)] }))
      expect((await getJson<RedResponse>(viewer, '/api/red')).rows[0]!.count).toBe(1)
      expect((await getJson<ServiceMapResponse>(viewer, '/api/service-map')).nodes).toHaveLength(1)
      await postJson(
        viewer,
        batch({
          a: [server(2)],
          b: [otlpSpan({ traceId: traceId(2), spanId: spanId(3), parentSpanId: spanId(2) })],
        }),
      )
      expect((await getJson<RedResponse>(viewer, '/api/red')).rows[0]!.count).toBe(2)
      expect((await getJson<ServiceMapResponse>(viewer, '/api/service-map')).edges).toEqual([
        { from: 'a', to: 'b', count: 1, errorCount: 0 },
      ])
    } finally {
      await viewer.close()
    }
  })
})
