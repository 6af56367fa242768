// Type-level checks of the public propagation surface: `tsc -b` (part of CI) type-checks this
// file, so a `@ts-expect-error` that stops erroring fails the build.
import { type TextMapPropagator, type TraceState } from '@opentelemetry/api'
import {
  B3Propagator,
  createPropagator,
  defaultPropagator,
  JaegerPropagator,
  TraceContextPropagator,
  W3CBaggagePropagator,
  W3CTraceState,
  type B3PropagatorOptions,
  type CreatePropagatorOptions,
  type JaegerPropagatorOptions,
  type PropagatorName,
} from '../../src/index.js'

describe('public types', () => {
  it('every propagator is an OTel TextMapPropagator', () => {
    const propagators: TextMapPropagator[] = [
      new TraceContextPropagator({ randomTraceIds: true }),
      new W3CBaggagePropagator(),
      new B3Propagator({ inject: 'multi' }),
      new JaegerPropagator({ baggage: false }),
      defaultPropagator(),
      createPropagator(['tracecontext', 'b3']),
    ]
    expect(propagators.every((p) => typeof p.inject === 'function')).toBe(true)
  })

  it('W3CTraceState is an OTel TraceState whose updates stay W3CTraceState', () => {
    const state: TraceState = W3CTraceState.from([['a', '1']])
    const updated: W3CTraceState = W3CTraceState.from().set('a', '1').unset('b')
    expect(state.serialize()).toBe(updated.serialize())
  })

  it('rejects wrong option types at compile time', () => {
    // @ts-expect-error inject is 'single' | 'multi'
    const bad: B3PropagatorOptions = { inject: 'both' }
    // @ts-expect-error randomTraceIds is a boolean
    const worse: CreatePropagatorOptions = { randomTraceIds: 'yes' }
    // @ts-expect-error not an OTEL_PROPAGATORS name we support
    const name: PropagatorName = 'xray'
    // @ts-expect-error baggage is a boolean or 'received'
    const jaeger: JaegerPropagatorOptions = { baggage: 'all' }
    const received: JaegerPropagatorOptions = { baggage: 'received' }
    expect([bad, worse, name, jaeger, received]).toHaveLength(5)
  })
})
