import { runApp } from './helpers/app.js'

// OTEL_PROPAGATORS: what the downstream service receives on the app's outgoing fetch and
// http.get (the app puts `demo.user=ada` in baggage). Nothing is exported here.
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-03$/

const cases: [string, (headers: Record<string, string | undefined>) => void][] = [
  [
    'tracecontext',
    (h) => {
      expect(h.traceparent).toMatch(TRACEPARENT)
      expect(h.baggage).toBeUndefined()
    },
  ],
  [
    'baggage',
    (h) => {
      expect(h.baggage).toBe('demo.user=ada')
      expect(h.traceparent).toBeUndefined()
    },
  ],
  [
    'b3',
    (h) => {
      expect(h.b3).toMatch(/^[0-9a-f]{32}-[0-9a-f]{16}-1$/)
      expect(h['x-b3-traceid']).toBeUndefined()
      expect(h.traceparent).toBeUndefined()
    },
  ],
  [
    'b3multi',
    (h) => {
      expect(h['x-b3-traceid']).toMatch(/^[0-9a-f]{32}$/)
      expect(h['x-b3-spanid']).toMatch(/^[0-9a-f]{16}$/)
      expect(h['x-b3-sampled']).toBe('1')
      expect(h.b3).toBeUndefined()
    },
  ],
  [
    'jaeger',
    (h) => {
      expect(h['uber-trace-id']).toMatch(/^[0-9a-f]{32}:[0-9a-f]{16}:0:1$/)
      expect(h['uberctx-demo.user']).toBe('ada')
      expect(h.traceparent).toBeUndefined()
    },
  ],
  [
    'none',
    (h) => {
      for (const name of ['traceparent', 'baggage', 'b3', 'x-b3-traceid', 'uber-trace-id']) {
        expect(h[name]).toBeUndefined()
      }
    },
  ],
]

describe('OTEL_PROPAGATORS', () => {
  it.each(cases)('%s', async (name, check) => {
    const { report } = await runApp({ OTEL_PROPAGATORS: name, OTEL_TRACES_EXPORTER: 'none' })
    expect(report.received).toHaveLength(2) // fetch and http.get
    for (const headers of report.received) check(headers)
  })

  it('combines names in order', async () => {
    const { report } = await runApp({
      OTEL_PROPAGATORS: 'tracecontext,baggage,b3',
      OTEL_TRACES_EXPORTER: 'none',
    })
    for (const headers of report.received) {
      const [, traceId, spanId] = TRACEPARENT.exec(headers.traceparent!)!
      expect(headers.b3).toBe(`${traceId}-${spanId}-1`)
      expect(headers.baggage).toBe('demo.user=ada')
    }
  })

  it('defaults to tracecontext and baggage', async () => {
    const { report } = await runApp({ OTEL_TRACES_EXPORTER: 'none' })
    for (const headers of report.received) {
      expect(headers.traceparent).toMatch(TRACEPARENT)
      expect(headers.baggage).toBe('demo.user=ada')
      expect(headers.b3).toBeUndefined()
    }
  })

  it('loses to the propagators option', async () => {
    const { report } = await runApp(
      { OTEL_PROPAGATORS: 'b3', OTEL_TRACES_EXPORTER: 'none' },
      { propagators: ['jaeger'] },
    )
    for (const headers of report.received) {
      expect(headers['uber-trace-id']).toBeDefined()
      expect(headers.b3).toBeUndefined()
    }
  })

  it('ignores an unknown name with a warning and keeps the others', async () => {
    const { report } = await runApp({
      OTEL_PROPAGATORS: 'xray,b3',
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_SERVICE_NAME: 's',
    })
    expect(report.warnings).toEqual([
      '@tracehop/node: OTEL_PROPAGATORS value "xray" is not supported (tracecontext, baggage, b3, b3multi, jaeger, none); ignored',
    ])
    for (const headers of report.received) {
      expect(headers.b3).toBeDefined()
      expect(headers.traceparent).toBeUndefined()
    }
  })
})
