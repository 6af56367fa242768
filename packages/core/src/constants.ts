/** tracehop's own attribute names. Semantic-convention names come from `@opentelemetry/semantic-conventions`. */

/** Set on a server span whose request arrived with a remote parent that the trust policy did not continue. */
export const ATTR_TRACEHOP_REMOTE_PARENT_POLICY = 'tracehop.remote_parent.policy'

/** Name of the instrumentation scope every tracehop tracer and meter uses. */
export const INSTRUMENTATION_SCOPE = '@tracehop/core'

/** Value that replaces a redacted header or query-parameter value. */
export const REDACTED = 'REDACTED'
