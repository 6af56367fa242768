import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  trace,
  TraceFlags,
  type Context,
  type SpanContext,
} from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { suppressTracing } from '@opentelemetry/core'
import {
  TracerProvider as BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace'
import { JaegerPropagator } from '../../src/index.js'
import { OUTGOING_CALLS, startHarness } from './harness.js'

const TRACE_ID = 'd4cda95b652f4a1592b449d5929fda1b'
const SPAN_ID = '6e0c63257de34c92'

const jaeger = new JaegerPropagator()
const noBaggage = new JaegerPropagator({ baggage: false })

function extract(carrier: unknown, propagator = jaeger, ctx = ROOT_CONTEXT): Context {
  return propagator.extract(ctx, carrier, defaultTextMapGetter)
}

function inject(ctx: Context, propagator = jaeger): Record<string, string> {
  const out: Record<string, string> = {}
  propagator.inject(ctx, out, defaultTextMapSetter)
  return out
}

function remote(traceId: string, spanId: string, traceFlags: number): SpanContext {
  return { traceId, spanId, traceFlags, isRemote: true }
}

function baggageOf(ctx: Context): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, entry] of propagation.getBaggage(ctx)?.getAllEntries() ?? []) {
    out[key] = entry.value
  }
  return out
}

describe('JaegerPropagator', () => {
  it('lists its field and rejects a bad baggage option', () => {
    expect(jaeger.fields()).toEqual(['uber-trace-id'])
    expect(() => new JaegerPropagator({ baggage: 'yes' as unknown as boolean })).toThrow(
      new TypeError(
        `@tracehop/core: option "baggage" must be a boolean or 'received'; received "yes"`,
      ),
    )
  })

  describe('extract', () => {
    it.each([
      [`${TRACE_ID}:${SPAN_ID}:0:1`, remote(TRACE_ID, SPAN_ID, TraceFlags.SAMPLED)],
      [`${TRACE_ID}:${SPAN_ID}:0:0`, remote(TRACE_ID, SPAN_ID, TraceFlags.NONE)],
      [`${TRACE_ID}:${SPAN_ID}:0:01`, remote(TRACE_ID, SPAN_ID, TraceFlags.SAMPLED)],
      [`${TRACE_ID}:${SPAN_ID}:0:3`, remote(TRACE_ID, SPAN_ID, TraceFlags.SAMPLED)],
      [`${TRACE_ID}:${SPAN_ID}:0:2`, remote(TRACE_ID, SPAN_ID, TraceFlags.SAMPLED)],
      [`${TRACE_ID}:${SPAN_ID}:abc:1`, remote(TRACE_ID, SPAN_ID, TraceFlags.SAMPLED)],
      [`${TRACE_ID}%3A${SPAN_ID}%3A0%3A1`, remote(TRACE_ID, SPAN_ID, TraceFlags.SAMPLED)],
      [`${TRACE_ID}%3a${SPAN_ID}%3a0%3a1`, remote(TRACE_ID, SPAN_ID, TraceFlags.SAMPLED)],
      [` ${TRACE_ID}:${SPAN_ID}:0:1 `, remote(TRACE_ID, SPAN_ID, TraceFlags.SAMPLED)],
      ['abc:def:0:1', remote(`${'0'.repeat(29)}abc`, `${'0'.repeat(13)}def`, TraceFlags.SAMPLED)],
      [
        `${TRACE_ID.toUpperCase()}:${SPAN_ID.toUpperCase()}:0:1`,
        remote(TRACE_ID, SPAN_ID, TraceFlags.SAMPLED),
      ],
    ])('reads %j', (header, expected) => {
      expect(trace.getSpanContext(extract({ 'uber-trace-id': header }))).toEqual(expected)
    })

    it.each([
      '',
      `${TRACE_ID}:${SPAN_ID}:0`,
      `${TRACE_ID}:${SPAN_ID}:0:1:9`,
      `${TRACE_ID}0:${SPAN_ID}:0:1`,
      `${TRACE_ID}:${SPAN_ID}0:0:1`,
      `0:${SPAN_ID}:0:1`,
      `${TRACE_ID}:0:0:1`,
      `:${SPAN_ID}:0:1`,
      `${TRACE_ID}::0:1`,
      `xyz:${SPAN_ID}:0:1`,
      `${TRACE_ID}:${SPAN_ID}:0:`,
      `${TRACE_ID}:${SPAN_ID}:0:100`,
      `${TRACE_ID}:${SPAN_ID}:0:z`,
      `${TRACE_ID}%3A${SPAN_ID}%3A0%3A1%`,
      `${TRACE_ID}%3A${SPAN_ID}%3A0%3A%E0%A4%A`,
      `%${TRACE_ID}:${SPAN_ID}:0:1`,
    ])('ignores %j without throwing', (header) => {
      expect(extract({ 'uber-trace-id': header })).toBe(ROOT_CONTEXT)
    })

    it('reads uberctx- headers as baggage, any casing, never throwing on bad encoding', () => {
      const ctx = extract({
        'uber-trace-id': `${TRACE_ID}:${SPAN_ID}:0:1`,
        'uberctx-user': 'alice',
        'UberCtx-Mark': '%E2%9C%93',
        'uberctx-bad': '%zz',
        'uberctx-': 'no key',
        'uberctx-twice': ['a', 'b'],
        other: 'x',
      })
      expect(trace.getSpanContext(ctx)?.traceId).toBe(TRACE_ID)
      expect(baggageOf(ctx)).toEqual({ user: 'alice', mark: '\u2713', bad: '%zz' })
    })

    it('adds to the baggage already in the context, and reads baggage without a trace header', () => {
      const before = propagation.setBaggage(
        ROOT_CONTEXT,
        propagation.createBaggage({ existing: { value: '1' } }),
      )
      const ctx = extract({ 'uberctx-user': 'bob' }, jaeger, before)
      expect(trace.getSpanContext(ctx)).toBeUndefined()
      expect(baggageOf(ctx)).toEqual({ existing: '1', user: 'bob' })
    })

    it('leaves baggage alone with { baggage: false }, or when there is none', () => {
      expect(extract({ 'uberctx-user': 'alice' }, noBaggage)).toBe(ROOT_CONTEXT)
      expect(extract({ other: 'x' })).toBe(ROOT_CONTEXT)
      expect(extract(undefined)).toBe(ROOT_CONTEXT)
    })

    it('skips carrier keys that are not strings', () => {
      const getter = {
        get: (carrier: Record<string, string>, key: string) => carrier[key],
        keys: () => [5, 'uberctx-user'] as unknown as string[],
      }
      const ctx = jaeger.extract(ROOT_CONTEXT, { 'uberctx-user': 'carol' }, getter)
      expect(baggageOf(ctx)).toEqual({ user: 'carol' })
    })

    it('never throws when the getter throws', () => {
      const getter = {
        get: () => {
          throw new Error('boom')
        },
        keys: () => ['uberctx-a'],
      }
      expect(jaeger.extract(ROOT_CONTEXT, {}, getter)).toBe(ROOT_CONTEXT)
    })
  })

  describe('inject', () => {
    const sampled = trace.setSpanContext(ROOT_CONTEXT, remote(TRACE_ID, SPAN_ID, 1))

    it('writes uber-trace-id with the sampling and debug flags', () => {
      expect(inject(sampled)).toEqual({ 'uber-trace-id': `${TRACE_ID}:${SPAN_ID}:0:1` })
      const unsampled = trace.setSpanContext(ROOT_CONTEXT, remote(TRACE_ID, SPAN_ID, 0))
      expect(inject(unsampled)).toEqual({ 'uber-trace-id': `${TRACE_ID}:${SPAN_ID}:0:0` })
      const debug = extract({ 'uber-trace-id': `${TRACE_ID}:${SPAN_ID}:0:3` })
      expect(inject(debug)).toEqual({ 'uber-trace-id': `${TRACE_ID}:${SPAN_ID}:0:3` })
    })

    it('does not pass debug on to another trace started in the same context', () => {
      const debug = extract({ 'uber-trace-id': `${TRACE_ID}:${SPAN_ID}:0:3` })
      const other = trace.setSpanContext(debug, remote('c'.repeat(32), SPAN_ID, 1))
      expect(inject(other)).toEqual({ 'uber-trace-id': `${'c'.repeat(32)}:${SPAN_ID}:0:1` })
    })

    it('writes baggage as encoded uberctx- headers unless turned off', () => {
      const ctx = propagation.setBaggage(
        sampled,
        propagation.createBaggage({
          user: { value: 'alice smith' },
          'bad key': { value: 'x' },
          num: { value: 1 as unknown as string },
        }),
      )
      expect(inject(ctx)).toEqual({
        'uber-trace-id': `${TRACE_ID}:${SPAN_ID}:0:1`,
        'uberctx-user': 'alice%20smith',
      })
      expect(inject(ctx, noBaggage)).toEqual({ 'uber-trace-id': `${TRACE_ID}:${SPAN_ID}:0:1` })
    })

    it('writes nothing when suppressed or without a valid span', () => {
      expect(inject(suppressTracing(sampled))).toEqual({})
      expect(inject(ROOT_CONTEXT)).toEqual({})
      const invalid = trace.setSpanContext(ROOT_CONTEXT, remote('0'.repeat(32), SPAN_ID, 1))
      expect(inject(invalid)).toEqual({})
    })
  })

  describe('end to end', () => {
    const exporter = new InMemorySpanExporter()
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
    })
    let harness: Awaited<ReturnType<typeof startHarness>>

    beforeAll(async () => {
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
      harness = await startHarness(jaeger, provider)
    })

    afterAll(async () => {
      await harness.close()
      await provider.shutdown()
      context.disable()
      trace.disable()
      propagation.disable()
    })

    it.each([
      ['plain colons', `${TRACE_ID}:${SPAN_ID}:0:1`],
      ['%3A colons', `${TRACE_ID}%3A${SPAN_ID}%3A0%3A1`],
    ])('continues a trace sent with %s and a new span id per call', async (_name, header) => {
      const result = await harness.send([
        ['Uber-Trace-Id', header],
        ['uberctx-tenant', 'acme'],
      ])
      expect(result.status).toBe(200)
      expect(result.serverParent).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID })
      expect(result.calls).toHaveLength(OUTGOING_CALLS)
      const spanIds = result.calls.map((call) => {
        const [traceId, spanId, parent, flags] = call.values('uber-trace-id')[0]!.split(':')
        expect([traceId, parent, flags]).toEqual([TRACE_ID, '0', '1'])
        expect(spanId).not.toBe(SPAN_ID)
        expect(call.values('uberctx-tenant')).toEqual(['acme'])
        return spanId
      })
      expect(new Set(spanIds).size).toBe(OUTGOING_CALLS)
      expect(spanIds).toEqual(result.clientSpans.map((span) => span.spanId))
    })

    it('answers normally and starts a new trace on a badly encoded header', async () => {
      const result = await harness.send([['uber-trace-id', '%E0%A4%A:%:%:%']])
      expect(result.status).toBe(200)
      expect(result.serverParent).toBeUndefined()
      expect(result.calls).toHaveLength(OUTGOING_CALLS)
    })
  })
})
