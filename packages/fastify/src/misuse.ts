// Wiring mistakes the plugin can recognise from what it is called with, without importing Express:
// given to Express (`app.use(tracingPlugin)`), called instead of registered (`tracingPlugin()`),
// and hooks or routes added before it finished registering.
import { diag } from '@opentelemetry/api'
import { ReportedOnce } from '@tracehop/core'
import { PACKAGE } from './constants.js'
import { functionName, isWrapped, REQUEST_HOOKS } from './wrap.js'

type Loose = Record<string, unknown>

function isObjectLike(value: unknown): value is Loose {
  return (typeof value === 'object' || typeof value === 'function') && value !== null
}

/** A Fastify instance, as `register` passes it to a plugin. */
export function isFastifyInstance(value: unknown): boolean {
  return (
    isObjectLike(value) &&
    typeof value.decorateRequest === 'function' &&
    typeof value.addHook === 'function'
  )
}

/** A Node request, as Express passes it to middleware. */
function isNodeRequest(value: unknown): boolean {
  return isObjectLike(value) && typeof value.method === 'string' && isObjectLike(value.headers)
}

/**
 * The error for the plugin called by something other than Fastify's `register`: Express
 * (`app.use(tracingPlugin)`, with a request, a response and `next`), or a direct call
 * (`app.use(tracingPlugin())`).
 */
export function notRegistered(instance: unknown): Error {
  return isNodeRequest(instance)
    ? new Error(
        `${PACKAGE}: tracingPlugin is a Fastify plugin and was given to Express (app.use); for Express use @tracehop/express: app.use(traceMiddleware()) before the routes and app.use(traceErrors()) after them`,
      )
    : new TypeError(
        `${PACKAGE}: tracingPlugin is a Fastify plugin: register it with await app.register(tracingPlugin, options) instead of calling it; for Express use @tracehop/express: app.use(traceMiddleware())`,
      )
}

function list(names: readonly string[]): string {
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`
}

/**
 * Warns through `diag`, once, of the request hooks the instance already has when the plugin
 * loads: they were added before it, so tracehop could not wrap them, and an `onRequest` hook
 * among them runs before the request's span starts. Fastify keeps hooks under a symbol it does
 * not export; it is found by its description, and nothing is said when it is not there.
 */
export function warnEarlierHooks(instance: object): void {
  const key = Object.getOwnPropertySymbols(instance).find((s) => s.description === 'fastify.hooks')
  const hooks = key === undefined ? undefined : (instance as Record<symbol, unknown>)[key]
  if (!isObjectLike(hooks)) return
  const names: string[] = []
  let early = 0
  for (const kind of REQUEST_HOOKS) {
    const fns = hooks[kind]
    if (!Array.isArray(fns)) continue
    for (const fn of fns as unknown[]) {
      if (typeof fn !== 'function' || isWrapped(fn)) continue
      names.push(`${kind} hook "${functionName(fn)}"`)
      if (kind === 'onRequest') early++
    }
  }
  if (names.length === 0) return
  const one = names.length === 1
  const untraced =
    early === 0
      ? ''
      : `, and ${one ? '' : `the onRequest hook${early === 1 ? '' : 's'} among them `}before the request is traced (request.tracing is untraced there)`
  diag.warn(
    `${PACKAGE}: ${list(names)} ${one ? 'was' : 'were'} added before tracingPlugin: ${one ? 'it runs' : 'they run'} without tracehop re-entering the request's context${untraced}. Register the plugin first: await app.register(tracingPlugin) before other hooks, plugins and routes.`,
  )
}

const reportedRoutes = new ReportedOnce()

/**
 * Warns through `diag`, once per route, of a route the plugin's `onRoute` hook never saw: it was
 * added before the plugin finished registering (before it, or after `app.register(tracingPlugin)`
 * without `await`), so its handler and route hooks were not wrapped.
 */
export function reportUnseenRoute(method: unknown, url: string): void {
  const route = `${Array.isArray(method) ? method.join(',') : String(method)} ${url}`
  if (!reportedRoutes.first(route)) return
  diag.warn(
    `${PACKAGE}: route ${route} was added before tracingPlugin finished registering (registered before it, or after app.register(tracingPlugin) without await): its handler and route hooks run without tracehop re-entering the request's context, so spans they start can land in a new trace. Write await app.register(tracingPlugin) before adding routes.`,
  )
}
