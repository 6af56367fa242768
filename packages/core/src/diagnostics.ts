import { diag } from '@opentelemetry/api'

/**
 * Remembers what was reported, so that each thing is reported once. Bounded, so that keys built
 * from user input (layer names, option keys) cannot grow it without limit.
 */
export class ReportedOnce {
  private readonly keys = new Set<string>()

  constructor(private readonly max = 1000) {}

  /** `true` the first time `key` is seen (and while there is room), `false` after. */
  first(key: string): boolean {
    if (this.keys.has(key) || this.keys.size >= this.max) return false
    this.keys.add(key)
    return true
  }

  /** Forgets every key. */
  clear(): void {
    this.keys.clear()
  }
}

const reported = new ReportedOnce()

/**
 * Reports through `diag.warn`, once per `owner` and `layer`, that a middleware layer or hook
 * started outside its request's context (something before it lost AsyncLocalStorage) and that
 * tracehop re-entered the request's context. `layer` and `culprit` are labels as the adapter
 * writes them (e.g. `layer "session" (/api)`). Returns `true` when this call logged.
 * @example
 * if (lifecycle.diagnostics && trace.getSpan(context.active()) !== requestTrace.span)
 *   reportLostContext('@tracehop/express', 'layer "session"', 'layer "legacyAuth"')
 */
export function reportLostContext(owner: string, layer: string, culprit?: string): boolean {
  if (!reported.first(`${owner}\u0000${layer}`)) return false
  const before =
    culprit === undefined ? 'a step before it' : `the step that ran before it, ${culprit},`
  diag.warn(
    `${owner}: ${layer} was entered outside its request's context; ${before} continued from a callback that lost AsyncLocalStorage (a callback pool, an emitter or a stream created outside the request). tracehop re-entered the request's context. Reported once per layer.`,
  )
  return true
}

/**
 * Forgets what `reportLostContext` reported, so tests can observe a warning again.
 * @example
 * beforeEach(() => resetLostContextReports())
 */
export function resetLostContextReports(): void {
  reported.clear()
}
