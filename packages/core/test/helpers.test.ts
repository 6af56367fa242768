import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
} from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import {
  activeSpan,
  extractContext,
  injectHeaders,
  logFields,
  traceId,
  JaegerPropagator,
  withSpan,
  type WithSpanOptions,
} from '../src/index.js'
import { REQUEST_ATTRIBUTES_KEY } from '../src/request-trace.js'
import { setupTracing } from './support/tracing.js'

const PARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'

describe('helpers', () => {
  let tracing: ReturnType<typeof setupTracing>
  beforeEach(() => {
    tracing = setupTracing()
    trace.setGlobalTracerProvider(tracing.provider)
  })
  afterEach(async () => {
    await tracing.teardown()
  })

  describe('withSpan', () => {
    it('runs a sync fn in a child span, passes the span, returns the result and ends it', () => {
      const result = withSpan('outer', (outer) =>
        withSpan('inner', { attributes: { a: 1 } }, (inner) => {
          expect(activeSpan()).toBe(inner)
          expect(inner).not.toBe(outer)
          return 42
        }),
      )
      expect(result).toBe(42)
      const spans = tracing.exporter.getFinishedSpans()
      const inner = spans.find((s) => s.name === 'inner')
      const outer = spans.find((s) => s.name === 'outer')
      expect(inner?.parentSpanContext?.spanId).toBe(outer?.spanContext().spanId)
      expect(inner?.attributes.a).toBe(1)
      expect(inner?.kind).toBe(SpanKind.INTERNAL)
      expect(inner?.status.code).toBe(SpanStatusCode.UNSET)
    })

    it('records a sync throw as ERROR with the exception, ends the span and rethrows', () => {
      class InventoryError extends Error {}
      expect(() =>
        withSpan('fails', () => {
          throw new InventoryError('out of stock')
        }),
      ).toThrow('out of stock')
      const [span] = tracing.exporter.getFinishedSpans()
      expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'out of stock' })
      expect(span?.attributes['error.type']).toBe('InventoryError')
      expect(span?.events[0]?.name).toBe('exception')
      expect(span?.events[0]?.attributes?.['exception.message']).toBe('out of stock')
    })

    it('names an abort by the DOMException name, not its shared class', async () => {
      const controller = new AbortController()
      controller.abort()
      await expect(
        withSpan('aborted', async () => {
          controller.signal.throwIfAborted()
        }),
      ).rejects.toThrow()
      const timeout = AbortSignal.timeout(1)
      await new Promise((resolve) => setTimeout(resolve, 20))
      await expect(
        withSpan('timed out', async () => {
          timeout.throwIfAborted()
        }),
      ).rejects.toThrow()
      const types = tracing.exporter.getFinishedSpans().map((span) => span.attributes['error.type'])
      expect(types).toEqual(['AbortError', 'TimeoutError'])
    })

    it('waits for an async fn and ends the span after it settles', async () => {
      let endedEarly = true
      const value = await withSpan('async', async (span) => {
        await new Promise((resolve) => setTimeout(resolve, 20))
        endedEarly = tracing.exporter.getFinishedSpans().length > 0
        expect(activeSpan()).toBe(span)
        return 'done'
      })
      expect(value).toBe('done')
      expect(endedEarly).toBe(false)
      expect(tracing.exporter.getFinishedSpans()).toHaveLength(1)
    })

    it('records an async rejection, even of a non-Error value', async () => {
      await expect(
        withSpan('rejects', async () => {
          await Promise.resolve()
          throw 'plain string'
        }),
      ).rejects.toBe('plain string')
      const [span] = tracing.exporter.getFinishedSpans()
      expect(span?.status.code).toBe(SpanStatusCode.ERROR)
      expect(span?.attributes['error.type']).toBe('_OTHER')
      expect(span?.events[0]?.attributes?.['exception.message']).toBe('plain string')
    })

    it('uses an explicit parent context, tracer provider and carries request attributes', () => {
      const parentCtx = propagation.extract(
        ROOT_CONTEXT,
        { traceparent: PARENT },
        {
          get: (c: Record<string, string>, k) => c[k],
          keys: (c) => Object.keys(c),
        },
      )
      const withAttrs = parentCtx.setValue(REQUEST_ATTRIBUTES_KEY, {
        'enduser.id': 'u1',
        a: 'request',
      })
      withSpan(
        'explicit',
        { context: withAttrs, tracerProvider: tracing.provider, attributes: { a: 'own' } },
        () => undefined,
      )
      const [span] = tracing.exporter.getFinishedSpans()
      expect(span?.attributes).toEqual({ 'enduser.id': 'u1', a: 'own' })
    })

    it('treats null options as none', () => {
      expect(withSpan('nulled', null as unknown as WithSpanOptions, () => 7)).toBe(7)
      expect(tracing.exporter.getFinishedSpans()[0]?.name).toBe('nulled')
    })

    it('rejects a call without a function', () => {
      expect(() => (withSpan as (name: string, o: object) => unknown)('x', {})).toThrow(
        new TypeError('@tracehop/core: withSpan(name, [options], fn) needs a function'),
      )
    })
  })

  describe('traceId, logFields, activeSpan', () => {
    it('are empty outside a trace', () => {
      expect(activeSpan()).toBeUndefined()
      expect(traceId()).toBeUndefined()
      expect(logFields()).toEqual({})
      // a fresh object each time: adding to it is safe
      expect(Object.assign(logFields(), { requestId: 'r0' })).toEqual({ requestId: 'r0' })
      expect(logFields()).toEqual({})
    })

    it('report the active span inside one', () => {
      withSpan('log', (span) => {
        const { traceId: id, spanId, traceFlags } = span.spanContext()
        expect(traceId()).toBe(id)
        expect(traceFlags).toBe(TraceFlags.SAMPLED)
        expect(logFields()).toEqual({ trace_id: id, span_id: spanId, trace_flags: '01' })
      })
    })
  })

  describe('injectHeaders / extractContext', () => {
    it('round-trips trace context and baggage with tracehop’s default propagator when none is registered', () => {
      const bag = propagation.createBaggage({ tenant: { value: 'acme' } })
      withSpan('client', (span) => {
        const headers: Record<string, string> = injectHeaders(
          { accept: 'application/json' },
          propagation.setBaggage(context.active(), bag),
        )
        expect(headers.accept).toBe('application/json')
        expect(headers.traceparent).toBe(
          `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`,
        )
        expect(headers.baggage).toBe('tenant=acme')
        const extracted = extractContext(headers, ROOT_CONTEXT)
        expect(trace.getSpanContext(extracted)?.spanId).toBe(span.spanContext().spanId)
        expect(propagation.getBaggage(extracted)?.getEntry('tenant')?.value).toBe('acme')
      })
    })

    it('returns a new object when none is given and writes into Headers with set()', () => {
      withSpan('client', () => {
        expect(Object.keys(injectHeaders())).toContain('traceparent')
        const headers = new Headers()
        injectHeaders(headers)
        expect(headers.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
        const extracted = extractContext(headers, ROOT_CONTEXT)
        expect(trace.getSpanContext(extracted)?.traceId).toBe(traceId())
      })
    })

    it('uses the global propagator when one is registered', () => {
      propagation.setGlobalPropagator(new W3CTraceContextPropagator())
      withSpan('client', () => {
        const headers: Record<string, string> = injectHeaders(
          {},
          propagation.setBaggage(
            context.active(),
            propagation.createBaggage({ k: { value: 'v' } }),
          ),
        )
        expect(headers.traceparent).toBeDefined()
        expect(headers.baggage).toBeUndefined()
      })
    })

    it('lists carrier keys for propagators that scan them (Jaeger baggage)', () => {
      propagation.setGlobalPropagator(new JaegerPropagator())
      const fromObject = extractContext({ 'uberctx-tenant': 'acme' }, ROOT_CONTEXT)
      expect(propagation.getBaggage(fromObject)?.getEntry('tenant')?.value).toBe('acme')
      const fromMap = extractContext(new Map([['uberctx-plan', 'pro']]), ROOT_CONTEXT)
      expect(propagation.getBaggage(fromMap)?.getEntry('plan')?.value).toBe('pro')
      const getOnly = { get: (name: string) => (name === 'uberctx-x' ? 'y' : undefined) }
      expect(propagation.getBaggage(extractContext(getOnly, ROOT_CONTEXT))).toBeUndefined()
    })

    it('reads headers in any case, Buffer and array values, and never throws on junk', () => {
      const mixed = extractContext({ TraceParent: Buffer.from(PARENT) }, ROOT_CONTEXT)
      expect(trace.getSpanContext(mixed)?.traceId).toBe('0af7651916cd43dd8448eb211c80319c')
      const arrays = extractContext({ traceparent: [PARENT] }, ROOT_CONTEXT)
      expect(trace.getSpanContext(arrays)?.spanId).toBe('b7ad6b7169203331')
      for (const junk of [
        undefined,
        null,
        {},
        { traceparent: 42 },
        { traceparent: '00-zz' },
        { traceparent: {} },
      ]) {
        expect(trace.getSpanContext(extractContext(junk as never, ROOT_CONTEXT))).toBeUndefined()
      }
      const mapLike = new Map([['traceparent', PARENT]])
      expect(trace.getSpanContext(extractContext(mapLike, ROOT_CONTEXT))?.traceId).toBe(
        '0af7651916cd43dd8448eb211c80319c',
      )
      expect(extractContext(undefined)).toBe(context.active())
    })
  })
})
