import { context, type Attributes } from '@opentelemetry/api'
import {
  compileResponseHeaderCapture,
  createRequestLifecycle,
  type RequestLifecycle,
  type RequestTrace,
  type ResponseHeaderSource,
} from '@tracehop/core'
import type {
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  RouteOptions,
} from 'fastify'
import fp from 'fastify-plugin'
import { PACKAGE } from './constants.js'
import { isFastifyInstance, reportUnseenRoute, notRegistered, warnEarlierHooks } from './misuse.js'
import {
  ADAPTER_KEYS,
  normalizePluginOptions,
  routeOptions as mergeRouteOptions,
} from './options.js'
import {
  kTrace,
  kTracing,
  TracedRequestTracing,
  UNTRACED,
  type HookSite,
} from './request-tracing.js'
import type { TracingPluginOptions } from './types.js'
import {
  functionName,
  hookSite,
  isWrapped,
  REQUEST_HOOKS,
  withRequestContext,
  wrapHookValue,
  type AnyFunction,
} from './wrap.js'

/** One set of options made ready: the engine and what the adapter itself does per request. */
interface Settings {
  readonly lifecycle: RequestLifecycle
  readonly logCorrelation: boolean
  /** Reads `captureHeaders.response` from the reply; `undefined` when none is captured. */
  readonly responseHeaders: ((source: ResponseHeaderSource) => Attributes | undefined) | undefined
}

function makeSettings(options: TracingPluginOptions | undefined): Settings {
  const normalized = normalizePluginOptions(options)
  const lifecycle = createRequestLifecycle(normalized.trace, PACKAGE, ADAPTER_KEYS)
  return {
    lifecycle,
    logCorrelation: normalized.logCorrelation,
    responseHeaders: compileResponseHeaderCapture(normalized.trace, PACKAGE),
  }
}

/**
 * Headers set with `reply.header()` stay in the reply until Fastify passes them to `writeHead`,
 * where `ServerResponse#getHeader` never sees them: the lifecycle's own capture, which reads the
 * raw response, would miss them. Read them from the reply just before the lifecycle ends the span
 * (prepended, so this runs before its `finish`/`close` listeners).
 */
function captureReplyHeaders(
  reply: FastifyReply,
  requestTrace: RequestTrace,
  capture: (source: ResponseHeaderSource) => Attributes | undefined,
): void {
  let done = false
  const read = (): void => {
    if (done) return
    done = true
    const attributes = capture(reply as unknown as ResponseHeaderSource)
    if (attributes !== undefined) requestTrace.setAttributes(attributes)
  }
  reply.raw.prependOnceListener('finish', read)
  reply.raw.prependOnceListener('close', read)
}

const START_SITE: HookSite = {
  kind: 'start',
  label: `${PACKAGE} onRequest hook`,
  checked: false,
}

// The route options that hold functions receiving the request, besides the lifecycle hooks.
const ROUTE_HOOKS = [...REQUEST_HOOKS]

// Hook wrappers are cached per hook kind, so a function used for many routes is wrapped once.
const hookWrappers = new Map<string, WeakMap<AnyFunction, AnyFunction>>()

function wrapHook(kind: string, fn: AnyFunction): AnyFunction {
  if (isWrapped(fn)) return fn
  let cache = hookWrappers.get(kind)
  if (cache === undefined) {
    cache = new WeakMap()
    hookWrappers.set(kind, cache)
  }
  let wrapped = cache.get(fn)
  if (wrapped === undefined) {
    wrapped = withRequestContext(fn, hookSite(kind, `${kind} hook "${functionName(fn)}"`), 0)
    cache.set(fn, wrapped)
  }
  return wrapped
}

function wrapErrorHandler(fn: AnyFunction): AnyFunction {
  return withRequestContext(fn, hookSite('errorHandler', `error handler "${functionName(fn)}"`), 1)
}

function methodsOf(method: RouteOptions['method']): string {
  return Array.isArray(method) ? method.join(',') : String(method)
}

