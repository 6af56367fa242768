import { context as contextApi, trace as traceApi, type Context } from '@opentelemetry/api'
import {
  ADAPTER_STATE_KEY,
  REQUEST_TRACE_KEY,
  reportLostContext,
  type RequestTrace,
} from '@tracehop/core'
import { OWNER } from './constants.js'
import type {
  AppLike,
  ErrorMethod,
  Layer,
  ParamCallback,
  RequestMethod,
  RouteLike,
  StackOwner,
} from './layers.js'
import { describeMount, joinRoute, mountTemplate, routePath } from './route-template.js'

// Re-anchoring. Express looks each layer's `handle_request`/`handle_error` (Express 4) or
// `handleRequest`/`handleError` (Express 5) up on the layer object when it runs it. tracehop sets
// those as own properties of the layers of the app it runs in (and, lazily, of nested routers and
// routes when they are first entered), pointing to one shared function that re-enters the
// request's context and then calls the original method. The layer keeps its `handle`, so Express's
// arity checks (4 arguments = error handler), `layer.name` and route listing tools see the user's
// function unchanged. Nothing in the `express` module is touched: other apps in the process, and
// layers of apps tracehop never runs in, are left as they are. Marks use `Symbol.for` so that two
// loaded copies of this package (ESM and CJS) never wrap the same layer twice.

const kOwner = Symbol.for('tracehop.express.owner')
const kOriginalRequest = Symbol.for('tracehop.express.original-request')
const kOriginalError = Symbol.for('tracehop.express.original-error')
const kKind = Symbol.for('tracehop.express.kind')
const kParam = Symbol.for('tracehop.express.param')
const kSubRouter = Symbol.for('tracehop.express.sub-router')
const kAnchoredLength = Symbol.for('tracehop.express.anchored-length')

// What the layer hooks read from other packages at every layer of every request, read once: in
// the CommonJS build each use of an import is a getter call on the exporting module (the profile
// of 20 layers on Node 20 charged about 1.2 µs a request to the two keys' getters).
const context = contextApi
const kRequestTrace: typeof REQUEST_TRACE_KEY = REQUEST_TRACE_KEY
const kAdapterState: typeof ADAPTER_STATE_KEY = ADAPTER_STATE_KEY

/** What a layer is, for the bookkeeping at its entry. */
const enum Kind {
  /** A handler inside a route (`app.get(path, a, b)`). */
  InRoute,
  /** Middleware (`app.use(fn)`, `app.use(path, fn)`). */
  Plain,
  /** The layer of a route (`app.get(path, ...)`, `app.route(path)`). */
  Route,
  /** A mounted router. */
  Router,
  /** A mounted sub-app (`app.use(path, otherApp)`). */
  App,
}

interface AnchoredLayer extends Layer {
  [kOwner]?: Owner
  [kOriginalRequest]?: RequestMethod
  [kOriginalError]?: ErrorMethod
  [kKind]?: Kind
  [kSubRouter]?: Owner
}

type Owner = StackOwner & { [kAnchoredLength]?: number }

// Placeholder owner for a mount whose router is only known once one of its layers runs
// (a mounted sub-app, and the router the trace middleware itself sits in).
const PENDING: unique symbol = Symbol('tracehop.express.pending')

/** A router the request is in, with the route-template prefix it is mounted at. */
class Mount {
  constructor(
    public router: object | typeof PENDING,
    readonly prefix: string | undefined,
    readonly parent: Mount | undefined,
  ) {}
}

/** What the adapter keeps on each traced request. */
export class RequestState {
  /** The innermost router entered by this request; its parents lead to the app's router. */
  mount: Mount
  /** The route template of the route layer last entered (for the layers inside that route). */
  routeTemplate: string | undefined = undefined
  previous: AnchoredLayer | undefined = undefined
  previousPrefix: string | undefined = undefined
  /** The error traceErrors() last recorded, so that a second traceErrors() does not repeat it. */
  recordedError: unknown = undefined

  constructor(
    readonly trace: RequestTrace,
    readonly diagnostics: boolean,
    basePrefix: string,
  ) {
    this.mount = new Mount(PENDING, basePrefix, undefined)
  }
}

