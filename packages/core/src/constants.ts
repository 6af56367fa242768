/** tracehop's own attribute names. Semantic-convention names come from `@opentelemetry/semantic-conventions`. */

/** Set on a server span whose request arrived with a remote parent that the trust policy did not continue. */
export const ATTR_TRACEHOP_REMOTE_PARENT_POLICY = 'tracehop.remote_parent.policy'

/** Name of the instrumentation scope every tracehop tracer and meter uses. */
export const INSTRUMENTATION_SCOPE = '@tracehop/core'

/** Value that replaces a redacted header or query-parameter value. */
export const REDACTED = 'REDACTED'

/**
 * `error.type` of a request whose client went away before the response was completely written.
 * Semantic conventions ask for a low-cardinality, component-specific identifier when no status
 * code describes the failure; Node names the same condition `aborted` on the request.
 */
export const ERROR_TYPE_ABORTED = 'aborted'

/** Key under which the request's trace is stored on the `IncomingMessage` (shared by every installed copy). */
export const REQUEST_TRACE_KEY: unique symbol = Symbol.for('tracehop.request-trace')

/**
 * Key of the slot on a request's trace where the adapter that drives it keeps its own per-request
 * state. The trace object has one shape for every request, so writing there is a plain store;
 * adding a property to a request a framework re-prototyped (Express) costs V8 about a microsecond.
 */
export const ADAPTER_STATE_KEY: unique symbol = Symbol.for('tracehop.adapter-state')

/**
 * Key on `globalThis` of the duration sink `@tracehop/node` registers (see `setDurationSink`),
 * shared by every installed copy. The number changes if the recorder's call ever does.
 */
export const DURATION_SINK_KEY: unique symbol = Symbol.for('tracehop.duration-sink.v1')

/**
 * Key on `globalThis` of the tracer providers declared to drop children of unsampled parents (see
 * `declareDropsUnsampledParents`), shared by every installed copy.
 */
export const UNSAMPLED_PARENTS_KEY: unique symbol = Symbol.for(
  'tracehop.drops-unsampled-parents.v1',
)

/** `globalThis` key of the flag that `reserveRequestTraceSlots` subscribed, shared by every loaded copy. */
export const TRACE_SLOTS_KEY: unique symbol = Symbol.for('tracehop.request-trace-slots')

/** `globalThis` key of the root samplers declared to every loaded copy of core (unsampled.ts). */
export const ROOT_SAMPLERS_KEY: unique symbol = Symbol.for('tracehop.root-samplers.v1')

// Semantic-convention names that `@opentelemetry/semantic-conventions` still ships only from its
// `incubating` entry point, which its authors ask libraries not to import at runtime.
/** `http.server.active_requests` (UpDownCounter). */
export const METRIC_HTTP_SERVER_ACTIVE_REQUESTS = 'http.server.active_requests'
/** `messaging.system`. */
export const ATTR_MESSAGING_SYSTEM = 'messaging.system'
/** `messaging.destination.name`. */
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name'
/** `messaging.operation.type`. */
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type'
/** `messaging.operation.name`. */
export const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name'
/** `messaging.message.id`. */
export const ATTR_MESSAGING_MESSAGE_ID = 'messaging.message.id'
