// Instrumentations patch a module as it is required: one that the app loaded before
// startTracing() ran is already in use unpatched. CommonJS keeps what it loaded in
// require.cache, where this looks; ES modules leave no such record (and bundled modules are not
// loaded at all), so under ESM only the register entry, which runs first, is safe.
import type { InstrumentationLike as Instrumentation } from './types.js'
import { createRequire, isBuiltin } from 'node:module'
import { join, sep } from 'node:path'

interface ModuleDefinition {
  name: string
}

interface WithModules {
  getModuleDefinitions?: () => ModuleDefinition[]
  getConfig?: () => { enabled?: boolean }
}

/** The package directory segment a module path of `name` contains (`/node_modules/pg/`). */
function packageSegment(name: string): string {
  return `${sep}node_modules${sep}${name.split('/').join(sep)}${sep}`
}

/**
 * For each enabled instrumentation, the packages it targets that CommonJS loaded already:
 * `[package, instrumentation name]` pairs, in the order given. Node's own modules are left
 * out (they are loaded at startup by many, so their presence says nothing about the app).
 */
export function loadedTooEarly(
  instrumentations: readonly Instrumentation[],
  loaded: readonly string[] = Object.keys(createRequire(join(process.cwd(), 'x.cjs')).cache),
): [string, string][] {
  const found: [string, string][] = []
  for (const instrumentation of instrumentations) {
    const own = instrumentation as Instrumentation & WithModules
    if (own.getConfig?.().enabled === false) continue
    let definitions: ModuleDefinition[]
    try {
      definitions = own.getModuleDefinitions?.() ?? []
    } catch {
      continue
    }
    for (const { name } of definitions) {
      if (typeof name !== 'string' || isBuiltin(name)) continue
      if (found.some(([seen]) => seen === name)) continue
      const segment = packageSegment(name)
      if (loaded.some((file) => file.includes(segment))) {
        found.push([name, instrumentation.instrumentationName])
      }
    }
  }
  return found
}

/** The one warning about modules loaded before startTracing(), or `undefined` when none were. */
export function loadOrderWarning(instrumentations: readonly Instrumentation[]): string | undefined {
  const found = loadedTooEarly(instrumentations)
  if (found.length === 0) return undefined
  const byInstrumentation = new Map<string, string[]>()
  for (const [name, by] of found)
    byInstrumentation.set(by, [...(byInstrumentation.get(by) ?? []), name])
  const names = [...byInstrumentation]
    .map(([by, list]) => `${list.join(', ')} (for ${by})`)
    .join('; ')
  const were = found.length === 1 ? 'was' : 'were'
  const it = found.length === 1 ? 'it' : 'them'
  return (
    `${names} ${were} loaded before startTracing() ran; an instrumentation patches a module ` +
    `as it is required, so the copy already in use records no spans. Call startTracing() ` +
    `before requiring ${it} (first thing in the entry file), or start with ` +
    `node --require @tracehop/node/register (CommonJS) or --import @tracehop/node/register (ESM)`
  )
}
