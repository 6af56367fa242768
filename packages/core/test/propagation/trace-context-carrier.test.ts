import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  trace,
  TraceFlags,
} from '@opentelemetry/api'
import { defaultPropagator, parseTraceparent, TraceContextPropagator } from '@tracehop/core'

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const SPAN_ID = '00f067aa0ba902b7'

function extractInject(
  headers: Record<string, string | string[]>,
  propagator = new TraceContextPropagator(),
): Record<string, string> {
  const ctx = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter)
  const out: Record<string, string> = {}
  propagator.inject(ctx, out, defaultTextMapSetter)
  return out
}

describe('parseTraceparent', () => {
  it('reads a valid version-00 value', () => {
    expect(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-01`)).toEqual({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    })
  })

  it('rejects uppercase hex', () => {
    expect(parseTraceparent(`00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`)).toBeUndefined()
  })
})

describe('TraceContextPropagator at the carrier level', () => {
  it('round-trips a remote context with its random flag', () => {
    expect(extractInject({ traceparent: `00-${TRACE_ID}-${SPAN_ID}-03` })).toEqual({
      traceparent: `00-${TRACE_ID}-${SPAN_ID}-03`,
    })
  })

  it('accepts any casing of the header name in a plain object', () => {
    expect(extractInject({ TraceParent: `00-${TRACE_ID}-${SPAN_ID}-01` }).traceparent).toBe(
      `00-${TRACE_ID}-${SPAN_ID}-01`,
    )
  })

  it('defaultPropagator carries baggage too', () => {
    const p = defaultPropagator()
    const ctx = p.extract(
      context.active(),
      { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`, baggage: 'a=1' },
      defaultTextMapGetter,
    )
    expect(trace.getSpanContext(ctx)?.traceId).toBe(TRACE_ID)
    const out: Record<string, string> = {}
    p.inject(ctx, out, defaultTextMapSetter)
    expect(out).toEqual({ traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`, baggage: 'a=1' })
  })
})
