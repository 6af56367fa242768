import { context, trace, type Context } from '@opentelemetry/api'
import { reportLostContext } from '@tracehop/core'
import { PACKAGE } from './constants.js'
import {
  kDiagnostics,
  kEntry,
  kLast,
  kTrace,
  TracedRequestTracing,
  type HookSite,
} from './request-tracing.js'

/** The request lifecycle hooks whose functions receive the request (and so get its context). */
export const REQUEST_HOOKS: ReadonlySet<string> = new Set([
  'onRequest',
  'preParsing',
  'preValidation',
  'preHandler',
  'preSerialization',
  'onSend',
  'onResponse',
  'onError',
  'onTimeout',
  'onRequestAbort',
])

// Entered one after another from the previous step's `done()` / settled promise: a foreign context
// at their entry means the step before lost it. The others start from socket events by nature.
const CHAINED: ReadonlySet<string> = new Set([
  'onRequest',
  'preParsing',
  'preValidation',
  'preHandler',
  'handler',
  'preSerialization',
  'onSend',
  'onError',
  'errorHandler',
  'notFoundHandler',
])

/** Creates the description of one hook function for the diagnostic. */
export function hookSite(kind: string, label: string): HookSite {
  return { kind, label, checked: CHAINED.has(kind) }
}

/** Names a function for a diagnostic: its name, or `<anonymous>`. */
export function functionName(fn: unknown): string {
  const name = typeof fn === 'function' ? fn.name : ''
  return name === '' ? '<anonymous>' : name.replace(/^bound /, '')
}

interface RequestLike {
  tracing?: unknown
}

const kWrapped = Symbol('tracehop.fastify.wrapped')

type AnyFunction = ((...args: never[]) => unknown) & { [kWrapped]?: true }

// Fastify tells async hooks from callback hooks by `fn.length` and `fn.constructor.name`.
const AsyncFunctionPrototype = Object.getPrototypeOf(async function () {}) as object

/** `true` for functions tracehop made. */
export function isWrapped(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as AnyFunction)[kWrapped] === true
}

/**
 * Wraps a hook, handler or parser so it runs inside its request's context, keeping the arity,
 * the name and the async-ness Fastify inspects. `requestAt` is the argument holding the request
 * (`1` for error handlers). One wrapper per function and site, made when it is registered.
 */
export function withRequestContext<F extends AnyFunction>(
  fn: F,
  site: HookSite,
  requestAt: 0 | 1,
): F {
  if (fn[kWrapped] === true) return fn
  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    const ctx = contextToEnter(site, args[requestAt] as RequestLike | undefined)
    return ctx === undefined
      ? Reflect.apply(fn, this, args)
      : context.with(ctx, Reflect.apply as (...a: unknown[]) => unknown, undefined, fn, this, args)
  }
  Object.defineProperty(wrapper, 'length', { value: fn.length })
  Object.defineProperty(wrapper, 'name', { value: fn.name })
  if (Object.getPrototypeOf(fn) === AsyncFunctionPrototype) {
    Object.setPrototypeOf(wrapper, AsyncFunctionPrototype)
  }
  Object.defineProperty(wrapper, kWrapped, { value: true })
  return wrapper as unknown as F
}

/**
 * The context a step must enter, or `undefined` when the right one is already active (or the
 * request is not traced). Also runs the lost-context check for chained steps.
 */
function contextToEnter(site: HookSite, request: RequestLike | undefined): Context | undefined {
  const tracing = request?.tracing
  if (!(tracing instanceof TracedRequestTracing)) return undefined
  const target = tracing[kTrace].context
  const active = context.active()
  if (site.checked) {
    const previous = tracing[kLast]
    const previousEntry = tracing[kEntry]
    tracing[kLast] = site
    tracing[kEntry] = active
    if (active !== target && tracing[kDiagnostics]) {
      checkLost(active, previousEntry, previous, site, tracing)
    }
  }
  return active === target ? undefined : target
}

function checkLost(
  active: Context,
  previousEntry: Context,
  previous: HookSite,
  site: HookSite,
  tracing: TracedRequestTracing,
): void {
  // The step before was itself entered with this context and kept it: the loss happened earlier
  // and was reported there (Fastify chains a promise hook from where it was called).
  // Right after tracehop's own onRequest hook there is no step of the app to name.
  if (active === previousEntry || previous.kind === 'start') return
  // A context of the same trace (a child span, or the request's context before a hook added
  // baggage) is not lost.
  const activeSpan = trace.getSpan(active)
  const requestTrace = tracing[kTrace]
  if (
    activeSpan !== undefined &&
    activeSpan.spanContext().traceId === requestTrace.span.spanContext().traceId
  ) {
    return
  }
  // core's rule: one warning per hook (as labelled), naming the step that ran before it
  reportLostContext(PACKAGE, site.label, previous.label)
}

/** Wraps each function of a hook option (one function or an array), in place for arrays. */
export function wrapHookValue(value: unknown, wrap: (fn: AnyFunction) => AnyFunction): unknown {
  if (typeof value === 'function') return wrap(value as AnyFunction)
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i]
      if (typeof item === 'function' && !isWrapped(item)) value[i] = wrap(item as AnyFunction)
    }
  }
  return value
}

/** Any hook, handler or parser function. */
export type { AnyFunction }
