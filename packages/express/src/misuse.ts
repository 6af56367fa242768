// The wiring mistakes tracehop can recognise from the arguments it is called with, without
// importing either framework: the factory registered instead of what it makes
// (`app.use(traceMiddleware)`), and this Express middleware given to Fastify.
import { ServerResponse } from 'node:http'
import { OWNER } from './constants.js'

type Loose = Record<string, unknown>

function isObjectLike(value: unknown): value is Loose {
  return (typeof value === 'object' || typeof value === 'function') && value !== null
}

/** A Fastify instance, as `app.register(plugin)` passes it to the plugin. */
function isFastifyInstance(value: unknown): boolean {
  return (
    isObjectLike(value) &&
    typeof value.register === 'function' &&
    typeof value.addHook === 'function' &&
    typeof value.decorateRequest === 'function'
  )
}

/** A Node request as Express passes it (Fastify's request wraps one in `raw`). */
function isNodeRequest(value: unknown): boolean {
  return (
    isObjectLike(value) &&
    typeof value.method === 'string' &&
    isObjectLike(value.headers) &&
    !isObjectLike(value.raw)
  )
}

/** A Node response, as Express passes it. */
export function isNodeResponse(value: unknown): boolean {
  // `instanceof` first: it walks the prototype chain without looking a property up on an object
  // Express re-prototyped for this request, which on Node 20 and 22 costs 0.4-1 µs
  // (bench/micro/express-access.cjs)
  return (
    value instanceof ServerResponse ||
    (isObjectLike(value) && typeof value.writeHead === 'function')
  )
}

/** The error for this package's middleware given to Fastify (`app.register`, `app.addHook`). */
export function givenToFastify(name: 'traceMiddleware' | 'traceErrors'): Error {
  return new Error(
    `${OWNER}: ${name} is Express middleware and was given to Fastify (app.register or app.addHook); for Fastify use @tracehop/fastify: await app.register(tracingPlugin)`,
  )
}

/**
 * How the factory `traceMiddleware` / `traceErrors` was called: by the app (`'express'`, it was
 * registered itself instead of what it returns), by Fastify's `register` (`'fastify'`), or as
 * meant (`undefined`). `args` are the call's arguments.
 */
export function factoryCaller(
  args: ArrayLike<unknown>,
  errorHandler: boolean,
): 'express' | 'fastify' | undefined {
  if (args.length < 3) return undefined
  if (isFastifyInstance(args[0]) && typeof args[2] === 'function') return 'fastify'
  const at = errorHandler ? 1 : 0
  return args.length === at + 3 &&
    typeof args[at + 2] === 'function' &&
    isNodeRequest(args[at]) &&
    isNodeResponse(args[at + 1])
    ? 'express'
    : undefined
}

/** The warning for a factory registered itself, given once per factory. */
export function registeredUncalled(name: 'traceMiddleware' | 'traceErrors'): string {
  const meanwhile =
    name === 'traceMiddleware'
      ? 'tracing with the default options meanwhile'
      : 'recording errors meanwhile'
  return `${OWNER}: app.use(${name}) registers the factory itself; write app.use(${name}()) (${meanwhile})`
}
