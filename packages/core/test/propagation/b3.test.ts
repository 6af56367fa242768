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
import { B3Propagator } from '../../src/index.js'
import { OUTGOING_CALLS, startHarness } from './harness.js'

const TRACE_ID = '80f198ee56343ba864fe8b2a57d3eff7'
const TRACE_ID_64 = 'e457b5a2e4d86bd1'
const SPAN_ID = 'e457b5a2e4d86bd1'
const PARENT_ID = '05e3ac9a4f6e3b90'

const single = new B3Propagator()
const multi = new B3Propagator({ inject: 'multi' })

function extract(carrier: unknown, propagator = single): Context {
  return propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter)
}

function inject(ctx: Context, propagator = single): Record<string, string> {
  const out: Record<string, string> = {}
  propagator.inject(ctx, out, defaultTextMapSetter)
  return out
}

function remote(traceId: string, traceFlags: number): Partial<SpanContext> {
  return { traceId, spanId: SPAN_ID, traceFlags, isRemote: true }
}

describe('B3Propagator', () => {
  describe('options', () => {
    it('injects a single header by default and lists its fields', () => {
      expect(single.fields()).toEqual(['b3'])
      expect(multi.fields()).toEqual(['x-b3-traceid', 'x-b3-spanid', 'x-b3-sampled', 'x-b3-flags'])
    })

    it('rejects an unknown inject option', () => {
      expect(() => new B3Propagator({ inject: 'both' as 'single' })).toThrow(
        new TypeError(
          `@tracehop/core: option "inject" must be 'single' or 'multi'; received "both"`,
        ),
      )
    })
  })

  describe('extract, single header', () => {
    it.each([
      [`${TRACE_ID}-${SPAN_ID}`, remote(TRACE_ID, TraceFlags.NONE)],
      [`${TRACE_ID}-${SPAN_ID}-1`, remote(TRACE_ID, TraceFlags.SAMPLED)],
      [`${TRACE_ID}-${SPAN_ID}-0`, remote(TRACE_ID, TraceFlags.NONE)],
      [`${TRACE_ID}-${SPAN_ID}-d`, remote(TRACE_ID, TraceFlags.SAMPLED)],
      [`${TRACE_ID}-${SPAN_ID}-1-${PARENT_ID}`, remote(TRACE_ID, TraceFlags.SAMPLED)],
      [`${TRACE_ID_64}-${SPAN_ID}-1`, remote(`0000000000000000${TRACE_ID_64}`, TraceFlags.SAMPLED)],
      [`${TRACE_ID.toUpperCase()}-${SPAN_ID}-1`, remote(TRACE_ID, TraceFlags.SAMPLED)],
      [` ${TRACE_ID}-${SPAN_ID}-1 `, remote(TRACE_ID, TraceFlags.SAMPLED)],
    ])('reads %j', (header, expected) => {
      expect(trace.getSpanContext(extract({ b3: header }))).toEqual(expected)
    })

    it.each([
      '',
      '0',
      '1',
      'd',
      `${TRACE_ID}`,
      `${TRACE_ID}-${SPAN_ID}-x`,
      `${TRACE_ID}-${SPAN_ID}-true`,
      `${TRACE_ID}-${SPAN_ID}-1-zz`,
      `${TRACE_ID}-${SPAN_ID}-1-${PARENT_ID}-extra`,
      `${TRACE_ID.slice(1)}-${SPAN_ID}-1`,
      `${TRACE_ID}0-${SPAN_ID}-1`,
      `${'0'.repeat(32)}-${SPAN_ID}-1`,
      `${'0'.repeat(16)}-${SPAN_ID}-1`,
      `${TRACE_ID}-${'0'.repeat(16)}-1`,
      `${TRACE_ID}-${SPAN_ID.slice(1)}-1`,
      `${TRACE_ID}-g457b5a2e4d86bd1-1`,
    ])('ignores %j', (header) => {
      expect(extract({ b3: header })).toBe(ROOT_CONTEXT)
    })

    it('marks debug so it is passed on', () => {
      const ctx = extract({ b3: `${TRACE_ID}-${SPAN_ID}-d` })
      expect(inject(ctx)).toEqual({ b3: `${TRACE_ID}-${SPAN_ID}-d` })
      expect(inject(ctx, multi)).toEqual({
        'x-b3-traceid': TRACE_ID,
        'x-b3-spanid': SPAN_ID,
        'x-b3-flags': '1',
      })
    })
  })

  it('does not pass debug on to another trace started in the same context', () => {
    const ctx = extract({ b3: `${TRACE_ID}-${SPAN_ID}-d` })
    const otherTrace = trace.setSpanContext(ctx, remote('c'.repeat(32), 1) as SpanContext)
    expect(inject(otherTrace)).toEqual({ b3: `${'c'.repeat(32)}-${SPAN_ID}-1` })
  })

  describe('extract, multiple headers', () => {
    const ids = { 'x-b3-traceid': TRACE_ID, 'x-b3-spanid': SPAN_ID }

    it.each([
      [{ ...ids, 'x-b3-sampled': '1' }, TraceFlags.SAMPLED],
      [{ ...ids, 'x-b3-sampled': 'true' }, TraceFlags.SAMPLED],
      [{ ...ids, 'x-b3-sampled': '0' }, TraceFlags.NONE],
      [{ ...ids, 'x-b3-sampled': 'false' }, TraceFlags.NONE],
      [{ ...ids, 'x-b3-sampled': 'maybe' }, TraceFlags.NONE],
      [ids, TraceFlags.NONE],
      [{ ...ids, 'x-b3-flags': '1' }, TraceFlags.SAMPLED],
      [{ ...ids, 'x-b3-flags': '1', 'x-b3-sampled': '0' }, TraceFlags.SAMPLED],
      [{ ...ids, 'x-b3-parentspanid': PARENT_ID, 'x-b3-sampled': '1' }, TraceFlags.SAMPLED],
      [
        { 'X-B3-TraceId': TRACE_ID, 'X-B3-SpanId': SPAN_ID, 'X-B3-Sampled': '1' },
        TraceFlags.SAMPLED,
      ],
    ])('reads %j', (carrier, traceFlags) => {
      expect(trace.getSpanContext(extract(carrier))).toEqual(remote(TRACE_ID, traceFlags))
    })

    it('pads a 64-bit trace id', () => {
      const ctx = extract({ 'x-b3-traceid': TRACE_ID_64, 'x-b3-spanid': SPAN_ID })
      expect(trace.getSpanContext(ctx)?.traceId).toBe(`0000000000000000${TRACE_ID_64}`)
    })

    it.each([
      [{ 'x-b3-traceid': TRACE_ID }],
      [{ 'x-b3-spanid': SPAN_ID }],
      [{ 'x-b3-traceid': 'nothex', 'x-b3-spanid': SPAN_ID }],
      [{ 'x-b3-traceid': TRACE_ID, 'x-b3-spanid': '0'.repeat(16) }],
      [{ 'x-b3-traceid': [TRACE_ID, TRACE_ID], 'x-b3-spanid': SPAN_ID }],
    ])('ignores %j', (carrier) => {
      expect(extract(carrier)).toBe(ROOT_CONTEXT)
    })

    it('lets a valid single header win over the multi headers', () => {
      const other = 'a'.repeat(32)
      const ctx = extract({
        b3: `${TRACE_ID}-${SPAN_ID}-1`,
        'x-b3-traceid': other,
        'x-b3-spanid': SPAN_ID,
      })
      expect(trace.getSpanContext(ctx)?.traceId).toBe(TRACE_ID)
    })

    it('falls back to the multi headers when the single header is invalid', () => {
      const ctx = extract({ b3: 'garbage', ...ids, 'x-b3-sampled': '1' })
      expect(trace.getSpanContext(ctx)).toEqual(remote(TRACE_ID, TraceFlags.SAMPLED))
    })

    it('never throws when the getter throws', () => {
      const getter = {
        get: () => {
          throw new Error('boom')
        },
        keys: () => [],
      }
      expect(single.extract(ROOT_CONTEXT, {}, getter)).toBe(ROOT_CONTEXT)
    })
  })

  describe('inject', () => {
    const sampled = trace.setSpanContext(ROOT_CONTEXT, remote(TRACE_ID, 1) as SpanContext)
    const unsampled = trace.setSpanContext(ROOT_CONTEXT, remote(TRACE_ID, 0) as SpanContext)

    it('writes the single header', () => {
      expect(inject(sampled)).toEqual({ b3: `${TRACE_ID}-${SPAN_ID}-1` })
      expect(inject(unsampled)).toEqual({ b3: `${TRACE_ID}-${SPAN_ID}-0` })
    })

    it('writes the multi headers', () => {
      expect(inject(sampled, multi)).toEqual({
        'x-b3-traceid': TRACE_ID,
        'x-b3-spanid': SPAN_ID,
        'x-b3-sampled': '1',
      })
      expect(inject(unsampled, multi)['x-b3-sampled']).toBe('0')
    })

    it('writes nothing without a valid span or when suppressed', () => {
      expect(inject(ROOT_CONTEXT)).toEqual({})
      expect(inject(suppressTracing(sampled))).toEqual({})
      const invalid = trace.setSpanContext(ROOT_CONTEXT, {
        ...(remote(TRACE_ID, 1) as SpanContext),
        spanId: 'short',
      })
      expect(inject(invalid, multi)).toEqual({})
    })
  })

  describe('end to end', () => {
    const exporter = new InMemorySpanExporter()
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
    })
    let singleHarness: Awaited<ReturnType<typeof startHarness>>
    let multiHarness: Awaited<ReturnType<typeof startHarness>>

    beforeAll(async () => {
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
      singleHarness = await startHarness(single, provider)
      multiHarness = await startHarness(multi, provider)
    })

    afterAll(async () => {
      await singleHarness.close()
      await multiHarness.close()
      await provider.shutdown()
      context.disable()
      trace.disable()
      propagation.disable()
    })

    it.each([
      ['single', [['b3', `${TRACE_ID}-${SPAN_ID}-1-${PARENT_ID}`]], TRACE_ID, '1'],
      ['single, debug', [['B3', `${TRACE_ID}-${SPAN_ID}-d`]], TRACE_ID, 'd'],
      [
        'single, 64-bit',
        [['b3', `${TRACE_ID_64}-${SPAN_ID}-1`]],
        `0000000000000000${TRACE_ID_64}`,
        '1',
      ],
      [
        'multi',
        [
          ['X-B3-TraceId', TRACE_ID],
          ['X-B3-SpanId', SPAN_ID],
          ['X-B3-ParentSpanId', PARENT_ID],
          ['X-B3-Sampled', '1'],
        ],
        TRACE_ID,
        '1',
      ],
      [
        'multi, not sampled',
        [
          ['X-B3-TraceId', TRACE_ID],
          ['X-B3-SpanId', SPAN_ID],
          ['X-B3-Sampled', 'false'],
        ],
        TRACE_ID,
        '0',
      ],
    ] as const)(
      'continues %s and never reuses the incoming span id',
      async (_n, headers, traceId, state) => {
        const result = await singleHarness.send(headers)
        expect(result.status).toBe(200)
        expect(result.serverParent).toMatchObject({ traceId, spanId: SPAN_ID })
        expect(result.calls).toHaveLength(OUTGOING_CALLS)
        const spanIds = result.calls.map((call) => {
          const lines = call.values('b3')
          expect(lines).toHaveLength(1)
          const [sentTrace, sentSpan, sentState, ...rest] = lines[0]!.split('-')
          expect(rest).toEqual([])
          expect(sentTrace).toBe(traceId)
          expect(sentState).toBe(state)
          expect(sentSpan).toMatch(/^[0-9a-f]{16}$/)
          expect(sentSpan).not.toBe(SPAN_ID)
          expect(call.values('traceparent')).toEqual([])
          return sentSpan
        })
        expect(new Set(spanIds).size).toBe(OUTGOING_CALLS)
        expect(spanIds).toEqual(result.clientSpans.map((span) => span.spanId))
      },
    )

    it('sends the multi headers when asked to', async () => {
      const result = await multiHarness.send([['b3', `${TRACE_ID}-${SPAN_ID}-1`]])
      const spanIds = result.calls.map((call) => {
        expect(call.values('b3')).toEqual([])
        expect(call.values('x-b3-traceid')).toEqual([TRACE_ID])
        expect(call.values('x-b3-sampled')).toEqual(['1'])
        expect(call.values('x-b3-flags')).toEqual([])
        return call.values('x-b3-spanid')[0]
      })
      expect(new Set(spanIds).size).toBe(OUTGOING_CALLS)
      expect(spanIds).not.toContain(SPAN_ID)
    })

    it('starts a new trace when no B3 header arrives', async () => {
      const result = await singleHarness.send([])
      expect(result.serverParent).toBeUndefined()
      const traceIds = result.calls.map((call) => call.values('b3')[0]!.split('-')[0])
      expect(new Set(traceIds).size).toBe(1)
      expect(traceIds[0]).toBe(result.serverSpan?.traceId)
    })
  })
})
