import { context } from '@opentelemetry/api'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createRequestLifecycle } from './lifecycle.js'
import type { RequestTrace, TraceOptions } from './types.js'

/** A node:http request listener, sync or async. */
export type RequestHandler<
  Request extends IncomingMessage = IncomingMessage,
  Response extends ServerResponse = ServerResponse,
> = (request: Request, response: Response) => unknown

function recordRejection(this: RequestTrace, error: unknown): never {
  this.recordError(error)
  throw error
}

/**
 * Wraps a node:http request listener: every request gets a SERVER span, runs inside its context
 * and ends once after the response is written. Errors the handler throws (or its promise
 * rejects with) are recorded and passed on unchanged. Set the route with
 * `getRequestTrace(req).setRoute('/users/:id')` when your router knows it.
 * @example
 * http.createServer(traceHandler((req, res) => res.end('ok'), { ignore: ['/healthz'] })).listen(3000)
 */
export function traceHandler<Request extends IncomingMessage, Response extends ServerResponse>(
  handler: RequestHandler<Request, Response>,
  options?: TraceOptions,
): (this: unknown, request: Request, response: Response) => unknown {
  if (typeof handler !== 'function') {
    throw new TypeError(
      `@tracehop/core: traceHandler needs a request handler function; received ${handler === null ? 'null' : typeof handler}`,
    )
  }
  const lifecycle = createRequestLifecycle(options, '@tracehop/core')
  return function tracedHandler(this: unknown, request: Request, response: Response): unknown {
    const requestTrace = lifecycle.start(request, response)
    if (requestTrace === undefined) return handler.call(this, request, response)
    let result: unknown
    try {
      result = context.with(requestTrace.context, handler, this, request, response)
    } catch (error) {
      requestTrace.recordError(error)
      throw error
    }
    if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
      return (result as PromiseLike<unknown>).then(undefined, recordRejection.bind(requestTrace))
    }
    return result
  }
}
