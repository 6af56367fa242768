import type { OtlpSpan } from '../src/shared/api.js'
import { flattenTrace } from '../src/shared/flatten.js'
import { TraceStore } from '../src/server/store.js'
import { batch, otlpSpan, spanId, traceId } from './helpers.js'

function spansOf(trace: number, count: number, extra: Partial<OtlpSpan> = {}): OtlpSpan[] {
  return Array.from({ length: count }, (_, i) =>
    otlpSpan({
      traceId: traceId(trace),
      spanId: spanId(trace * 1000 + i),
      ...(i > 0 && { parentSpanId: spanId(trace * 1000) }),
      startMs: trace * 100 + i,
      endMs: trace * 100 + i + 5,
      ...extra,
    }),
  )
}

describe('TraceStore.add', () => {
  it('merges spans of one trace from several resources and batches', () => {
    const store = new TraceStore({ maxSpans: 100 })
    store.add(batch({ gateway: spansOf(1, 1) }).resourceSpans)
    const result = store.add(
      batch({
        orders: [
          otlpSpan({
            traceId: traceId(1),
            spanId: spanId(5),
            parentSpanId: spanId(1000),
            startMs: 101,
          }),
        ],
      }).resourceSpans,
    )
    expect(result).toEqual({ accepted: 1, rejected: 0, touched: [traceId(1)], evicted: [] })
    expect(store.getSummary(traceId(1))).toMatchObject({
      spanCount: 2,
      services: ['gateway', 'orders'],
    })
    expect(store.stats()).toMatchObject({
      spanCount: 2,
      traceCount: 1,
      services: ['gateway', 'orders'],
    })
  })

  it('replaces a span that arrives twice instead of counting it twice', () => {
    const store = new TraceStore({ maxSpans: 100 })
    store.add(batch({ a: spansOf(1, 3) }).resourceSpans)
    store.add(batch({ a: spansOf(1, 3) }).resourceSpans)
    expect(store.stats().spanCount).toBe(3)
  })
})

describe('eviction at the cap', () => {
  it('evicts whole traces, the one longest without a new span first, and counts them', () => {
    const store = new TraceStore({ maxSpans: 10 })
    store.add(batch({ a: spansOf(1, 4) }).resourceSpans)
    store.add(batch({ a: spansOf(2, 4) }).resourceSpans)
    // trace 1 gets a late span, so trace 2 is now the oldest
    store.add(
      batch({ a: [otlpSpan({ traceId: traceId(1), spanId: spanId(1999), startMs: 150 })] })
        .resourceSpans,
    )
    const result = store.add(batch({ a: spansOf(3, 4) }).resourceSpans)
    expect(result.evicted).toEqual([traceId(2)])
    expect(store.stats()).toMatchObject({
      spanCount: 9,
      traceCount: 2,
      evictedTraces: 1,
      evictedSpans: 4,
    })
    expect(store.getTrace(traceId(2))).toBeUndefined()
    expect(store.getTrace(traceId(1))).toBeDefined()
  })

  it('never holds more than maxSpans, and refuses what one trace alone cannot fit', () => {
    const store = new TraceStore({ maxSpans: 50 })
    for (let t = 1; t <= 30; t++) {
      store.add(batch({ a: spansOf(t, 7) }).resourceSpans)
      expect(store.stats().spanCount).toBeLessThanOrEqual(50)
    }
    const big = store.add(batch({ a: spansOf(99, 60) }).resourceSpans)
    expect(big.accepted).toBe(50)
    expect(big.rejected).toBe(10)
    expect(store.stats()).toMatchObject({ spanCount: 50, traceCount: 1, rejectedSpans: 10 })
  })

  it('evict() removes the oldest traces on demand', () => {
    const store = new TraceStore({ maxSpans: 100 })
    for (let t = 1; t <= 3; t++) store.add(batch({ a: spansOf(t, 1) }).resourceSpans)
    expect(store.evict(2)).toEqual([traceId(1), traceId(2)])
    expect(store.stats().traceCount).toBe(1)
  })
})

