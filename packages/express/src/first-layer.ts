// The check that traceMiddleware() is the first layer of the app it runs in. Layers before it run
// outside the request's trace, and the requests they answer are not traced at all.
import { diag } from '@opentelemetry/api'
import { OWNER } from './constants.js'
import type { Layer, StackOwner } from './layers.js'
import { describeMount } from './route-template.js'

// Express 4 puts these two on every app's router before the user's layers (Express 5 none).
const BUILT_IN: ReadonlySet<string> = new Set(['query', 'expressInit'])
// The function traceMiddleware() returns (every loaded copy names it the same).
const TRACEHOP_LAYER = 'tracehopMiddleware'

const checked = new WeakSet<StackOwner>()

/** How the warning names a layer: `route GET /healthz`, `"cors" (/)`, `router (/api)`. */
export function describeLayer(layer: Layer): string {
  const where = describeMount(layer)
  const route = layer.route
  if (route !== undefined) {
    const methods = Object.keys(route.methods ?? {})
      .filter((method) => route.methods?.[method] === true && method !== '_all')
      .map((method) => method.toUpperCase())
    const verb = route.methods?._all === true ? 'ALL' : methods.join(',') || 'ALL'
    return `route ${verb} ${where}`
  }
  if (Array.isArray(layer.handle.stack)) return `router (${where})`
  const name = layer.name === '' || layer.name === '<anonymous>' ? '<anonymous>' : layer.name
  return `"${name}" (${where})`
}

/**
 * The user's layers in `router` before the first layer whose handle is one of `handles`, or
 * `undefined` when none of them is in this router (traceMiddleware() mounted deeper).
 */
export function layersBefore(router: StackOwner, handles: readonly unknown[]): Layer[] | undefined {
  const stack = router.stack
  const at = stack.findIndex((layer) => handles.includes(layer.handle))
  if (at === -1) return undefined
  return stack
    .slice(0, at)
    .filter(
      (layer) =>
        !(layer.route === undefined && BUILT_IN.has(layer.name)) && layer.name !== TRACEHOP_LAYER,
    )
}

/**
 * Warns through `diag`, once per app router, when layers sit before traceMiddleware(), naming
 * them. `handles` are the functions that stand for traceMiddleware() in a stack.
 */
export function checkFirstLayer(router: StackOwner, handles: readonly unknown[]): void {
  if (checked.has(router)) return
  checked.add(router)
  const before = layersBefore(router, handles)
  if (before === undefined || before.length === 0) return
  const names = before.map(describeLayer)
  const list =
    names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`
  const one = names.length === 1
  diag.warn(
    `${OWNER}: traceMiddleware() is not the first middleware: ${list} ${one ? 'is' : 'are'} registered before it. ${one ? 'It runs' : 'They run'} outside the request's trace, and the requests ${one ? 'it answers' : 'they answer'} are not traced (the caller's trace is lost). Register app.use(traceMiddleware()) before ${one ? 'it' : 'them'}.`,
  )
}