/** The request's trace, with the slot core keeps on it for the adapter driving the request. */
interface TraceWithState {
  [kAdapterState]?: unknown
}

interface StatefulRequest {
  [kRequestTrace]?: TraceWithState
  app?: AppLike
}

/**
 * The adapter's state of a request, kept on the request's trace rather than on `req`: Express
 * re-prototypes `req`, and V8 adds a property to such an object in its runtime (about a
 * microsecond), while the trace object always has the same shape. Shared by every loaded copy.
 */
export function stateOf(req: unknown): RequestState | undefined {
  return (req as StatefulRequest | undefined)?.[kRequestTrace]?.[kAdapterState] as
    RequestState | undefined
}

/** Gives a request's trace its adapter state. */
export function setState(requestTrace: RequestTrace, state: RequestState): void {
  ;(requestTrace as TraceWithState)[kAdapterState] = state
}

/** The router of an Express 4 (`app._router`) or Express 5 (`app.router`) application. */
export function routerOf(app: AppLike | undefined): StackOwner | undefined {
  if (app === undefined || app === null) return undefined
  let router = app._router
  if (router === undefined) {
    try {
      router = app.router
    } catch {
      return undefined // Express 4's `app.router` is a getter that throws
    }
  }
  return router !== undefined && router !== null && Array.isArray(router.stack) ? router : undefined
}

/** Anchors every not yet anchored layer of a router's or a route's stack. */
export function anchorStack(owner: Owner, inRoute = false): void {
  const stack = owner.stack
  if (owner[kAnchoredLength] === stack.length) return
  for (let i = 0; i < stack.length; i++) {
    const layer = stack[i] as AnchoredLayer | undefined
    if (layer !== undefined && layer[kOwner] === undefined) anchorLayer(layer, owner, inRoute)
  }
  if (!inRoute) anchorParams(owner.params)
  owner[kAnchoredLength] = stack.length
}

// `router.param()` callbacks run between a layer's match and its entry, so the layer's own
// re-anchoring comes too late for them: each one is wrapped (once) to re-enter the context itself.
function anchorParams(params: Record<string, unknown> | undefined): void {
  if (typeof params !== 'object' || params === null) return
  for (const name of Object.keys(params)) {
    const callbacks = params[name]
    if (!Array.isArray(callbacks)) continue
    for (let i = 0; i < callbacks.length; i++) {
      const callback: unknown = callbacks[i]
      if (typeof callback === 'function' && !(kParam in callback))
        callbacks[i] = anchoredParam(callback as ParamCallback)
    }
  }
}

function anchoredParam(callback: ParamCallback): ParamCallback {
  const anchored = function tracehopParam(
    this: unknown,
    req: unknown,
    res: unknown,
    next: unknown,
    value: unknown,
    name: unknown,
  ): unknown {
    const state = stateOf(req)
    if (state === undefined || context.active() === state.trace.context)
      return callback.call(this, req, res, next, value, name)
    return context.with(state.trace.context, callback, this, req, res, next, value, name)
  }
  Object.defineProperty(anchored, kParam, { value: callback })
  return anchored
}

function anchorLayer(layer: AnchoredLayer, owner: Owner, inRoute: boolean): void {
  if (typeof layer.handleRequest === 'function' && typeof layer.handleError === 'function') {
    layer[kOriginalRequest] = layer.handleRequest
    layer[kOriginalError] = layer.handleError
    layer.handleRequest = anchoredRequest
    layer.handleError = anchoredError
  } else if (
    typeof layer.handle_request === 'function' &&
    typeof layer.handle_error === 'function'
  ) {
    layer[kOriginalRequest] = layer.handle_request
    layer[kOriginalError] = layer.handle_error
    layer.handle_request = anchoredRequest
    layer.handle_error = anchoredError
  } else {
    return // not a layer this package knows: leave it alone
  }
  layer[kOwner] = owner
  // Decided once here rather than at every request; Express sets `layer.route` before it
  // pushes the layer on the stack.
  layer[kKind] = inRoute
    ? Kind.InRoute
    : layer.route !== undefined
      ? Kind.Route
      : isRouter(layer.handle)
        ? Kind.Router
        : layer.name === 'mounted_app'
          ? Kind.App
          : Kind.Plain
}

