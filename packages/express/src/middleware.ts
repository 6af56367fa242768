import { context, diag } from '@opentelemetry/api'
import {
  createRequestLifecycle,
  reserveRequestTraceSlots,
  tryGetRequestTrace,
} from '@tracehop/core'
import type { IncomingMessage } from 'node:http'
import { anchorStack, RequestState, routerOf, setState, stateOf } from './anchor.js'
import { OWNER } from './constants.js'
import { checkFirstLayer } from './first-layer.js'
import { factoryCaller, givenToFastify, isNodeResponse, registeredUncalled } from './misuse.js'
import type { AppLike, StackOwner } from './layers.js'
import type {
  NextFunction,
  TraceErrorMiddleware,
  TraceMiddleware,
  TraceMiddlewareOptions,
} from './types.js'

interface ExpressRequest extends IncomingMessage {
  app?: AppLike
  baseUrl?: string
}

// What `app.use(traceMiddleware)` / `app.use(traceErrors)` run: made on their first call.
let uncalledMiddleware: TraceMiddleware | undefined
let uncalledErrors: TraceErrorMiddleware | undefined

/**
 * Express 4 / 5 middleware that opens one SERVER span per request and keeps the request's context
 * active in every later middleware, route handler and error handler. Register it first.
 * Options are validated here, once: a bad option throws a `TypeError`.
 * @example
 * app.use(traceMiddleware({ ignore: ['/healthz'] }))
 * @see https://github.com/tracehop/tracehop/blob/main/docs/express.md
 */
export function traceMiddleware(options?: TraceMiddlewareOptions): TraceMiddleware {
  // `app.use(traceMiddleware)` makes Express call this factory for every request. Failing those
  // requests would turn a tracing slip into an outage, so they are traced with the defaults and
  // the fix is named once.
  // eslint-disable-next-line prefer-rest-params
  const caller = factoryCaller(arguments, false)
  if (caller !== undefined) {
    // eslint-disable-next-line prefer-rest-params
    const [request, response, next] = arguments as unknown as Parameters<TraceMiddleware>
    if (caller === 'fastify') {
      next(givenToFastify('traceMiddleware'))
    } else {
      if (uncalledMiddleware === undefined) {
        diag.warn(registeredUncalled('traceMiddleware'))
        uncalledMiddleware = makeMiddleware(undefined, traceMiddleware)
      }
      uncalledMiddleware(request, response, next)
    }
    return undefined as unknown as TraceMiddleware
  }
  return makeMiddleware(options, undefined)
}

function makeMiddleware(
  options: TraceMiddlewareOptions | undefined,
  registered: unknown,
): TraceMiddleware {
  const lifecycle = createRequestLifecycle(options, OWNER)
  // Express re-prototypes every `req` before this middleware sees it: on Node 20 and 22, adding
  // the trace's property afterwards would cost 2.5-3.5 µs a request, filling one it already has far less
  reserveRequestTraceSlots()
  const diagnostics = lifecycle.diagnostics
  // one middleware instance nearly always serves one app: remember its router
  let lastApp: AppLike | undefined
  let lastRouter: StackOwner | undefined
  const middleware: TraceMiddleware = function tracehopMiddleware(request, response, next) {
    const req = request as ExpressRequest
    if (stateOf(req) !== undefined) {
      // Registered again inside a mounted sub-app: only anchor that app's layers.
      const router = routerOf(req.app)
      if (router !== undefined) anchorStack(router)
      next()
      return
    }
    // a Fastify hook or `app.register(traceMiddleware())` passes no Node response
    if (!isNodeResponse(response)) {
      failOnFastify(response, next, 'traceMiddleware')
      return
    }
    const requestTrace = lifecycle.start(request, response)
    if (requestTrace === undefined) {
      next()
      return
    }
    const app = req.app
    let router = lastRouter
    if (app !== lastApp || router === undefined) {
      router = routerOf(app)
      lastApp = app
      lastRouter = router
      if (router !== undefined) checkFirstLayer(router, [middleware, registered])
    }
    if (router !== undefined) anchorStack(router)
    setState(requestTrace, new RequestState(requestTrace, diagnostics, req.baseUrl ?? ''))
    if (context.active() === requestTrace.context) next()
    else context.with(requestTrace.context, next)
  }
  return middleware
}

/**
 * Reports this middleware given to Fastify: through the callback Fastify passed (`done` of
 * `register`, or of a hook), whichever argument it is.
 */
function failOnFastify(
  response: unknown,
  next: unknown,
  name: 'traceMiddleware' | 'traceErrors',
): void {
  const error = givenToFastify(name)
  if (typeof next === 'function') (next as NextFunction)(error)
  else if (typeof response === 'function') (response as NextFunction)(error)
  else throw error
}

/**
 * Error middleware (four arguments) that records the error passed to `next(err)` or thrown by a
 * handler on the request's span, then passes it on unchanged. An error carrying a 4xx `status` or
 * `statusCode` is recorded without marking the span as an error. Register it after your routes.
 * @example
 * app.use(traceErrors())
 */
export function traceErrors(): TraceErrorMiddleware {
  // eslint-disable-next-line prefer-rest-params
  const caller = factoryCaller(arguments, true)
  if (caller !== undefined) {
    // eslint-disable-next-line prefer-rest-params
    const args = arguments as unknown as Parameters<TraceErrorMiddleware>
    if (caller === 'fastify') {
      ;(args[2] as unknown as NextFunction)(givenToFastify('traceErrors'))
    } else {
      if (uncalledErrors === undefined) {
        diag.warn(registeredUncalled('traceErrors'))
        uncalledErrors = traceErrors()
      }
      uncalledErrors(...args)
    }
    return undefined as unknown as TraceErrorMiddleware
  }
  return function tracehopErrors(error: unknown, request, response, next: NextFunction) {
    if (typeof next !== 'function' || !isNodeResponse(response)) {
      failOnFastify(response, next, 'traceErrors')
      return
    }
    const state = stateOf(request)
    if (state === undefined) {
      tryGetRequestTrace(request)?.recordError(error)
    } else if (state.recordedError !== error) {
      // the same error passing a second traceErrors() (nested routers) is recorded once
      state.recordedError = error
      state.trace.recordError(error)
    }
    next(error)
  }
}
// Express tells error middleware by its four parameters: `app.use(traceErrors)` must be one too,
// so that Express passes it errors (and skips it otherwise) like the middleware it should be.
Object.defineProperty(traceErrors, 'length', { value: 4 })
