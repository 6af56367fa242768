// Propagation: strict W3C Trace Context Level 2, W3C Baggage, B3 and Jaeger.
export { B3Propagator, type B3PropagatorOptions } from './b3.js'
export { W3CBaggagePropagator } from './baggage.js'
export { CompositePropagator } from './composite.js'
export {
  createPropagator,
  defaultPropagator,
  type CreatePropagatorOptions,
  type PropagatorName,
} from './create.js'
export { JaegerPropagator, type JaegerPropagatorOptions } from './jaeger.js'
export {
  parseTraceparent,
  TraceContextPropagator,
  type TraceContextPropagatorOptions,
} from './trace-context.js'
export { isValidTraceStateKey, isValidTraceStateValue, W3CTraceState } from './trace-state.js'
