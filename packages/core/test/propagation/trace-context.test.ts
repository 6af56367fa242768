import {
  createTraceState,
  defaultTextMapGetter,
  defaultTextMapSetter,
  diag,
  propagation,
  ROOT_CONTEXT,
  trace,
  TraceFlags,
  type Context,
  type SpanContext,
  type TextMapGetter,
} from '@opentelemetry/api'
import { suppressTracing } from '@opentelemetry/core'
import { TracerProvider as BasicTracerProvider } from '@opentelemetry/sdk-trace'
import { parseTraceparent, TraceContextPropagator, W3CTraceState } from '../../src/index.js'

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const SPAN_ID = '00f067aa0ba902b7'
const OTHER_TRACE_ID = 'a'.repeat(32)

function inject(ctx: Context, propagator = new TraceContextPropagator()): Record<string, string> {
  const out: Record<string, string> = {}
  propagator.inject(ctx, out, defaultTextMapSetter)
  return out
}

function extract(carrier: unknown, propagator = new TraceContextPropagator()): Context {
  return propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter)
}

const remote: SpanContext = {
  traceId: TRACE_ID,
  spanId: SPAN_ID,
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
}

function withSpanContext(spanContext: SpanContext, ctx: Context = ROOT_CONTEXT): Context {
  return trace.setSpanContext(ctx, spanContext)
}

describe('parseTraceparent', () => {
  it.each([
    [`00-${TRACE_ID}-${SPAN_ID}-01`, TraceFlags.SAMPLED],
    [`00-${TRACE_ID}-${SPAN_ID}-00`, TraceFlags.NONE],
    [`00-${TRACE_ID}-${SPAN_ID}-03`, 3],
    [`00-${TRACE_ID}-${SPAN_ID}-ff`, 0xff],
    [` \t00-${TRACE_ID}-${SPAN_ID}-01\t `, TraceFlags.SAMPLED],
    [`01-${TRACE_ID}-${SPAN_ID}-09-anything`, 9],
    [`fe-${TRACE_ID}-${SPAN_ID}-01`, TraceFlags.SAMPLED],
  ])('reads %j', (value, traceFlags) => {
    expect(parseTraceparent(value)).toEqual({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceFlags,
      isRemote: true,
    })
  })

  it.each([
    '',
    ' ',
    '\t\t',
    'garbage',
    `00-${TRACE_ID}-${SPAN_ID}-0`,
    `00_${TRACE_ID}-${SPAN_ID}-01`,
    `00-${TRACE_ID}_${SPAN_ID}-01`,
    `00-${TRACE_ID}-${SPAN_ID}_01`,
    `00-${TRACE_ID}-${SPAN_ID}-01 x`,
    `00-${TRACE_ID}-${SPAN_ID}-01,00-${TRACE_ID}-${SPAN_ID}-01`,
    `00-${TRACE_ID}-${SPAN_ID}-01, 00-${TRACE_ID}-${SPAN_ID}-01`,
    `ff-${TRACE_ID}-${SPAN_ID}-01`,
    `Ff-${TRACE_ID}-${SPAN_ID}-01`,
    `cc-${TRACE_ID}-${SPAN_ID}-01x`,
    `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`,
    `00-${TRACE_ID}-${SPAN_ID.toUpperCase()}-01`,
    `00-${TRACE_ID}-${SPAN_ID}-0A`,
    `00-${'0'.repeat(32)}-${SPAN_ID}-01`,
    `00-${TRACE_ID}-${'0'.repeat(16)}-01`,
  ])('rejects %j', (value) => {
    expect(parseTraceparent(value)).toBeUndefined()
  })

  it('rejects values that are not strings', () => {
    expect(parseTraceparent(undefined as unknown as string)).toBeUndefined()
    expect(parseTraceparent(42 as unknown as string)).toBeUndefined()
  })
})

