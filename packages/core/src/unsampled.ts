import {
  isSpanContextValid,
  trace,
  TraceFlags,
  type Span,
  type SpanContext,
  type TracerProvider,
  type TraceState,
} from '@opentelemetry/api'
import { INSTRUMENTATION_SCOPE, ROOT_SAMPLERS_KEY, UNSAMPLED_PARENTS_KEY } from './constants.js'

type DeclaredHolder = { [UNSAMPLED_PARENTS_KEY]?: WeakSet<object> }

/**
 * Declares that `tracerProvider` never samples a span whose parent was not sampled: its sampler is
 * parent-based and drops under an unsampled parent, remote or local (the SDK's
 * `ParentBasedSampler` with its default `remoteParentNotSampled` and `localParentNotSampled`).
 *
 * A request whose `traceparent` says not sampled (`-00`) and that the adapters trace through such
 * a provider then never reaches the SDK: the span is one that records nothing, with the caller's
 * trace id, a fresh span id and no sampled flag, exactly what the sampler would have returned,
 * so the same `traceparent` and `tracestate` go downstream. No attribute and no span name is
 * built for it. `@tracehop/node` declares the providers it makes with its own samplers; a
 * sampler of your own is never bypassed. Given the API's global proxy (`trace.getTracerProvider()`,
 * what a `NodeSDK` user has), it declares the provider registered behind it, so call it after the
 * SDK has started. Returns the function that takes the declaration back.
 */
export function declareDropsUnsampledParents(tracerProvider: TracerProvider): () => void {
  const provider = declaredProvider(tracerProvider, 'declareDropsUnsampledParents')
  const holder = globalThis as DeclaredHolder
  const declared = (holder[UNSAMPLED_PARENTS_KEY] ??= new WeakSet())
  declared.add(provider)
  return () => {
    declared.delete(provider)
  }
}

/** Whether `provider`, or the provider behind the API's global proxy, was declared. */
export function dropsUnsampledParents(provider: TracerProvider): boolean {
  const declared = (globalThis as DeclaredHolder)[UNSAMPLED_PARENTS_KEY]
  if (declared === undefined) return false
  return declared.has(delegateOf(provider))
}

/**
 * Decides a new trace before the SDK does. Returns the trace id of a root span the provider's
 * sampler drops; or `undefined` when the sampler keeps it, having arranged that the provider's
 * next root span gets the trace id it decided on (so the sampler, asked again, agrees).
 */
export type RootSampler = () => string | undefined

type RootHolder = { [ROOT_SAMPLERS_KEY]?: WeakMap<object, RootSampler> }

/**
 * Declares how `tracerProvider` samples a span that starts a trace (no parent, or a parent the
 * `trust` policy set aside). A request the declared sampler drops then never reaches the SDK,
 * like a child of an unsampled parent: its span records nothing, has the trace id `decide`
 * returned, a fresh span id and no sampled flag, and that is what goes downstream.
 *
 * `decide` has to agree with the provider's own sampler for every trace id, which holds for
 * samplers that decide from the trace id alone (the SDK's ratio samplers, always-off).
 * `@tracehop/node` declares the providers it makes with such samplers, with an id generator it
 * can give the decided trace id; a sampler of your own is never bypassed. The API's global proxy
 * stands for the provider registered behind it, as for {@link declareDropsUnsampledParents}.
 * Returns the function that takes the declaration back.
 */
export function declareRootSampler(
  tracerProvider: TracerProvider,
  decide: RootSampler,
): () => void {
  if (typeof decide !== 'function') {
    throw new TypeError(
      `@tracehop/core: declareRootSampler() needs a function that decides a new trace; received ${typeof decide}`,
    )
  }
  const provider = declaredProvider(tracerProvider, 'declareRootSampler')
  const holder = globalThis as RootHolder
  const declared = (holder[ROOT_SAMPLERS_KEY] ??= new WeakMap())
  declared.set(provider, decide)
  return () => {
    if (declared.get(provider) === decide) declared.delete(provider)
  }
}