function isRouter(handle: unknown): handle is Owner {
  return typeof handle === 'function' && Array.isArray((handle as Partial<StackOwner>).stack)
}

function anchoredRequest(this: AnchoredLayer, req: unknown, res: unknown, next: unknown): unknown {
  const original = this[kOriginalRequest]!
  const state = stateOf(req)
  // a layer Express skips (an error handler on the request path) needs no context
  if (state === undefined || this.handle.length > 3) return original.call(this, req, res, next)
  const kind = this[kKind]
  if (kind === Kind.Route)
    next = leavingRoute(state, next as NextFunction, res as Answerable, state.trace.route)
  const active = context.active()
  const ctx = enter(this, req as StatefulRequest, state, active)
  if (kind === Kind.App) return enterSubApp(this, original, req as StatefulRequest, res, next)
  return active === ctx
    ? original.call(this, req, res, next)
    : context.with(ctx, original, this, req, res, next)
}

type NextFunction = (error?: unknown) => unknown

interface Answerable {
  headersSent?: boolean
}

/**
 * The `next` a route layer gets. When the route passes the request on without answering it
 * (`next()`, `next('route')`, `next('router')`), the route it named is taken back: a later route
 * names the request, or none does (a 404, or middleware after the routes answering). An error
 * keeps the route: the request failed in it.
 */
function leavingRoute(
  state: RequestState,
  next: NextFunction,
  res: Answerable,
  routeBefore: string | undefined,
): NextFunction {
  const templateBefore = state.routeTemplate
  return function tracehopLeaveRoute(error?: unknown): unknown {
    if (
      (error === undefined || error === null || error === 'route' || error === 'router') &&
      res.headersSent !== true
    ) {
      state.routeTemplate = templateBefore
      state.trace.setRoute(routeBefore)
    }
    return next(error)
  }
}

/**
 * Runs a mounted sub-app's layer with the sub-app's router anchored before its first layer runs.
 * The mount layer's handle is a closure over the sub-app, so the sub-app is only known once
 * Express has switched `req`'s prototype to it; both versions read `res.locals` right after that
 * switch (Express 4 in its init middleware, Express 5 in `app.handle`). On the first request
 * through the mount, a one-shot accessor on `res.locals` catches that read and anchors the
 * sub-app's router; the router is then kept on the mount layer for the requests that follow.
 */
function enterSubApp(
  layer: AnchoredLayer,
  original: RequestMethod,
  req: StatefulRequest,
  res: unknown,
  next: unknown,
): unknown {
  const ctx = stateOf(req)!.trace.context
  const known = layer[kSubRouter]
  if (known !== undefined) {
    anchorStack(known)
    return context.with(ctx, original, layer, req, res, next)
  }
  const parent = req.app
  const adopt = (): boolean => {
    const app = req.app
    if (app === parent) return false
    const router = routerOf(app)
    if (router !== undefined) {
      anchorStack(router)
      layer[kSubRouter] = router
    }
    return true
  }
  const restore = watchLocals(res as object, adopt)
  try {
    return context.with(ctx, original, layer, req, res, next)
  } finally {
    restore()
    if (layer[kSubRouter] === undefined) adopt() // the sub-app never read res.locals
  }
}

/** Calls `onRead` on reads and writes of `res.locals` until it returns `true`; returns the undo. */
function watchLocals(res: object, onRead: () => boolean): () => void {
  const descriptor = Object.getOwnPropertyDescriptor(res, 'locals')
  if (descriptor !== undefined && (descriptor.configurable !== true || !('value' in descriptor)))
    return noop
  let value: unknown = descriptor?.value
  let watching = true
  const restore = (): void => {
    if (!watching) return
    watching = false
    if (descriptor === undefined && value === undefined) {
      delete (res as { locals?: unknown }).locals
    } else {
      Object.defineProperty(res, 'locals', {
        value,
        writable: true,
        enumerable: descriptor?.enumerable ?? true,
        configurable: true,
      })
    }
  }
  Object.defineProperty(res, 'locals', {
    configurable: true,
    enumerable: descriptor?.enumerable ?? true,
    get() {
      if (onRead()) restore()
      return value
    },
    set(next: unknown) {
      value = next
      if (onRead()) restore()
    },
  })
  return restore
}

