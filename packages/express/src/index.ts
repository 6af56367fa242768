// The public face of @tracehop/express. Named exports only.

export { traceErrors, traceMiddleware } from './middleware.js'
export {
  getRequestContext,
  getRequestSpan,
  logFields,
  tryGetRequestContext,
  tryGetRequestSpan,
} from './accessors.js'
export type {
  NextFunction,
  TraceErrorMiddleware,
  TraceMiddleware,
  TraceMiddlewareOptions,
} from './types.js'

// Core helpers a handler needs, so an Express app depends on this package alone.
export {
  getRequestTrace,
  runInRequestContext,
  setRequestAttributes,
  setRequestBaggage,
  tryGetRequestTrace,
} from '@tracehop/core'
export type { LogFields, RequestTrace } from '@tracehop/core'
