import { diag, type TextMapPropagator } from '@opentelemetry/api'
import { B3Propagator } from './b3.js'
import { W3CBaggagePropagator } from './baggage.js'
import { CompositePropagator } from './composite.js'
import { JaegerPropagator } from './jaeger.js'
import {
  describe,
  TraceContextPropagator,
  type TraceContextPropagatorOptions,
} from './trace-context.js'

/** A propagator name as used in `OTEL_PROPAGATORS`. */
export type PropagatorName = 'tracecontext' | 'baggage' | 'b3' | 'b3multi' | 'jaeger' | 'none'

/** Options of {@link createPropagator} and {@link defaultPropagator}. */
export type CreatePropagatorOptions = TraceContextPropagatorOptions

const FACTORIES: Readonly<
  Record<Exclude<PropagatorName, 'none'>, (options: CreatePropagatorOptions) => TextMapPropagator>
> = {
  tracecontext: (options) => new TraceContextPropagator(options),
  baggage: () => new W3CBaggagePropagator(),
  b3: () => new B3Propagator({ inject: 'single' }),
  b3multi: () => new B3Propagator({ inject: 'multi' }),
  jaeger: () => new JaegerPropagator(),
}

const NAMES = 'tracecontext, baggage, b3, b3multi, jaeger, none'

function isKnown(name: string): name is Exclude<PropagatorName, 'none'> {
  return Object.prototype.hasOwnProperty.call(FACTORIES, name)
}

/**
 * The project's default propagator: W3C Trace Context (strict, Level 2) and W3C Baggage.
 *
 * @example
 * propagation.setGlobalPropagator(defaultPropagator({ randomTraceIds: true }))
 */
export function defaultPropagator(options: CreatePropagatorOptions = {}): TextMapPropagator {
  return new CompositePropagator([new TraceContextPropagator(options), new W3CBaggagePropagator()])
}

/**
 * Builds a propagator from `OTEL_PROPAGATORS`-style names (`tracecontext`, `baggage`, `b3`,
 * `b3multi`, `jaeger`, `none`), given as a comma-separated string or an array, in order.
 * An empty list gives {@link defaultPropagator}; `none` alone gives one that does nothing.
 * Throws a `TypeError` on an unknown name.
 *
 * @example
 * createPropagator(process.env.OTEL_PROPAGATORS ?? 'tracecontext,baggage')
 */
export function createPropagator(
  names: string | readonly string[],
  options: CreatePropagatorOptions = {},
): TextMapPropagator {
  let list: readonly unknown[]
  if (typeof names === 'string') list = names.split(',')
  else if (Array.isArray(names)) list = names
  else {
    throw new TypeError(
      `@tracehop/core: propagator names must be a string or an array of strings; received ${describe(names)}`,
    )
  }
  const chosen = new Set<Exclude<PropagatorName, 'none'>>()
  let none = false
  for (const raw of list) {
    if (typeof raw !== 'string') {
      throw new TypeError(
        `@tracehop/core: unknown propagator ${describe(raw)}; expected one of ${NAMES}`,
      )
    }
    const name = raw.trim().toLowerCase()
    if (name === '') continue
    if (name === 'none') none = true
    else if (isKnown(name)) chosen.add(name)
    else {
      throw new TypeError(
        `@tracehop/core: unknown propagator ${JSON.stringify(raw.trim())}; expected one of ${NAMES}`,
      )
    }
  }
  if (chosen.size === 0) return none ? new CompositePropagator([]) : defaultPropagator(options)
  if (none) diag.warn('@tracehop/core: propagator "none" is ignored beside other propagators')
  // With W3C baggage beside Jaeger, uberctx-* headers carry only the entries that arrived as
  // uberctx-*: every entry goes out in the baggage header already, and twice would double it.
  const propagators = [...chosen].map((name) =>
    name === 'jaeger' && chosen.has('baggage')
      ? new JaegerPropagator({ baggage: 'received' })
      : FACTORIES[name](options),
  )
  return propagators.length === 1 ? propagators[0]! : new CompositePropagator(propagators)
}
