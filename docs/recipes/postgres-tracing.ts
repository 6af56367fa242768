// Tracing for postgres.ts, loaded before the app so that instrumentation-pg is registered before
// anything loads `pg` (it patches the module when it is loaded).
// Run it: OTEL_SERVICE_NAME=orders node --import tsx --import ./postgres-tracing.ts postgres.ts
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg'
import { startTracing } from '@tracehop/node'

export const tracing = startTracing({
  instrumentations: [new PgInstrumentation({ requireParentSpan: true })],
})
