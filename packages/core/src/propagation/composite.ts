import {
  diag,
  isSpanContextValid,
  propagation,
  trace,
  type Context,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api'
import { B3Propagator } from './b3.js'
import { W3CBaggagePropagator } from './baggage.js'
import { withBaggageBudget } from './baggage-limits.js'
import { JaegerPropagator } from './jaeger.js'
import { TraceContextPropagator } from './trace-context.js'

/**
 * The `extract` methods of tracehop's own propagators: each sets a span context only after
 * checking its ids (lowercase hex, the W3C lengths, not all zero), so what they extract needs no
 * second check.
 */
const CHECKED_EXTRACTS: ReadonlySet<TextMapPropagator['extract']> = new Set([
  TraceContextPropagator.prototype.extract,
  B3Propagator.prototype.extract,
  JaegerPropagator.prototype.extract,
  W3CBaggagePropagator.prototype.extract,
])

/**
 * Runs several propagators as one: `inject` calls each in order; `extract` passes the context
 * through each in order, so a later propagator's valid span context wins when two find one. A
 * span context that is not valid never replaces one (nor stands for none): what such a
 * propagator extracted is ignored, apart from its baggage. A propagator that throws is reported
 * through `diag` and the others still run.
 *
 * @example
 * new CompositePropagator([new TraceContextPropagator(), new W3CBaggagePropagator()])
 */
export class CompositePropagator implements TextMapPropagator {
  private readonly _propagators: readonly TextMapPropagator[]
  /** For each propagator, whether what it extracts is checked here: it is not one of ours. */
  private readonly _needsCheck: readonly boolean[]
  private readonly _fields: string[]

  constructor(propagators: readonly TextMapPropagator[]) {
    this._propagators = [...propagators]
    // an own `extract`, a subclass's or a patched one is checked; only ours as written are not
    this._needsCheck = this._propagators.map((p) => !CHECKED_EXTRACTS.has(p.extract))
    this._fields = [...new Set(this._propagators.flatMap((p) => p.fields()))]
  }

  /**
   * Injects with every propagator, in order. Baggage formats share one budget for the call: the
   * W3C limits (64 members, 8192 bytes) hold for all the baggage headers together.
   */
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const ctx =
      this._propagators.length > 1 && propagation.getBaggage(context) !== undefined
        ? withBaggageBudget(context)
        : context
    for (const propagator of this._propagators) {
      try {
        propagator.inject(ctx, carrier, setter)
      } catch (error) {
        diag.warn('@tracehop/core: a propagator failed to inject', error)
      }
    }
  }

  /** Extracts with every propagator, in order, each building on the previous context. */
  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    let result = context
    for (let i = 0; i < this._propagators.length; i++) {
      try {
        const next = this._propagators[i]!.extract(result, carrier, getter)
        result = this._needsCheck[i] ? keepValidSpan(result, next) : next
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

/**
 * `next` unless it carries a span context that is not valid (a propagator outside tracehop may
 * set one): then `previous` as it was, with `next`'s baggage if that changed. Everything else
 * `next` noted about the rejected span (flags, debug) is left behind with it.
 */
function keepValidSpan(previous: Context, next: Context): Context {
  if (next === previous) return next
  const spanContext = trace.getSpanContext(next)
  if (spanContext === undefined || spanContext === trace.getSpanContext(previous)) return next
  if (isSpanContextValid(spanContext)) return next
  diag.debug('@tracehop/core: a propagator extracted an invalid span context; it is ignored')
  const baggage = propagation.getBaggage(next)
  if (baggage === propagation.getBaggage(previous)) return previous
  return baggage === undefined
    ? propagation.deleteBaggage(previous)
    : propagation.setBaggage(previous, baggage)
}
