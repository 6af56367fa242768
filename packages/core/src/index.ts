// The public face of @tracehop/core. Named exports only: each section is owned by one concern.

// --- types ---
export type {
  BaggagePolicy,
  IgnoreRule,
  LogFields,
  RequestInfo,
  RequestLifecycle,
  RequestTrace,
  SpanNameInfo,
  StatusClassifier,
  TraceOptions,
  TrustPolicy,
} from './types.js'

// --- constants ---
export { ATTR_TRACEHOP_REMOTE_PARENT_POLICY, INSTRUMENTATION_SCOPE, REDACTED } from './constants.js'

// --- propagation ---

// --- lifecycle ---

// --- helpers ---

// --- messaging ---
