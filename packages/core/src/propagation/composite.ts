import {
  diag,
  type Context,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api'

/**
 * Runs several propagators as one: `inject` calls each in order; `extract` passes the context
 * through each in order, so a later propagator's span context wins when two find one. A
 * propagator that throws is reported through `diag` and the others still run.
 *
 * @example
 * new CompositePropagator([new TraceContextPropagator(), new W3CBaggagePropagator()])
 */
export class CompositePropagator implements TextMapPropagator {
  private readonly _propagators: readonly TextMapPropagator[]
  private readonly _fields: string[]

  constructor(propagators: readonly TextMapPropagator[]) {
    this._propagators = [...propagators]
    this._fields = [...new Set(this._propagators.flatMap((p) => p.fields()))]
  }

  /** Injects with every propagator, in order. */
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    for (const propagator of this._propagators) {
      try {
        propagator.inject(context, carrier, setter)
      } catch (error) {
        diag.warn('@tracehop/core: a propagator failed to inject', error)
      }
    }
  }

  /** Extracts with every propagator, in order, each building on the previous context. */
  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    let result = context
    for (const propagator of this._propagators) {
      try {
        result = propagator.extract(result, carrier, getter)
      } catch (error) {
        diag.warn('@tracehop/core: a propagator failed to extract', error)
      }
    }
    return result
  }

  /** The header names of all propagators, without repeats. */
  fields(): string[] {
    return [...this._fields]
  }
}
