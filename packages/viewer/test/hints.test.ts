import { traceHints } from '../src/shared/hints.js'
import { otlpSpan, spanId, viewSpans } from './helpers.js'

const SERVER = 2
const CLIENT = 3
const PRODUCER = 4
const CONSUMER = 5

describe('traceHints', () => {
  it('finds nothing wrong with a whole cross-service trace', () => {
    const spans = viewSpans({
      gateway: [
        otlpSpan({ spanId: spanId(1), kind: SERVER, name: 'POST /api/orders' }),
        otlpSpan({ spanId: spanId(2), parentSpanId: spanId(1), kind: CLIENT }),
      ],
      orders: [
        otlpSpan({ spanId: spanId(3), parentSpanId: spanId(2), kind: SERVER }),
        otlpSpan({ spanId: spanId(4), parentSpanId: spanId(3), kind: PRODUCER }),
      ],
      notifier: [otlpSpan({ spanId: spanId(5), parentSpanId: spanId(4), kind: CONSUMER })],
    })
    expect(traceHints(spans)).toEqual([])
  })

  it('says which parent is missing and why that happens', () => {
    const spans = viewSpans({
      orders: [
        otlpSpan({ spanId: spanId(3), parentSpanId: 'b7ad6b7169203331', name: 'orders.place' }),
      ],
    })
    expect(traceHints(spans)).toEqual([
      {
        kind: 'missing-parent',
        spanId: spanId(3),
        parentSpanId: 'b7ad6b7169203331',
        message:
          'parent b7ad6b71… is missing: the caller did not export, or the context was lost before this call',
      },
    ])
  })

  it('names a SERVER span whose remote parent no caller here exported', () => {
    const spans = viewSpans({
      orders: [
        otlpSpan({
          spanId: spanId(3),
          parentSpanId: 'b7ad6b7169203331',
          kind: SERVER,
          flags: 0x301,
        }),
      ],
    })
    expect(traceHints(spans)).toEqual([
      {
        kind: 'server-without-client',
        spanId: spanId(3),
        parentSpanId: 'b7ad6b7169203331',
        message:
          'parent b7ad6b71… is a remote context no caller here exported: the caller is not traced, or exports its spans somewhere else',
      },
    ])
  })

  it('names a SERVER span whose caller exported no CLIENT span for the call', () => {
    const spans = viewSpans({
      gateway: [
        otlpSpan({ spanId: spanId(1), kind: SERVER, name: 'GET /' }),
        otlpSpan({ spanId: spanId(2), parentSpanId: spanId(1), name: 'render' }),
      ],
      orders: [otlpSpan({ spanId: spanId(3), parentSpanId: spanId(2), kind: SERVER })],
    })
    const [hint, ...rest] = traceHints(spans)
    expect(rest).toEqual([])
    expect(hint).toEqual({
      kind: 'server-without-client',
      spanId: spanId(3),
      parentSpanId: spanId(2),
      message:
        'the caller gateway exported no CLIENT span for this call (its parent is INTERNAL span "render"): the outgoing request was not traced, so its time on the wire is not shown',
    })
  })

  it('counts several roots and points at every root but the earliest', () => {
    const spans = viewSpans({
      a: [
        otlpSpan({ spanId: spanId(1), startMs: 0 }),
        otlpSpan({ spanId: spanId(2), startMs: 5, name: 'late work' }),
      ],
      b: [otlpSpan({ spanId: spanId(3), startMs: 9, name: 'other' })],
    })
    expect(traceHints(spans).map((h) => [h.kind, h.spanId, h.message])).toEqual([
      [
        'several-roots',
        spanId(2),
        'this trace has 3 root spans: "late work" (a) started without a parent, so its work is not attached to the request that caused it',
      ],
      [
        'several-roots',
        spanId(3),
        'this trace has 3 root spans: "other" (b) started without a parent, so its work is not attached to the request that caused it',
      ],
    ])
  })

  it('names a CONSUMER without its PRODUCER, parent missing or not a producer', () => {
    const missing = viewSpans({
      worker: [otlpSpan({ spanId: spanId(5), parentSpanId: spanId(4), kind: CONSUMER })],
    })
    expect(traceHints(missing)).toEqual([
      {
        kind: 'consumer-without-producer',
        spanId: spanId(5),
        parentSpanId: spanId(4),
        message: `CONSUMER span without its PRODUCER: parent ${spanId(4).slice(0, 8)}… is missing, so the publisher did not export its span`,
      },
    ])
    const noContext = viewSpans({
      worker: [
        otlpSpan({ spanId: spanId(1), name: 'poll' }),
        otlpSpan({ spanId: spanId(5), parentSpanId: spanId(1), kind: CONSUMER }),
      ],
    })
    expect(traceHints(noContext).map((h) => [h.kind, h.message])).toEqual([
      [
        'consumer-without-producer',
        'CONSUMER span without its PRODUCER: the publisher did not put the trace context into the message, or did not export its span',
      ],
    ])
  })

  it('accepts a CONSUMER linked to its PRODUCER, here or in another trace', () => {
    const here = viewSpans({
      a: [
        otlpSpan({ spanId: spanId(1), kind: PRODUCER }),
        otlpSpan({
          spanId: spanId(2),
          kind: CONSUMER,
          startMs: 1,
          links: [{ traceId: otlpSpan({}).traceId, spanId: spanId(1) }],
        }),
      ],
    })
    expect(traceHints(here).filter((h) => h.kind === 'consumer-without-producer')).toEqual([])
    const elsewhere = viewSpans({
      a: [
        otlpSpan({
          spanId: spanId(2),
          kind: CONSUMER,
          links: [{ traceId: 'c'.repeat(32), spanId: spanId(1) }],
        }),
      ],
    })
    expect(traceHints(elsewhere)).toEqual([])
  })

  it("explains tracehop's remote-parent policy where it was recorded", () => {
    const linked = viewSpans({
      api: [
        otlpSpan({
          spanId: spanId(1),
          kind: SERVER,
          attrs: { 'tracehop.remote_parent.policy': 'link' },
          links: [{ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' }],
        }),
      ],
    })
    const ignored = viewSpans({
      public: [
        otlpSpan({
          spanId: spanId(2),
          kind: SERVER,
          attrs: { 'tracehop.remote_parent.policy': 'ignore' },
        }),
      ],
    })
    expect(
      [...traceHints(linked), ...traceHints(ignored)].map((h) => [h.kind, h.spanId, h.message]),
    ).toEqual([
      [
        'remote-parent-policy',
        spanId(1),
        'tracehop did not continue the caller\'s trace (policy "link"): this request starts a new trace, linked to span 00f067aa… of trace 4bf92f35…',
      ],
      [
        'remote-parent-policy',
        spanId(2),
        'tracehop ignored the caller\'s trace context (policy "ignore"): this request starts a new trace with no link to its caller',
      ],
    ])
  })
})