function noop(): void {}

function anchoredError(
  this: AnchoredLayer,
  error: unknown,
  req: unknown,
  res: unknown,
  next: unknown,
): unknown {
  const original = this[kOriginalError]!
  const state = stateOf(req)
  if (state === undefined || this.handle.length !== 4)
    return original.call(this, error, req, res, next)
  const active = context.active()
  const ctx = enter(this, req as StatefulRequest, state, active)
  return active === ctx
    ? original.call(this, error, req, res, next)
    : context.with(ctx, original, this, error, req, res, next)
}

/** The template prefix of `owner` for this request, dropping routers the request has left. */
function prefixOf(state: RequestState, owner: object): string | undefined {
  const top = state.mount
  for (let mount: Mount | undefined = top; mount !== undefined; mount = mount.parent) {
    if (mount.router === owner) {
      state.mount = mount
      return mount.prefix
    }
  }
  // The first layer that runs inside a mount whose router was not known yet claims it.
  if (top.router === PENDING) {
    top.router = owner
    return top.prefix
  }
  return undefined
}

/** Bookkeeping at layer entry: route template, nested anchoring, diagnostics. Returns the context to run in. */
function enter(
  layer: AnchoredLayer,
  req: StatefulRequest,
  state: RequestState,
  active: Context,
): Context {
  const kind = layer[kKind]
  let prefix: string | undefined
  if (kind === Kind.InRoute) {
    prefix = state.routeTemplate
  } else {
    prefix = prefixOf(state, layer[kOwner]!)
    if (kind === Kind.Route) {
      const route = layer.route as RouteLike & Owner
      anchorStack(route, true)
      const path = routePath(layer, req)
      const template =
        prefix === undefined || path === undefined ? undefined : joinRoute(prefix, path)
      state.routeTemplate = template
      if (template !== undefined) state.trace.setRoute(template)
    } else if (kind === Kind.Router) {
      anchorStack(layer.handle as Owner)
      const own = prefix === undefined ? undefined : joinMount(prefix, layer, req)
      state.mount = new Mount(layer.handle, own, state.mount)
    } else if (kind === Kind.App) {
      const own = prefix === undefined ? undefined : joinMount(prefix, layer, req)
      state.mount = new Mount(PENDING, own, state.mount)
    }
  }

  const ctx = state.trace.context
  if (active !== ctx && state.diagnostics && !sameTrace(active, state.trace)) {
    reportLost(layer, prefix, state)
  }
  state.previous = layer
  state.previousPrefix = prefix
  return ctx
}

function joinMount(prefix: string, layer: Layer, req: object): string | undefined {
  const own = mountTemplate(layer, req)
  return own === undefined ? undefined : prefix + own
}

function sameTrace(active: Context, requestTrace: RequestTrace): boolean {
  const span = traceApi.getSpan(active)
  return (
    span !== undefined && span.spanContext().traceId === requestTrace.span.spanContext().traceId
  )
}

function label(layer: AnchoredLayer, prefix: string | undefined): string {
  const where =
    layer[kKind] === Kind.InRoute
      ? (prefix ?? '?')
      : joinRoute(prefix ?? '', describeMount(layer)) || '/'
  return `"${layer.name}" (${where})`
}

// core's rule: one warning per layer (as labelled: function name and mount path), naming the
// layer that ran before it
function reportLost(layer: AnchoredLayer, prefix: string | undefined, state: RequestState): void {
  const previous = state.previous
  const culprit =
    previous === undefined
      ? 'the tracehop middleware itself (is something wrapping the app?)'
      : label(previous, state.previousPrefix)
  reportLostContext(OWNER, `layer ${label(layer, prefix)}`, culprit)
}
