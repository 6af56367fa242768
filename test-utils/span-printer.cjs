// Tracing for the fixture apps of packages/express and packages/fastify, CommonJS so that both
// app.cjs (require) and app.mjs (import, and the esbuild bundle made from it) load this one file:
// a local provider whose spans are printed as `SPAN {json}` lines for test-utils/fixture-app.ts,
// the AsyncLocalStorage context manager and the W3C propagators an SDK setup registers.
const { context, propagation } = require('@opentelemetry/api')
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks')
const {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} = require('@opentelemetry/core')
const {
  TracerProvider: BasicTracerProvider,
  SimpleSpanProcessor,
} = require('@opentelemetry/sdk-trace')

const printer = {
  export(spans, done) {
    for (const span of spans) {
      const line = {
        name: span.name,
        kind: span.kind,
        traceId: span.spanContext().traceId,
        parentSpanId: span.parentSpanContext?.spanId,
        spanId: span.spanContext().spanId,
        status: span.status.code,
        attributes: span.attributes,
      }
      console.log(`SPAN ${JSON.stringify(line)}`)
    }
    done({ code: 0 })
  },
  shutdown: () => Promise.resolve(),
}

/** Installs the global context manager and propagators; returns a provider that prints its spans. */
function startPrintedTracing() {
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor({ exporter: printer })],
  })
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  propagation.setGlobalPropagator(
    new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  )
  return provider
}

module.exports = { startPrintedTracing }
