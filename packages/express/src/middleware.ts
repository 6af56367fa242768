import { context } from '@opentelemetry/api'
import { createRequestLifecycle, tryGetRequestTrace } from '@tracehop/core'
import type { IncomingMessage } from 'node:http'
import { anchorStack, RequestState, routerOf, setState, stateOf } from './anchor.js'
import { OWNER } from './constants.js'
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

/**
 * Express 4 / 5 middleware that opens one SERVER span per request and keeps the request's context
 * active in every later middleware, route handler and error handler. Register it first.
 * Options are validated here, once: a bad option throws a `TypeError`.
 * @example
 * app.use(traceMiddleware({ ignore: ['/healthz'] }))
 * @see https://github.com/tracehop/tracehop/blob/main/docs/express.md
 */
export function traceMiddleware(options?: TraceMiddlewareOptions): TraceMiddleware {
  const lifecycle = createRequestLifecycle(options, OWNER)
  const diagnostics = lifecycle.diagnostics
  // one middleware instance nearly always serves one app: remember its router
  let lastApp: AppLike | undefined
  let lastRouter: StackOwner | undefined
  return function tracehopMiddleware(request, response, next) {
    const req = request as ExpressRequest
    if (stateOf(req) !== undefined) {
      // Registered again inside a mounted sub-app: only anchor that app's layers.
      const router = routerOf(req.app)
      if (router !== undefined) anchorStack(router)
      next()
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
    }
    if (router !== undefined) anchorStack(router)
    setState(requestTrace, new RequestState(requestTrace, diagnostics, req.baseUrl ?? ''))
    if (context.active() === requestTrace.context) next()
    else context.with(requestTrace.context, next)
  }
}

/**
 * Error middleware (four arguments) that records the error passed to `next(err)` or thrown by a
 * handler on the request's span, then passes it on unchanged. An error carrying a 4xx `status` or
 * `statusCode` is recorded without marking the span as an error. Register it after your routes.
 * @example
 * app.use(traceErrors())
 */
export function traceErrors(): TraceErrorMiddleware {
  return function tracehopErrors(error: unknown, request, _response, next: NextFunction) {
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