/**
 * Keeps a route option wrapped whatever later `onRoute` hooks do with it: plugins registered after
 * tracehop (rate limiters, auth) push their own route-level hooks in `onRoute`, and Fastify reads
 * the option after every `onRoute` hook has run.
 */
function keepWrapped(target: object, key: string, wrap: (value: unknown) => unknown): void {
  let value = (target as Record<string, unknown>)[key]
  if (Array.isArray(value)) value = value.slice()
  Object.defineProperty(target, key, {
    configurable: true,
    enumerable: true,
    get: () => (value = wrap(value)),
    set: (next: unknown) => {
      value = Array.isArray(next) ? next.slice() : next
    },
  })
}

// Marks the config of each route the plugin's onRoute hook saw.
const kSeen = Symbol('tracehop.fastify.route-seen')

interface RouteMark {
  [kSeen]?: true
}

interface TracingSlot {
  [kTracing]: FastifyRequest['tracing'] | null
}

const plugin: FastifyPluginCallback<TracingPluginOptions> = (instance, options, done) => {
  if (!isFastifyInstance(instance)) {
    // Express's app.use(tracingPlugin) passes (req, res, next); tracingPlugin() passes nothing
    const error = notRegistered(instance)
    if (typeof done !== 'function') throw error
    done(error)
    return
  }
  let settings: Settings
  try {
    settings = makeSettings(options)
  } catch (error) {
    // a callback plugin reports failure through done(); a throw would leave avvio waiting
    done(error as Error)
    return
  }
  const routeSettings = new WeakMap<object, Settings>()

  function settingsFor(request: FastifyRequest): Settings | undefined {
    const tracing = request.routeOptions.config?.tracing
    if (tracing === false) return undefined
    if (tracing === undefined || tracing === null) return settings
    return routeSettings.get(tracing) ?? settings
  }

  function onRequest(
    request: FastifyRequest,
    reply: FastifyReply,
    next: HookHandlerDoneFunction,
  ): void {
    const route = request.routeOptions
    if ((route.config as RouteMark | undefined)?.[kSeen] !== true && !request.is404)
      reportUnseenRoute(route.method, route.url ?? '')
    const chosen = settingsFor(request)
    const requestTrace = chosen?.lifecycle.start(request.raw, reply.raw, route.url)
    if (chosen === undefined || requestTrace === undefined) {
      ;(request as unknown as TracingSlot)[kTracing] = UNTRACED
      next()
      return
    }
    ;(request as unknown as TracingSlot)[kTracing] = new TracedRequestTracing(
      requestTrace,
      chosen.lifecycle.diagnostics,
      START_SITE,
    )
    if (chosen.responseHeaders !== undefined) {
      captureReplyHeaders(reply, requestTrace, chosen.responseHeaders)
    }
    if (chosen.logCorrelation) {
      const spanContext = requestTrace.span.spanContext()
      const log = request.log.child({ trace_id: spanContext.traceId, span_id: spanContext.spanId })
      request.log = log
      reply.log = log
    }
    context.with(requestTrace.context, next)
  }

  function onError(
    request: FastifyRequest,
    _reply: FastifyReply,
    error: unknown,
    next: () => void,
  ): void {
    const tracing = request.tracing
    if (tracing instanceof TracedRequestTracing) tracing[kTrace].recordError(error)
    next()
  }

  function onRoute(route: RouteOptions): void {
    // Fastify copies the route's config (symbol keys too) into what request.routeOptions shows
    route.config = { ...route.config, [kSeen]: true } as RouteOptions['config']
    const tracing = route.config?.tracing
    if (tracing !== undefined && tracing !== false && !routeSettings.has(tracing as object)) {
      routeSettings.set(
        tracing as object,
        makeSettings(mergeRouteOptions(options, tracing, route.url)),
      )
    }
    const label = `the handler of ${methodsOf(route.method)} ${route.url}`
    let handlerSite: HookSite | undefined
    keepWrapped(route, 'handler', (value) => {
      if (typeof value !== 'function' || isWrapped(value)) return value
      handlerSite ??= hookSite('handler', label)
      return withRequestContext(value as AnyFunction, handlerSite, 0)
    })
    // also for hooks the route does not have yet: a later onRoute hook may add them
    for (const kind of ROUTE_HOOKS) {
      keepWrapped(route, kind, (value) => wrapHookValue(value, (fn) => wrapHook(kind, fn)))
    }
    keepWrapped(route, 'errorHandler', (value) =>
      typeof value === 'function' ? wrapErrorHandler(value as AnyFunction) : value,
    )
  }

  warnEarlierHooks(instance)
  // `request.tracing` is never null: the untraced object until tracehop's onRequest hook has run
  // (hooks added before the plugin), and for requests it does not trace. The value lives in a
  // slot decorated as null, so every request object keeps one shape.
  instance.decorateRequest(kTracing, null)
  instance.decorateRequest('tracing', {
    getter(this: TracingSlot) {
      return this[kTracing] ?? UNTRACED
    },
  } as never)
  instance.addHook('onRoute', onRoute)
  instance.addHook('onRequest', onRequest)
  instance.addHook('onError', onError)
  patchInstance(instance)
  done()
}

