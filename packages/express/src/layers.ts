// The parts of Express's internal router objects tracehop reads. Express does not type them and
// they differ between Express 4 (`express/lib/router`), `router` 2.0-2.2 and `router` >= 2.3
// (Express 5), so every field is optional and read defensively.

/** A function with the property Express routers carry. */
export interface StackOwner {
  stack: Layer[]
  /** `router.param(name, fn)` callbacks by parameter name (routers only). */
  params?: Record<string, unknown>
}

/** A `router.param()` callback. */
export type ParamCallback = (
  this: unknown,
  req: unknown,
  res: unknown,
  next: unknown,
  value: unknown,
  name: unknown,
) => unknown

/** Any function Express calls as a handler (`(req, res, next)` or `(err, req, res, next)`). */
export type AnyHandler = ((...args: never[]) => unknown) & Partial<StackOwner>

/** A route created by `app.get()`, `router.route()`, ... */
export interface RouteLike extends StackOwner {
  path: string | RegExp | readonly (string | RegExp)[]
  /** The methods the route answers, lowercase (`_all` for `app.all()`). */
  methods?: Record<string, boolean>
}

/** Express 4 key objects from path-to-regexp 0.1, or plain names in `router` 2.0-2.2. */
export type LayerKey = string | number | { name: string | number }

/** One entry of a router's or a route's stack. */
export interface Layer {
  handle: AnyHandler
  name: string
  route?: RouteLike
  // router >= 2.3: the pattern exactly as registered.
  rawPath?: string | RegExp | readonly (string | RegExp)[]
  // Express 4 and router < 2.3: the last match, written on the shared layer.
  path?: string
  keys?: readonly LayerKey[]
  params?: Record<string, unknown>
  regexp?: RegExp
  // Express 4 names
  handle_request?: RequestMethod
  handle_error?: ErrorMethod
  // Express 5 names
  handleRequest?: RequestMethod
  handleError?: ErrorMethod
}

/** `Layer#handle_request` / `Layer#handleRequest`. */
export type RequestMethod = (this: Layer, req: unknown, res: unknown, next: unknown) => unknown

/** `Layer#handle_error` / `Layer#handleError`. */
export type ErrorMethod = (
  this: Layer,
  error: unknown,
  req: unknown,
  res: unknown,
  next: unknown,
) => unknown

/** The Express application as seen from `req.app`. */
export interface AppLike {
  _router?: StackOwner
  router?: StackOwner
}
