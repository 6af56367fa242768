import { propagation, type TextMapPropagator } from '@opentelemetry/api'
import { defaultPropagator } from './propagation/index.js'

// The API keeps its global propagator behind a method TypeScript calls private. Reading it lets
// us notice a newly registered propagator with one identity check instead of calling
// `fields()` (which allocates in most propagators) on every request.
interface PropagationInternals {
  _getGlobalPropagator?: () => TextMapPropagator
}

let seenGlobal: TextMapPropagator | undefined
let resolved: TextMapPropagator = propagation
let fallbackPropagator: TextMapPropagator | undefined

// Made on first use, then shared: it holds no per-request state.
function fallback(): TextMapPropagator {
  return (fallbackPropagator ??= defaultPropagator())
}

/**
 * The propagator for incoming and outgoing context: the global one, or tracehop's default
 * (W3C trace context + baggage) while no global propagator is registered.
 */
export function currentPropagator(): TextMapPropagator {
  const internals = propagation as unknown as PropagationInternals
  if (typeof internals._getGlobalPropagator !== 'function') {
    return propagation.fields().length === 0 ? fallback() : propagation
  }
  const global = internals._getGlobalPropagator()
  if (global !== seenGlobal) {
    seenGlobal = global
    resolved = global.fields().length === 0 ? fallback() : global
  }
  return resolved
}
