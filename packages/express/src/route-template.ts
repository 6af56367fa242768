import type { Layer, LayerKey } from './layers.js'

// Where the route template of a layer comes from, best source first:
// 1. `layer.rawPath` (router >= 2.3, Express 5): the pattern exactly as the user registered it.
// 2. `route.path` for route layers (every version): the route's own template.
// 3. Express 4 / router < 2.3 mount layers keep no pattern, only the last match on the shared
//    layer object: a parameter-free mount is read back from its regexp (exact, with the
//    registered letter case); a mount with parameters is rebuilt from the matched path by putting
//    `:name` back where each parameter's value stands, right to left.
// A template that cannot be rebuilt is `undefined`: no route is better than a route carrying ids.

const kLiteral = Symbol.for('tracehop.express.literal')
const MATCHED_ROUTE = 'router.tracing.matchedRoute'
let matchedRouteKey: symbol | undefined

const kTemplate = Symbol.for('tracehop.express.template')

interface LiteralCache {
  [kLiteral]?: string | null
}

interface TemplateCache {
  [kTemplate]?: string
}

/** Drops a trailing slash: mount paths join without doubling it, and `/` mounts add nothing. */
function trimSlash(path: string): string {
  return path.length > 0 && path.charCodeAt(path.length - 1) === 47 ? path.slice(0, -1) : path
}

function keyName(key: LayerKey): string {
  return typeof key === 'object' ? String(key.name) : String(key)
}