interface Patchable {
  addHook(name: string, fn: unknown): unknown
  setErrorHandler(fn: unknown): unknown
  setNotFoundHandler(...args: unknown[]): unknown
  addContentTypeParser(...args: unknown[]): unknown
}

/**
 * Wraps the registration methods of the instance tracehop is registered on. Encapsulated child
 * instances are created from it by prototype, so hooks that plugins registered later add are
 * wrapped too; hooks added before `tracingPlugin` are not (register it first).
 */
function patchInstance(instance: FastifyInstance): void {
  const target = instance as unknown as Patchable
  const { addHook, setErrorHandler, setNotFoundHandler, addContentTypeParser } = target

  target.addHook = function tracedAddHook(this: unknown, name: string, fn: unknown) {
    const wrapped =
      REQUEST_HOOKS.has(name) && typeof fn === 'function' ? wrapHook(name, fn as AnyFunction) : fn
    return addHook.call(this, name, wrapped)
  }

  target.setErrorHandler = function tracedSetErrorHandler(this: unknown, fn: unknown) {
    return setErrorHandler.call(
      this,
      typeof fn === 'function' ? wrapErrorHandler(fn as AnyFunction) : fn,
    )
  }

  target.setNotFoundHandler = function tracedSetNotFoundHandler(this: unknown, ...args: unknown[]) {
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]
      if (typeof arg === 'function') {
        args[i] = withRequestContext(
          arg as AnyFunction,
          hookSite('notFoundHandler', `not-found handler "${functionName(arg)}"`),
          0,
        )
      } else if (typeof arg === 'object' && arg !== null) {
        const hooks = { ...(arg as Record<string, unknown>) }
        for (const kind of ['preValidation', 'preHandler']) {
          const value = hooks[kind]
          if (value !== undefined) {
            hooks[kind] = wrapHookValue(Array.isArray(value) ? value.slice() : value, (fn) =>
              wrapHook(kind, fn),
            )
          }
        }
        args[i] = hooks
      }
    }
    return setNotFoundHandler.apply(this, args)
  }

  target.addContentTypeParser = function tracedAddContentTypeParser(
    this: unknown,
    ...args: unknown[]
  ) {
    const last = args.length - 1
    const parser = args[last]
    if (typeof parser === 'function') {
      args[last] = withRequestContext(
        parser as AnyFunction,
        hookSite('contentTypeParser', `content-type parser "${functionName(parser)}"`),
        0,
      )
    }
    return addContentTypeParser.apply(this, args)
  }
}

/**
 * The Fastify plugin: one SERVER span per request, started in the first `onRequest` hook, and the
 * request's context active in every hook, the handler, parsers and error handlers. Register it
 * first (before the plugins and routes it should see) and await it.
 * @example
 * await app.register(tracingPlugin, { ignore: ['/healthz'] })
 * @see https://github.com/tracehop/tracehop/blob/main/docs/fastify.md
 */
export const tracingPlugin = fp(plugin, {
  name: PACKAGE,
  fastify: '4.x || 5.x',
})
