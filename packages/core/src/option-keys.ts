import { diag } from '@opentelemetry/api'
import { ReportedOnce } from './diagnostics.js'
import type { TraceOptions } from './types.js'

// The check for option keys nobody reads. TypeScript users get excess-property errors; JavaScript
// users would otherwise see a typo (`ignor`, `serviceNmae`) silently do nothing.

const TRACE_KEYS: Record<keyof TraceOptions, true> = {
  ignore: true,
  trust: true,
  baggage: true,
  spanName: true,
  requestHook: true,
  responseHook: true,
  captureHeaders: true,
  redactHeaders: true,
  redactQueryParams: true,
  sensitiveQueryParams: true,
  isError: true,
  metrics: true,
  tracerProvider: true,
  meterProvider: true,
  propagator: true,
  lostContextDiagnostics: true,
  trustProxy: true,
}

/** The option names every adapter accepts (the keys of `TraceOptions`). */
export const TRACE_OPTION_KEYS: readonly string[] = Object.freeze(Object.keys(TRACE_KEYS))

/**
 * Optimal string alignment distance (Levenshtein with adjacent transpositions), compared without
 * case: `serviceNmae` is 1 from `serviceName`, `ignor` 1 from `ignore`.
 */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase()
  const t = b.toLowerCase()
  // three rows: the one before the previous is needed for transpositions
  let before: number[] = []
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j)
  for (let i = 1; i <= s.length; i++) {
    const current = [i]
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost)
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1])
        best = Math.min(best, before[j - 2]! + 1)
      current.push(best)
    }
    before = previous
    previous = current
  }
  return previous[t.length]!
}

/**
 * The known name closest to `name`, when it is close enough to be a typo: at most a third of the
 * name's letters apart (and at least one edit allowed). `undefined` when none is.
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(name.length / 3))
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of known) {
    const distance = editDistance(name, candidate)
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return bestDistance <= limit ? best : undefined
}

/**
 * One sentence per key of `options` that is not in `known`, each naming the key and, when one is
 * near, the option it was probably meant to be. Empty when every key is known.
 * @example
 * unknownOptionMessages({ serviceNmae: 'x' }, ['serviceName'])
 * // ['unknown option "serviceNmae" (did you mean "serviceName"?) is ignored']
 */
export function unknownOptionMessages(options: object, known: readonly string[]): string[] {
  const messages: string[] = []
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue
    const near = closestName(key, known)
    const hint = near === undefined ? '' : ` (did you mean "${near}"?)`
    messages.push(`unknown option ${JSON.stringify(key)}${hint} is ignored`)
  }
  return messages
}

const reported = new ReportedOnce()

/**
 * Reports through `diag.warn`, once per `owner` and key, each key of `options` that is not in
 * `known`, with a did-you-mean. Options are checked when the middleware or plugin is made.
 * @example
 * warnUnknownOptions('@tracehop/express', { ignor: ['/healthz'] }, TRACE_OPTION_KEYS)
 * // @tracehop/express: unknown option "ignor" (did you mean "ignore"?) is ignored
 */
export function warnUnknownOptions(owner: string, options: object, known: readonly string[]): void {
  for (const message of unknownOptionMessages(options, known)) {
    if (reported.first(`${owner}\u0000${message}`)) diag.warn(`${owner}: ${message}`)
  }
}

/**
 * Forgets what `warnUnknownOptions` reported, so tests can observe a warning again.
 * @example
 * beforeEach(() => resetUnknownOptionReports())
 */
export function resetUnknownOptionReports(): void {
  reported.clear()
}
