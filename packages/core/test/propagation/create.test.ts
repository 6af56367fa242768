import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  diag,
  propagation,
  ROOT_CONTEXT,
  trace,
  type Context,
  type TextMapPropagator,
} from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  TracerProvider as BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace'
import {
  B3Propagator,
  CompositePropagator,
  createPropagator,
  defaultPropagator,
  JaegerPropagator,
  TraceContextPropagator,
  W3CBaggagePropagator,
} from '../../src/index.js'
import { OUTGOING_CALLS, splitTraceparent, startHarness } from './harness.js'

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const SPAN_ID = '00f067aa0ba902b7'
const EXPECTED = 'tracecontext, baggage, b3, b3multi, jaeger, none'

function roundTrip(
  propagator: TextMapPropagator,
  carrier: Record<string, string>,
): Record<string, string> {
  const ctx = propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter)
  const out: Record<string, string> = {}
  propagator.inject(ctx, out, defaultTextMapSetter)
  return out
}

describe('createPropagator', () => {
  it.each([
    ['tracecontext', TraceContextPropagator],
    ['baggage', W3CBaggagePropagator],
    ['b3', B3Propagator],
    ['b3multi', B3Propagator],
    ['jaeger', JaegerPropagator],
    [' TraceContext ', TraceContextPropagator],
    [['jaeger'], JaegerPropagator],
  ] as const)('builds %j alone', (names, type) => {
    expect(createPropagator(names)).toBeInstanceOf(type)
  })

  it('distinguishes b3 (single header) from b3multi', () => {
    expect(createPropagator('b3').fields()).toEqual(['b3'])
    expect(createPropagator('b3multi').fields()).toContain('x-b3-traceid')
  })

  it('combines several names in order, without repeats', () => {
    const propagator = createPropagator('tracecontext,baggage,b3,tracecontext')
    expect(propagator).toBeInstanceOf(CompositePropagator)
    expect(propagator.fields()).toEqual(['traceparent', 'tracestate', 'baggage', 'b3'])
    expect(createPropagator(['b3multi', 'jaeger']).fields()).toEqual([
      'x-b3-traceid',
      'x-b3-spanid',
      'x-b3-sampled',
      'x-b3-flags',
      'uber-trace-id',
    ])
  })

  it('gives the default for an empty list', () => {
    for (const names of ['', ' , ', []]) {
      expect(createPropagator(names).fields()).toEqual(['traceparent', 'tracestate', 'baggage'])
    }
  })

  it('gives a propagator that does nothing for "none"', () => {
    const none = createPropagator('none')
    expect(none.fields()).toEqual([])
    expect(roundTrip(none, { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` })).toEqual({})
  })

  it('ignores "none" beside other names, with a warning', () => {
    const warn = jest.spyOn(diag, 'warn').mockImplementation(() => undefined)
    try {
      expect(createPropagator('none,b3')).toBeInstanceOf(B3Propagator)
      expect(warn).toHaveBeenCalledWith(
        '@tracehop/core: propagator "none" is ignored beside other propagators',
      )
    } finally {
      warn.mockRestore()
    }
  })

  it('passes randomTraceIds to the trace-context propagator', () => {
    const propagator = createPropagator('tracecontext', { randomTraceIds: true })
    const provider = new BasicTracerProvider()
    const span = provider.getTracer('t').startSpan('root')
    const out: Record<string, string> = {}
    propagator.inject(trace.setSpan(ROOT_CONTEXT, span), out, defaultTextMapSetter)
    span.end()
    expect(out.traceparent).toMatch(/-03$/)
  })

  it.each([
    ['xray', '@tracehop/core: unknown propagator "xray"; expected one of ' + EXPECTED],
    ['tracecontext, w3c', '@tracehop/core: unknown propagator "w3c"; expected one of ' + EXPECTED],
    [['b3', 7], '@tracehop/core: unknown propagator 7; expected one of ' + EXPECTED],
    [5, '@tracehop/core: propagator names must be a string or an array of strings; received 5'],
    [
      null,
      '@tracehop/core: propagator names must be a string or an array of strings; received null',
    ],
    [
      { b3: true },
      '@tracehop/core: propagator names must be a string or an array of strings; received an object',
    ],
  ])('throws a TypeError for %j', (names, message) => {
    expect(() => createPropagator(names as string)).toThrow(new TypeError(message))
  })

  it('rejects a bad randomTraceIds option', () => {
    expect(() => createPropagator('tracecontext', { randomTraceIds: () => true } as never)).toThrow(
      '@tracehop/core: option "randomTraceIds" must be a boolean; received a function',
    )
    expect(() => defaultPropagator({ randomTraceIds: [] } as never)).toThrow(
      '@tracehop/core: option "randomTraceIds" must be a boolean; received an array',
    )
  })
})

describe('CompositePropagator', () => {
  const throwing: TextMapPropagator = {
    inject() {
      throw new Error('inject failed')
    },
    extract() {
      throw new Error('extract failed')
    },
    fields: () => ['x-broken'],
  }

  it('reports a failing propagator through diag and runs the others', () => {
    const warn = jest.spyOn(diag, 'warn').mockImplementation(() => undefined)
    try {
      const composite = new CompositePropagator([throwing, new TraceContextPropagator()])
      expect(composite.fields()).toEqual(['x-broken', 'traceparent', 'tracestate'])
      expect(roundTrip(composite, { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` })).toEqual({
        traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`,
      })
      expect(warn).toHaveBeenCalledWith(
        '@tracehop/core: a propagator failed to extract',
        expect.any(Error),
      )
      expect(warn).toHaveBeenCalledWith(
        '@tracehop/core: a propagator failed to inject',
        expect.any(Error),
      )
    } finally {
      warn.mockRestore()
    }
  })

  it('returns a copy of its fields', () => {
    const composite = new CompositePropagator([new W3CBaggagePropagator()])
    composite.fields().push('mutated')
    expect(composite.fields()).toEqual(['baggage'])
  })

  it('lets the later propagator win the span context', () => {
    const b3Trace = 'b'.repeat(32)
    const ctx: Context = new CompositePropagator([
      new TraceContextPropagator(),
      new B3Propagator(),
    ]).extract(
      ROOT_CONTEXT,
      { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`, b3: `${b3Trace}-${SPAN_ID}-1` },
      defaultTextMapGetter,
    )
    expect(trace.getSpanContext(ctx)?.traceId).toBe(b3Trace)
  })
})