/** The root sampler declared for `provider`, or for the provider behind the API's global proxy. */
export function rootSamplerOf(provider: TracerProvider): RootSampler | undefined {
  const declared = (globalThis as RootHolder)[ROOT_SAMPLERS_KEY]
  if (declared === undefined) return undefined
  return declared.get(delegateOf(provider))
}

type MaybeProxy = TracerProvider & {
  getDelegate?: () => TracerProvider
  getDelegateTracer?: (name: string) => unknown
}

function delegateOf(provider: TracerProvider): TracerProvider {
  return (provider as MaybeProxy).getDelegate?.() ?? provider
}

/**
 * The provider a declaration is about: the one behind the API's global proxy when given the proxy
 * (`trace.getTracerProvider()`). Before an SDK registers, the proxy stands for the API's no-op
 * provider, and declaring that would quietly do nothing.
 */
function declaredProvider(tracerProvider: TracerProvider, caller: string): TracerProvider {
  if (typeof (tracerProvider as { getTracer?: unknown } | null)?.getTracer !== 'function') {
    throw new TypeError(
      `@tracehop/core: ${caller}() needs a TracerProvider; received ${tracerProvider === null ? 'null' : typeof tracerProvider}`,
    )
  }
  const proxy = tracerProvider as MaybeProxy
  if (
    typeof proxy.getDelegateTracer === 'function' &&
    proxy.getDelegateTracer(INSTRUMENTATION_SCOPE) === undefined
  ) {
    throw new TypeError(
      `@tracehop/core: ${caller}() was given the global tracer provider before any SDK registered one, so it would declare nothing; call it after sdk.start() (or trace.setGlobalTracerProvider()), or pass your provider itself`,
    )
  }
  return delegateOf(tracerProvider)
}

/** Whether a sampler that follows its parent drops a child of `parent`. */
export function isUnsampledParent(parent: SpanContext): boolean {
  return (parent.traceFlags & TraceFlags.SAMPLED) === 0 && isSpanContextValid(parent)
}

const TWO_32 = 2 ** 32
// two hex digits per byte: a lookup is several times faster than Number#toString(16) and padStart
const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, byte) =>
  byte.toString(16).padStart(2, '0'),
)

function hex32(word: number): string {
  return (
    HEX_BYTE[word >>> 24]! +
    HEX_BYTE[(word >>> 16) & 255]! +
    HEX_BYTE[(word >>> 8) & 255]! +
    HEX_BYTE[word & 255]!
  )
}

function randomWord(): number {
  return (Math.random() * TWO_32) >>> 0
}

/** A random, valid (not all-zero) span id: 16 lowercase hex digits, as random as the SDK's. */
export function randomSpanId(): string {
  let high: number
  let low: number
  do {
    high = randomWord()
    low = randomWord()
  } while (high === 0 && low === 0)
  return hex32(high) + hex32(low)
}

/**
 * A random, valid (not all-zero) trace id: 32 lowercase hex digits, every one of them random, as
 * the W3C random flag promises and as the SDK's own ids are. For a {@link RootSampler} of your
 * own that draws the trace id it decides on.
 */
export function randomTraceId(): string {
  let a: number
  let b: number
  let c: number
  let d: number
  do {
    a = randomWord()
    b = randomWord()
    c = randomWord()
    d = randomWord()
  } while ((a | b | c | d) === 0)
  return hex32(a) + hex32(b) + hex32(c) + hex32(d)
}

/**
 * What the SDK gives a span its sampler drops: one that records nothing, in trace `traceId`, with
 * a fresh span id and no sampled flag. A child of an unsampled parent keeps the parent's
 * `traceState`; a new trace has none.
 */
export function unsampledSpan(traceId: string, traceState?: TraceState): Span {
  return trace.wrapSpanContext({
    traceId,
    spanId: randomSpanId(),
    traceFlags: TraceFlags.NONE,
    traceState,
  })
}
