// Tracing for databases.ts, loaded before the app so that the instrumentations are registered
// before anything loads `pg` or `ioredis` (they patch a module when it is loaded).
// Run it: OTEL_SERVICE_NAME=orders node --import tsx --import ./databases-tracing.ts databases.ts
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis'
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg'
import { startTracing } from '@tracehop/node'
import { register } from 'node:module'

// ES modules: import-in-the-middle's loader hook (shipped with @opentelemetry/instrumentation) lets
// the instrumentations see `import` of a driver too; without it they see require() alone
register('@opentelemetry/instrumentation/hook.mjs', import.meta.url)

export const tracing = startTracing({
  instrumentations: [
    new PgInstrumentation({ requireParentSpan: true }),
    new IORedisInstrumentation({ requireParentSpan: true }),
  ],
})