describe('defaultPropagator end to end', () => {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  })
  let w3c: Awaited<ReturnType<typeof startHarness>>
  let mixed: Awaited<ReturnType<typeof startHarness>>

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
    w3c = await startHarness(defaultPropagator({ randomTraceIds: true }), provider)
    mixed = await startHarness(
      createPropagator('tracecontext,baggage,b3', { randomTraceIds: true }),
      provider,
    )
  })

  afterAll(async () => {
    await w3c.close()
    await mixed.close()
    await provider.shutdown()
    context.disable()
    trace.disable()
    propagation.disable()
  })

  it('passes trace context and baggage to every outgoing call', async () => {
    const result = await w3c.send([
      ['traceparent', `00-${TRACE_ID}-${SPAN_ID}-01`],
      ['tracestate', 'congo=t61rcWkgMzE'],
      ['baggage', 'user=alice;pii'],
      ['Baggage', 'tenant=acme%20corp'],
    ])
    expect(result.calls).toHaveLength(OUTGOING_CALLS)
    for (const call of result.calls) {
      expect(splitTraceparent(call.values('traceparent')[0]!)).toMatchObject({
        traceId: TRACE_ID,
        flags: '01',
      })
      expect(call.values('tracestate')).toEqual(['congo=t61rcWkgMzE'])
      expect(call.values('baggage')).toEqual(['user=alice;pii,tenant=acme%20corp'])
    }
  })

  it('does not mark a trace continued from B3 as random', async () => {
    const result = await mixed.send([['b3', `${TRACE_ID}-${SPAN_ID}-1`]])
    for (const call of result.calls) {
      expect(splitTraceparent(call.values('traceparent')[0]!)).toMatchObject({
        traceId: TRACE_ID,
        flags: '01',
      })
      expect(call.values('b3')[0]).toMatch(new RegExp(`^${TRACE_ID}-[0-9a-f]{16}-1$`))
    }
  })

  it('keeps the random flag when traceparent and B3 carry the same trace', async () => {
    const result = await mixed.send([
      ['traceparent', `00-${TRACE_ID}-${SPAN_ID}-03`],
      ['b3', `${TRACE_ID}-${SPAN_ID}-1`],
    ])
    for (const call of result.calls) {
      expect(splitTraceparent(call.values('traceparent')[0]!).flags).toBe('03')
    }
  })

  it('marks a trace started here as random', async () => {
    const result = await mixed.send([])
    for (const call of result.calls) {
      expect(splitTraceparent(call.values('traceparent')[0]!).flags).toBe('03')
    }
  })
})