describe('TraceStore.query', () => {
  const store = new TraceStore({ maxSpans: 1000 })
  store.add(
    batch({
      gateway: [
        otlpSpan({
          traceId: traceId(1),
          spanId: spanId(1),
          name: 'GET /health',
          startMs: 0,
          endMs: 2,
          kind: 2,
        }),
        otlpSpan({
          traceId: traceId(2),
          spanId: spanId(2),
          name: 'POST /orders',
          startMs: 10,
          endMs: 310,
          kind: 2,
          attrs: { 'http.route': '/orders/:id', 'user.email': 'ada@example.com' },
          status: { code: 2 },
        }),
      ],
      orders: [
        otlpSpan({
          traceId: traceId(2),
          spanId: spanId(3),
          parentSpanId: spanId(2),
          name: 'orders.place',
          startMs: 20,
          endMs: 300,
        }),
        otlpSpan({
          traceId: traceId(3),
          spanId: spanId(4),
          name: 'cron tick',
          startMs: 20,
          endMs: 60,
        }),
      ],
    }).resourceSpans,
  )
  const ids = (query: Parameters<TraceStore['query']>[0]): string[] =>
    store.query(query).traces.map((t) => t.traceId)

  it('lists newest first', () => {
    expect(ids({})).toEqual([traceId(3), traceId(2), traceId(1)])
    expect(store.query({}).traces.map((t) => t.startTime)).toEqual([
      1.7e12 + 20,
      1.7e12 + 10,
      1.7e12,
    ])
  })
  it('filters by service', () => {
    expect(ids({ service: 'orders' }).sort()).toEqual([traceId(2), traceId(3)])
    expect(ids({ service: 'nobody' })).toEqual([])
  })
  it('filters by error', () => {
    expect(ids({ error: true })).toEqual([traceId(2)])
    expect(ids({ error: false }).sort()).toEqual([traceId(1), traceId(3)])
  })
  it('filters by duration bounds, inclusive', () => {
    expect(ids({ minMs: 40 }).sort()).toEqual([traceId(2), traceId(3)])
    expect(ids({ maxMs: 40 }).sort()).toEqual([traceId(1), traceId(3)])
    expect(ids({ minMs: 40, maxMs: 40 })).toEqual([traceId(3)])
  })
  it('matches q against names, routes, attribute values and the trace id, ignoring case', () => {
    expect(ids({ q: 'ORDERS.place' })).toEqual([traceId(2)])
    expect(ids({ q: '/orders/:id' })).toEqual([traceId(2)])
    expect(ids({ q: 'ada@example' })).toEqual([traceId(2)])
    expect(ids({ q: traceId(3).toUpperCase() })).toEqual([traceId(3)])
    expect(ids({ q: 'nothing like it' })).toEqual([])
  })
  it('limits the list and says how many matched', () => {
    const result = store.query({ limit: 1 })
    expect(result.traces).toHaveLength(1)
    expect(result.matched).toBe(3)
  })
})

describe('TraceStore.getTrace', () => {
  it('returns OTLP/JSON grouped by resource and scope that flattens back to the same spans', () => {
    const store = new TraceStore({ maxSpans: 100 })
    const input = batch({
      a: spansOf(1, 3),
      b: [
        otlpSpan({
          traceId: traceId(1),
          spanId: spanId(77),
          parentSpanId: spanId(1000),
          startMs: 103,
        }),
      ],
    })
    store.add(input.resourceSpans)
    const data = store.getTrace(traceId(1))!
    expect(data.resourceSpans).toHaveLength(2)
    expect(data.resourceSpans.map((rs) => rs.scopeSpans![0]!.scope)).toEqual([
      { name: 'test' },
      { name: 'test' },
    ])
    expect(flattenTrace(data)).toEqual(flattenTrace(input))
  })
})
