import { diag } from '@opentelemetry/api'

// Bounded so that layer names built from user input cannot grow it without limit.
const MAX_REPORTED = 1000
const reported = new Set<string>()

/**
 * Reports, once per `owner` and `layer`, that a middleware layer / hook started with a context
 * that was not its request's (a callback pool, emitter or stream lost AsyncLocalStorage), and
 * that tracehop re-entered the request's context. Adapters call it when `lifecycle.diagnostics`
 * is on. Returns `true` when this call logged.
 * @example
 * if (lifecycle.diagnostics && trace.getSpan(context.active()) !== requestTrace.span) reportLostContext('@tracehop/express', layer.name)
 */
export function reportLostContext(owner: string, layer: string): boolean {
  const key = `${owner}\u0000${layer}`
  if (reported.has(key) || reported.size >= MAX_REPORTED) return false
  reported.add(key)
  diag.warn(
    `${owner}: "${layer}" was entered outside its request's context (something before it lost AsyncLocalStorage, e.g. a callback pool or an emitter created outside the request); tracehop re-entered the request's context. Reported once per layer.`,
  )
  return true
}

/** Forgets what `reportLostContext` reported, so tests can observe it again. */
export function resetLostContextReports(): void {
  reported.clear()
}
