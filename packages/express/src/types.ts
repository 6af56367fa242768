import type { TraceOptions } from '@tracehop/core'
import type { IncomingMessage, ServerResponse } from 'node:http'

/**
 * Options of `traceMiddleware()`: every option of the core engine (`ignore`, `trust`, `baggage`,
 * `captureHeaders`, `redactHeaders`, `redactQueryParams`, `spanName`, `requestHook`,
 * `responseHook`, `isError`, `metrics`, `tracerProvider`, `meterProvider`, `propagator`,
 * `lostContextDiagnostics`).
 * @see https://github.com/tracehop/tracehop/blob/main/docs/express.md
 */
export type TraceMiddlewareOptions = TraceOptions

/** Express's `next`: no argument to go on, an error to skip to error handlers. */
export type NextFunction = (error?: unknown) => void

/**
 * The middleware `traceMiddleware()` returns. Typed on `node:http` so that it fits Express 4 and 5
 * (`express.Request` extends `IncomingMessage`) without depending on `@types/express`.
 */
export type TraceMiddleware = (
  request: IncomingMessage,
  response: ServerResponse,
  next: NextFunction,
) => void

/** The four-argument error middleware `traceErrors()` returns. */
export type TraceErrorMiddleware = (
  error: unknown,
  request: IncomingMessage,
  response: ServerResponse,
  next: NextFunction,
) => void
