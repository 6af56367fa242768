// The public face of @tracehop/core. Named exports only: each section is owned by one concern.

// --- types ---
export type {
  BaggagePolicy,
  DurationPoint,
  DurationRecorder,
  DurationTemporality,
  IgnoreRule,
  LogFields,
  MetricsOptions,
  RequestInfo,
  RequestLifecycle,
  RequestTrace,
  SpanNameInfo,
  StatusClassifier,
  StatusInfo,
  TraceOptions,
  TrustPolicy,
} from './types.js'

// --- constants ---
export {
  ADAPTER_STATE_KEY,
  ATTR_TRACEHOP_REMOTE_PARENT_POLICY,
  ERROR_TYPE_ABORTED,
  INSTRUMENTATION_SCOPE,
  REDACTED,
  REQUEST_TRACE_KEY,
} from './constants.js'

// --- propagation ---
export {
  B3Propagator,
  CompositePropagator,
  createPropagator,
  defaultPropagator,
  isValidTraceStateKey,
  isValidTraceStateValue,
  JaegerPropagator,
  parseTraceparent,
  TraceContextPropagator,
  W3CBaggagePropagator,
  W3CTraceState,
  type B3PropagatorOptions,
  type CreatePropagatorOptions,
  type JaegerPropagatorOptions,
  type PropagatorName,
  type TraceContextPropagatorOptions,
} from './propagation/index.js'

// --- lifecycle ---
export { createRequestLifecycle } from './lifecycle.js'
export { traceHandler, type RequestHandler } from './node-http.js'
export {
  getRequestTrace,
  reserveRequestTraceSlots,
  runInRequestContext,
  setRequestAttributes,
  setRequestBaggage,
  tryGetRequestTrace,
} from './request-trace.js'
export { ReportedOnce, reportLostContext, resetLostContextReports } from './diagnostics.js'
export {
  closestName,
  resetUnknownOptionReports,
  TRACE_OPTION_KEYS,
  unknownOptionMessages,
  warnUnknownOptions,
} from './option-keys.js'
export { DEFAULT_REDACTED_QUERY_PARAMS } from './redact.js'
export { sanitizeUrl } from './sanitize-url.js'
export {
  compileResponseHeaderCapture,
  DEFAULT_REDACTED_HEADERS,
  type ResponseHeaderSource,
} from './options.js'
export { DURATION_BUCKETS, setDurationSink } from './metrics.js'
export {
  declareDropsUnsampledParents,
  declareRootSampler,
  randomSpanId,
  randomTraceId,
  type RootSampler,
} from './unsampled.js'
export {
  DURATION_CARDINALITY_LIMIT,
  DurationHistogram,
  type DurationReader,
} from './duration-histogram.js'

// --- helpers ---
export {
  activeSpan,
  extractContext,
  injectHeaders,
  logFields,
  traceId,
  withSpan,
  type HeaderCarrier,
  type HeaderSource,
  type WithSpanOptions,
} from './helpers.js'

// --- messaging ---
export {
  injectMessageHeaders,
  withConsumerSpan,
  withProducerSpan,
  type ConsumerSpanOptions,
  type MessageSpanOptions,
  type ProducerSpanOptions,
} from './messaging.js'