function decodeSegment(segment: string): string {
  if (segment.indexOf('%') === -1) return segment
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

/** The pattern router >= 2.3 recorded on the request for the layer it is about to run. */
function matchedPattern(req: object): unknown {
  if (matchedRouteKey === undefined) {
    // The router keeps the matched pattern under a private symbol; found once by its description.
    matchedRouteKey = Object.getOwnPropertySymbols(req).find(
      (symbol) => symbol.description === MATCHED_ROUTE,
    )
    if (matchedRouteKey === undefined) return undefined
  }
  return (req as Record<symbol, unknown>)[matchedRouteKey]
}

function patternText(pattern: unknown): string | undefined {
  if (typeof pattern === 'string') return pattern
  if (pattern instanceof RegExp) return String(pattern)
  return undefined
}

/** Reads a parameter-free Express 4 mount path back from the regexp path-to-regexp 0.1 made of it. */
function regexpLiteral(layer: Layer & LiteralCache): string | undefined {
  const cached = layer[kLiteral]
  if (cached !== undefined) return cached ?? undefined
  let literal: string | null = null
  const source = layer.regexp?.source
  const suffix = '\\/?(?=\\/|$)'
  if (source !== undefined && source.startsWith('^') && source.endsWith(suffix)) {
    const body = source.slice(1, source.length - suffix.length)
    if (!/[()[\]{}*+?|^$.]/.test(body.replace(/\\./g, ''))) literal = body.replace(/\\(.)/g, '$1')
  }
  layer[kLiteral] = literal
  return literal ?? undefined
}

/**
 * Puts `:name` back in place of each parameter value of a matched mount path, right to left.
 * When a value also appears as a literal segment, each placement is checked against the layer's
 * regexp (Express 4): the template, with probe values in the parameter places, must match it and
 * give back each probe under its own key. The first verified placement is kept for the layer.
 */
function rebuild(
  layer: Layer & TemplateCache,
  path: string,
  keys: readonly LayerKey[],
  params: Record<string, unknown>,
): string | undefined {
  const cached = layer[kTemplate]
  if (cached !== undefined) return cached
  const segments = path.split('/')
  const names = keys.map(keyName)
  const places: number[] = new Array<number>(names.length).fill(-1)
  const regexp = layer.regexp
  let verified = false

  const place = (k: number, end: number): boolean => {
    if (k < 0) {
      if (regexp === undefined) return true
      verified = probe(regexp, segments, places)
      return verified
    }
    const value = params[names[k]!]
    if (value === undefined) return place(k - 1, end) // an optional parameter that did not match
    if (typeof value !== 'string') return false
    for (let s = end - 1; s >= 1; s--) {
      if (decodeSegment(segments[s]!) !== value) continue
      places[k] = s
      if (place(k - 1, s)) return true
    }
    places[k] = -1
    return false
  }
  if (!place(names.length - 1, segments.length)) return undefined
  const template = segments.slice()
  for (let k = 0; k < names.length; k++)
    if (places[k]! !== -1) template[places[k]!] = `:${names[k]}`
  const result = trimSlash(template.join('/'))
  if (verified && !places.includes(-1) && singlePattern(regexp!)) layer[kTemplate] = result
  return result
}

/** `true` when the template with probes in `places` matches `regexp` with each probe in its own group. */
function probe(regexp: RegExp, segments: readonly string[], places: readonly number[]): boolean {
  const probed = segments.slice()
  for (let k = 0; k < places.length; k++) if (places[k]! !== -1) probed[places[k]!] = `\u0000${k}`
  const match = regexp.exec(probed.join('/'))
  if (match === null) return false
  for (let k = 0; k < places.length; k++)
    if (places[k]! !== -1 && match[k + 1] !== `\u0000${k}`) return false
  return true
}

// path-to-regexp 0.1 joins the patterns of an array path with `|`; such a layer has one template
// per pattern, so its template is not kept.
function singlePattern(regexp: RegExp): boolean {
  const source = regexp.source
  return source.split('|').length === source.split('(?=\\/|$)').length
}

/**
 * The template of the path a mount layer (`app.use(path, router)`) consumed, without trailing
 * slash (`''` for a mount at `/`); `undefined` when it cannot be told without ids in it.
 */
export function mountTemplate(layer: Layer, req: object): string | undefined {
  const raw = layer.rawPath
  if (raw !== undefined) {
    if (typeof raw === 'string') return trimSlash(raw)
    const text = patternText(Array.isArray(raw) ? matchedPattern(req) : raw)
    return text === undefined ? undefined : trimSlash(text)
  }
  const keys = layer.keys
  if (keys === undefined || keys.length === 0) {
    const literal = regexpLiteral(layer)
    if (literal !== undefined) return trimSlash(literal)
    // router < 2.3 keeps no regexp: the matched text is the template of a parameter-free mount.
    return layer.regexp === undefined && typeof layer.path === 'string'
      ? trimSlash(layer.path)
      : undefined
  }
  if (typeof layer.path !== 'string' || layer.params === undefined) return undefined
  return rebuild(layer, layer.path, keys, layer.params)
}

/** The template of a route layer's route, as registered. */
export function routePath(layer: Layer, req: object): string | undefined {
  const path = layer.route?.path
  if (typeof path === 'string') return path
  if (path instanceof RegExp) return String(path)
  if (Array.isArray(path)) {
    const matched = layer.rawPath === undefined ? undefined : patternText(matchedPattern(req))
    return matched ?? path.map(String).join(',')
  }
  return undefined
}

/** Joins a mount prefix and a route path the way Express matches them. */
export function joinRoute(prefix: string, path: string): string {
  if (prefix.length === 0) return path
  if (path === '/' || path.length === 0) return prefix
  return path.charCodeAt(0) === 47 ? prefix + path : `${prefix}/${path}`
}

/** Best-effort path a layer was mounted at, for diagnostics only (never for span data). */
export function describeMount(layer: Layer): string {
  if (layer.route !== undefined) return patternText(layer.route.path) ?? String(layer.route.path)
  const raw = layer.rawPath
  if (raw !== undefined) return patternText(raw) ?? String(raw)
  if (layer.keys === undefined || layer.keys.length === 0) return regexpLiteral(layer) || '/'
  return String(layer.regexp ?? '/')
}
