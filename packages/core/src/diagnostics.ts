import { diag } from '@opentelemetry/api'

// Bounded so that layer names built from user input cannot grow it without limit.
const MAX_REPORTED = 1000
const reported = new Set<string>()

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
  const key = `${owner}\u0000${layer}`
  if (reported.has(key) || reported.size >= MAX_REPORTED) return false
  reported.add(key)
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