describe('TraceContextPropagator', () => {
  describe('constructor', () => {
    it('rejects a randomTraceIds option that is not a boolean', () => {
      expect(
        () => new TraceContextPropagator({ randomTraceIds: 'yes' as unknown as boolean }),
      ).toThrow(
        new TypeError('@tracehop/core: option "randomTraceIds" must be a boolean; received "yes"'),
      )
      expect(() => new TraceContextPropagator({ randomTraceIds: 1 as unknown as boolean })).toThrow(
        '@tracehop/core: option "randomTraceIds" must be a boolean; received 1',
      )
    })

    it('lists its fields', () => {
      expect(new TraceContextPropagator().fields()).toEqual(['traceparent', 'tracestate'])
    })
  })

  describe('extract', () => {
    it('reads a remote span context with its tracestate', () => {
      const ctx = extract({
        traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`,
        tracestate: 'foo=1,bar=2',
      })
      const spanContext = trace.getSpanContext(ctx)!
      expect(spanContext).toMatchObject({
        traceId: TRACE_ID,
        spanId: SPAN_ID,
        traceFlags: 1,
        isRemote: true,
      })
      expect(spanContext.traceState).toBeInstanceOf(W3CTraceState)
      expect(spanContext.traceState?.serialize()).toBe('foo=1,bar=2')
    })

    it('accepts any casing of the header names in a plain object', () => {
      const ctx = extract({
        'Content-Type': 'text/plain',
        TraceParent: `00-${TRACE_ID}-${SPAN_ID}-01`,
        TRACESTATE: 'foo=1',
      })
      expect(trace.getSpanContext(ctx)?.traceId).toBe(TRACE_ID)
      expect(trace.getSpanContext(ctx)?.traceState?.get('foo')).toBe('1')
    })

    it('reads a one-element array, and restarts on two values', () => {
      const value = `00-${TRACE_ID}-${SPAN_ID}-01`
      expect(trace.getSpanContext(extract({ traceparent: [value] }))?.traceId).toBe(TRACE_ID)
      expect(extract({ traceparent: [value, value] })).toBe(ROOT_CONTEXT)
      expect(extract({ traceparent: [] })).toBe(ROOT_CONTEXT)
    })

    it('combines tracestate arrays in order', () => {
      const ctx = extract({
        traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`,
        tracestate: ['foo=1', '', 'bar=2'],
      })
      expect(trace.getSpanContext(ctx)?.traceState?.serialize()).toBe('foo=1,bar=2')
    })

    it('leaves the trace state out when the header is invalid or empty', () => {
      for (const tracestate of ['FOO=1', '', ' , ']) {
        const ctx = extract({ traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`, tracestate })
        expect(trace.getSpanContext(ctx)?.traceId).toBe(TRACE_ID)
        expect(trace.getSpanContext(ctx)?.traceState).toBeUndefined()
      }
    })

    it.each([
      ['no carrier', undefined],
      ['a null carrier', null],
      ['a string carrier', 'traceparent'],
      ['a number value', { traceparent: 42 }],
      ['an object value', { traceparent: { toString: () => 'x' } }],
      ['an array of numbers', { traceparent: [1] }],
    ])('returns the context unchanged for %s', (_name, carrier) => {
      expect(extract(carrier)).toBe(ROOT_CONTEXT)
    })

    it('never throws when the getter throws, and says so through diag', () => {
      const debug = jest.spyOn(diag, 'debug').mockImplementation(() => undefined)
      const getter: TextMapGetter = {
        get: () => {
          throw new Error('boom')
        },
        keys: () => [],
      }
      try {
        expect(new TraceContextPropagator().extract(ROOT_CONTEXT, {}, getter)).toBe(ROOT_CONTEXT)
        expect(debug).toHaveBeenCalledWith(
          '@tracehop/core: traceparent extraction failed',
          expect.any(Error),
        )
      } finally {
        debug.mockRestore()
      }
    })

    it('builds on the context it is given', () => {
      const key = Symbol('test')
      const ctx = new TraceContextPropagator().extract(
        ROOT_CONTEXT.setValue(key, 'kept'),
        { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` },
        defaultTextMapGetter,
      )
      expect(ctx.getValue(key)).toBe('kept')
    })
  })

  describe('inject', () => {
    it('writes nothing without a span', () => {
      expect(inject(ROOT_CONTEXT)).toEqual({})
    })

    it('writes nothing when tracing is suppressed', () => {
      expect(inject(suppressTracing(withSpanContext(remote)))).toEqual({})
    })

    it.each([
      ['an all-zero trace id', { ...remote, traceId: '0'.repeat(32) }],
      ['an all-zero span id', { ...remote, spanId: '0'.repeat(16) }],
      ['an uppercase trace id', { ...remote, traceId: TRACE_ID.toUpperCase() }],
      ['a short span id', { ...remote, spanId: 'abc' }],
      ['a non-string trace id', { ...remote, traceId: 7 as unknown as string }],
    ])('writes nothing for %s', (_name, spanContext) => {
      expect(inject(withSpanContext(spanContext))).toEqual({})
    })

    it('writes only the known flag bits', () => {
      expect(inject(withSpanContext({ ...remote, traceFlags: 0xff })).traceparent).toBe(
        `00-${TRACE_ID}-${SPAN_ID}-03`,
      )
      expect(inject(withSpanContext({ ...remote, traceFlags: 0x80 })).traceparent).toBe(
        `00-${TRACE_ID}-${SPAN_ID}-00`,
      )
    })

    it('leaves out an empty tracestate', () => {
      const ctx = withSpanContext({ ...remote, traceState: W3CTraceState.from() })
      expect(inject(ctx)).toEqual({ traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` })
    })

    it('adds our own tracestate entry on the left', () => {
      const ctx = extract({
        traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`,
        tracestate: 'foo=1,bar=2',
      })
      const spanContext = trace.getSpanContext(ctx)!
      const ours = spanContext.traceState!.set('tracehop', 'abc')
      expect(inject(withSpanContext({ ...spanContext, traceState: ours }, ctx))).toEqual({
        traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`,
        tracestate: 'tracehop=abc,foo=1,bar=2',
      })
    })

    it('serializes a trace state made by the OTel API', () => {
      const ctx = withSpanContext({ ...remote, traceState: createTraceState('a=1,b=2') })
      expect(inject(ctx).tracestate).toBe('a=1,b=2')
    })
  })

  describe('random flag through the SDK', () => {
    const provider = new BasicTracerProvider()
    const tracer = provider.getTracer('random-flag')

    afterAll(() => provider.shutdown())

    function childHeaders(parent: Context, propagator: TraceContextPropagator): string {
      const span = tracer.startSpan('child', {}, parent)
      // The SDK never sets the random flag on the spans it creates.
      expect(span.spanContext().traceFlags & 0x02).toBe(0)
      const headers = inject(trace.setSpan(parent, span), propagator)
      span.end()
      return headers.traceparent!
    }

    it('puts the incoming random flag back on a child span of the same trace', () => {
      const propagator = new TraceContextPropagator()
      const ctx = extract({ traceparent: `00-${TRACE_ID}-${SPAN_ID}-03` }, propagator)
      expect(childHeaders(ctx, propagator)).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-03$`))
    })

    it('marks a new root started inside a remote context when ids are random', () => {
      const propagator = new TraceContextPropagator({ randomTraceIds: true })
      // A remote trace without the random flag, then a new root (trust policy "link"/"ignore").
      const ctx = extract({ traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` }, propagator)
      const root = tracer.startSpan('root', { root: true }, ctx)
      const headers = inject(trace.setSpan(ctx, root), propagator)
      root.end()
      expect(root.spanContext().traceId).not.toBe(TRACE_ID)
      expect(headers.traceparent).toMatch(/-03$/)
    })

    it('does not mark a new root when ids are not declared random', () => {
      const propagator = new TraceContextPropagator()
      const root = tracer.startSpan('root', { root: true })
      expect(childHeaders(trace.setSpan(ROOT_CONTEXT, root), propagator)).toMatch(/-01$/)
      root.end()
    })

    it('keeps the note across contexts derived from the extracted one', () => {
      const propagator = new TraceContextPropagator()
      const ctx = extract({ traceparent: `00-${TRACE_ID}-${SPAN_ID}-02` }, propagator)
      const derived = propagation.setBaggage(ctx, propagation.createBaggage({ a: { value: '1' } }))
      const header = childHeaders(derived, propagator)
      // Not sampled upstream: ParentBased keeps it unsampled, the random flag survives.
      expect(header).toMatch(/-02$/)
    })

    it('ignores a note about another trace', () => {
      const propagator = new TraceContextPropagator()
      const ctx = extract({ traceparent: `00-${OTHER_TRACE_ID}-${SPAN_ID}-03` }, propagator)
      const headers = inject(withSpanContext({ ...remote, traceFlags: 1 }, ctx), propagator)
      expect(headers.traceparent).toBe(`00-${TRACE_ID}-${SPAN_ID}-01`)
    })
  })
})

describe('custom getters', () => {
  const traceparent = `00-${TRACE_ID}-${SPAN_ID}-01`

  it('keeps the traceparent when keys() is missing or throws while tracestate is absent', () => {
    const get = (carrier: Record<string, string>, key: string): string | undefined => carrier[key]
    const getters = [
      { get, keys: undefined as unknown as () => string[] },
      {
        get,
        keys: (): string[] => {
          throw new Error('no keys')
        },
      },
      { get, keys: (() => 'not an array') as unknown as () => string[] },
      { get, keys: (() => [7, null, 'TRACESTATE']) as unknown as () => string[] },
    ]
    for (const getter of getters) {
      const ctx = new TraceContextPropagator().extract(ROOT_CONTEXT, { traceparent }, getter)
      expect(trace.getSpanContext(ctx)?.traceId).toBe(TRACE_ID)
    }
  })

  it('finds another casing through keys() of a Map-backed carrier', () => {
    const headers = new Map([['TraceParent', traceparent]])
    const getter: TextMapGetter<Map<string, string>> = {
      get: (carrier, key) => carrier.get(key),
      keys: (carrier) => [...carrier.keys()],
    }
    const ctx = new TraceContextPropagator().extract(ROOT_CONTEXT, headers, getter)
    expect(trace.getSpanContext(ctx)?.spanId).toBe(SPAN_ID)
  })
})
