import { context, propagation, trace, type TextMapPropagator } from '@opentelemetry/api'
import { W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core'
import type { ReadableSpan } from '@opentelemetry/sdk-trace'
import type { IncomingMessage } from 'node:http'
import {
  ATTR_TRACEHOP_REMOTE_PARENT_POLICY,
  B3Propagator,
  getRequestTrace,
  injectHeaders,
  runInRequestContext,
  setRequestAttributes,
  setRequestBaggage,
  traceHandler,
  withSpan,
  type TraceOptions,
} from '../../src/index.js'
import { listen, request, setupTracing, waitForSpans } from '../support/tracing.js'

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c'
const PARENT_ID = 'b7ad6b7169203331'
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`

describe('incoming context: trust and baggage policies', () => {
  let tracing: ReturnType<typeof setupTracing>
  beforeEach(() => {
    tracing = setupTracing()
  })
  afterEach(async () => {
    await tracing.teardown()
  })

  interface Seen {
    baggage: Record<string, string>
    traceId: string | undefined
  }

  async function send(
    options: TraceOptions,
    headers: Record<string, string>,
    path = '/p',
  ): Promise<{ span: ReadableSpan; seen: Seen }> {
    let seen: Seen = { baggage: {}, traceId: undefined }
    const app = await listen(
      traceHandler(
        (_req, res) => {
          const entries = propagation.getBaggage(context.active())?.getAllEntries() ?? []
          seen = {
            baggage: Object.fromEntries(entries.map(([k, v]) => [k, v.value])),
            traceId: trace.getActiveSpan()?.spanContext().traceId,
          }
          res.end()
        },
        { tracerProvider: tracing.provider, ...options },
      ),
    )
    try {
      await request(`${app.url}${path}`, { headers })
      const spans = await waitForSpans(tracing.exporter, 1)
      const span = spans[spans.length - 1]!
      tracing.exporter.reset()
      return { span, seen }
    } finally {
      await app.close()
    }
  }

  describe('trust', () => {
    it('continue (default) makes the server span a child of the remote parent', async () => {
      const { span, seen } = await send({}, { traceparent: TRACEPARENT })
      expect(span.spanContext().traceId).toBe(TRACE_ID)
      expect(span.parentSpanContext?.spanId).toBe(PARENT_ID)
      expect(span.parentSpanContext?.isRemote).toBe(true)
      expect(span.attributes[ATTR_TRACEHOP_REMOTE_PARENT_POLICY]).toBeUndefined()
      expect(seen.traceId).toBe(TRACE_ID)
    })

    it('link starts a new root trace linked to the remote parent', async () => {
      const { span } = await send({ trust: 'link' }, { traceparent: TRACEPARENT })
      expect(span.parentSpanContext).toBeUndefined()
      expect(span.spanContext().traceId).not.toBe(TRACE_ID)
      expect(span.links).toHaveLength(1)
      expect(span.links[0]?.context).toMatchObject({ traceId: TRACE_ID, spanId: PARENT_ID })
      expect(span.attributes[ATTR_TRACEHOP_REMOTE_PARENT_POLICY]).toBe('link')
    })

    it('ignore starts a new root trace without a link', async () => {
      const { span } = await send({ trust: 'ignore' }, { traceparent: TRACEPARENT })
      expect(span.parentSpanContext).toBeUndefined()
      expect(span.spanContext().traceId).not.toBe(TRACE_ID)
      expect(span.links).toHaveLength(0)
      expect(span.attributes[ATTR_TRACEHOP_REMOTE_PARENT_POLICY]).toBe('ignore')
    })

    it('a function decides per request; a bad answer continues', async () => {
      const trust = (req: IncomingMessage): 'continue' | 'link' =>
        req.url?.startsWith('/public')
          ? 'link'
          : req.url === '/odd'
            ? ('maybe' as 'link')
            : 'continue'
      const pub = await send({ trust }, { traceparent: TRACEPARENT }, '/public/x')
      expect(pub.span.links).toHaveLength(1)
      const internal = await send({ trust }, { traceparent: TRACEPARENT }, '/internal')
      expect(internal.span.parentSpanContext?.spanId).toBe(PARENT_ID)
      const odd = await send({ trust }, { traceparent: TRACEPARENT }, '/odd')
      expect(odd.span.parentSpanContext?.spanId).toBe(PARENT_ID)
    })

    it('without incoming context there is nothing to apply', async () => {
      const { span } = await send({ trust: 'link' }, {})
      expect(span.parentSpanContext).toBeUndefined()
      expect(span.links).toHaveLength(0)
      expect(span.attributes[ATTR_TRACEHOP_REMOTE_PARENT_POLICY]).toBeUndefined()
    })

    it('a malformed traceparent starts a new trace and never throws', async () => {
      const { span } = await send({}, { traceparent: '00-zzzz-not-valid' })
      expect(span.parentSpanContext).toBeUndefined()
    })
  })

  describe('baggage', () => {
    const headers = { traceparent: TRACEPARENT, baggage: 'tenant=acme,user=u1,plan=pro' }

    it('accept (default) keeps incoming baggage', async () => {
      const { seen } = await send({}, headers)
      expect(seen.baggage).toEqual({ tenant: 'acme', user: 'u1', plan: 'pro' })
    })

    it('drop removes it', async () => {
      const { seen } = await send({ baggage: 'drop' }, headers)
      expect(seen.baggage).toEqual({})
    })

    it('an allowlist keeps only the listed keys', async () => {
      expect(
        (await send({ baggage: { allow: ['tenant', 'region'] } }, headers)).seen.baggage,
      ).toEqual({ tenant: 'acme' })
      expect(
        (await send({ baggage: { allow: ['tenant', 'user', 'plan'] } }, headers)).seen.baggage,
      ).toEqual({
        tenant: 'acme',
        user: 'u1',
        plan: 'pro',
      })
      expect((await send({ baggage: { allow: ['region'] } }, headers)).seen.baggage).toEqual({})
      expect(
        (await send({ baggage: { allow: ['region'] } }, { traceparent: TRACEPARENT })).seen.baggage,
      ).toEqual({})
    })

    it('stays separate from trust: ignore', async () => {
      const { seen, span } = await send({ trust: 'ignore' }, headers)
      expect(seen.baggage.tenant).toBe('acme')
      expect(span.spanContext().traceId).not.toBe(TRACE_ID)
    })
  })

  describe('propagators', () => {
    it('uses tracehop’s W3C default when no global propagator is registered', async () => {
      const { span, seen } = await send({}, { traceparent: TRACEPARENT, baggage: 'k=v' })
      expect(span.parentSpanContext?.spanId).toBe(PARENT_ID)
      expect(seen.baggage).toEqual({ k: 'v' })
    })

    it('uses the global propagator once registered', async () => {
      propagation.setGlobalPropagator(new W3CTraceContextPropagator())
      const { span, seen } = await send({}, { traceparent: TRACEPARENT, baggage: 'k=v' })
      expect(span.parentSpanContext?.spanId).toBe(PARENT_ID)
      expect(seen.baggage).toEqual({})
      propagation.disable()
      propagation.setGlobalPropagator(new W3CBaggagePropagator())
      const second = await send({}, { traceparent: TRACEPARENT, baggage: 'k=v' })
      expect(second.span.parentSpanContext).toBeUndefined()
      expect(second.seen.baggage).toEqual({ k: 'v' })
    })

    it('uses the propagator option over everything', async () => {
      propagation.setGlobalPropagator(new W3CTraceContextPropagator())
      const b3: TextMapPropagator = new B3Propagator()
      const { span } = await send(
        { propagator: b3 },
        {
          b3: `${TRACE_ID}-${PARENT_ID}-1`,
          traceparent: '00-11111111111111111111111111111111-2222222222222222-01',
        },
      )
      expect(span.spanContext().traceId).toBe(TRACE_ID)
      expect(span.parentSpanContext?.spanId).toBe(PARENT_ID)
    })
  })
})

describe('middleware additions to the request context', () => {
  let tracing: ReturnType<typeof setupTracing>
  beforeEach(() => {
    tracing = setupTracing()
    trace.setGlobalTracerProvider(tracing.provider)
  })
  afterEach(async () => {
    await tracing.teardown()
  })

  it('setRequestBaggage and setRequestAttributes reach later layers, child spans and outgoing headers', async () => {
    let outgoing: Record<string, string> = {}
    const app = await listen(
      traceHandler((req, res) => {
        // "middleware": adds to the request context
        setRequestBaggage(req, { tenant: 'acme', plan: { value: 'pro', metadata: undefined } })
        setRequestBaggage(req, { skipped: undefined as unknown as string })
        setRequestAttributes(req, { 'enduser.id': 'u1' })
        setRequestAttributes(req, { 'tenant.id': 'acme' })
        // "a later layer", entered the way adapters do it
        runInRequestContext(req, () => {
          withSpan('db.query', { attributes: { 'db.system.name': 'postgresql' } }, () => {
            outgoing = injectHeaders()
          })
        })
        res.end()
      }),
    )
    try {
      await request(`${app.url}/m`)
      const spans = await waitForSpans(tracing.exporter, 2)
      const server = spans.find((s) => s.name === 'GET')
      const child = spans.find((s) => s.name === 'db.query')
      expect(server?.attributes).toMatchObject({ 'enduser.id': 'u1', 'tenant.id': 'acme' })
      expect(child?.attributes).toEqual({
        'enduser.id': 'u1',
        'tenant.id': 'acme',
        'db.system.name': 'postgresql',
      })
      expect(child?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId)
      expect(outgoing.baggage?.split(',').sort()).toEqual(['plan=pro', 'tenant=acme'])
      expect(outgoing.traceparent).toContain(server?.spanContext().traceId)
    } finally {
      await app.close()
    }
  })

  it('helpers do nothing for untraced requests', () => {
    const untraced = {}
    setRequestBaggage(untraced, { a: 'b' })
    setRequestAttributes(untraced, { a: 'b' })
    expect(runInRequestContext(untraced, () => 'ran')).toBe('ran')
    expect(() => getRequestTrace(untraced)).toThrow(/not traced/)
  })
})
