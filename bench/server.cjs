'use strict'
// One variant of the bench app in its own process, driven by the harness over IPC.
// CommonJS on purpose: @opentelemetry/instrumentation-http and -express patch modules through
// require hooks, so they must be registered before node:http and the framework are required,
// exactly as a user's `--require ./tracing.js` would do.
//
// argv[2]: JSON { framework, tracer, layers, traceId, parentSpanId } (no trace for `newTraces`)

const config = JSON.parse(process.argv[2])
const { framework, tracer, layers } = config
const traced = tracer !== 'none'

function fail(message) {
  if (process.send) process.send({ type: 'error', message })
  else console.error(message)
  process.exit(1)
}

// `tracehop-start-dropped`: requests without a traceparent under sampleRatio 0, each a new trace
// the sampler drops
const newTraces = tracer === 'tracehop-start-dropped'
if (traced && !newTraces && !/^[0-9a-f]{16,32}$/.test(config.traceId ?? '')) {
  fail(`the expected trace id (or its first half) is required, got ${config.traceId}`)
}

// `tracehop-start*`: the SDK set up by @tracehop/node's startTracing() rather than by hand.
const expected = { traceId: config.traceId, parentSpanId: config.parentSpanId }
const setup = require('./lib/sdk.cjs')
const sdk = !traced
  ? undefined
  : tracer === 'tracehop-start'
    ? setup.startTracing(expected)
    : tracer === 'tracehop-start-metrics'
      ? setup.startTracing(expected, { metrics: true })
      : newTraces
        ? setup.startTracing(expected, { metrics: true, sampleRatio: 0 })
        : setup.setupTracing(expected)

// Instrumentations first (they patch on require), then anything that loads http or a framework.
const instrumentations = []
if (['otel', 'fastify-otel-http', 'otel-http'].includes(tracer)) {
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http')
  instrumentations.push(new HttpInstrumentation())
}
if (tracer === 'otel' && framework === 'express') {
  const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express')
  instrumentations.push(new ExpressInstrumentation())
}
if (tracer === 'fastify-otel' || tracer === 'fastify-otel-http') {
  const { FastifyOtelInstrumentation } = require('@fastify/otel')
  instrumentations.push(new FastifyOtelInstrumentation({ registerOnInitialization: true }))
}
if (instrumentations.length > 0) {
  const { registerInstrumentations } = require('@opentelemetry/instrumentation')
  registerInstrumentations({ instrumentations })
}

const { createProbe } = require('./lib/common.cjs')
const probe = createProbe(sdk?.api, newTraces ? undefined : config.traceId)

/** Tracers that are wrong on purpose, so `--self-test` can prove the checks catch them. */
function brokenHandler(handler) {
  const api = sdk.api
  const tr = api.trace.getTracer('bench-broken')
  if (tracer === 'noop') return handler
  if (tracer === 'leak') {
    // Traces correctly through the SDK's own API, and keeps 1 KiB per request forever.
    const kept = []
    return function leaky(req, res) {
      kept.push(Buffer.alloc(1024, 1))
      const parent = api.propagation.extract(api.ROOT_CONTEXT, req.headers)
      const span = tr.startSpan('GET', { kind: api.SpanKind.SERVER }, parent)
      res.on('close', () => span.end())
      return api.context.with(api.trace.setSpan(parent, span), handler, undefined, req, res)
    }
  }
  return function broken(req, res) {
    // 'orphan' ignores the incoming context; 'double' opens two SERVER spans per request.
    const parent =
      tracer === 'orphan'
        ? api.ROOT_CONTEXT
        : api.propagation.extract(api.ROOT_CONTEXT, req.headers)
    const span = tr.startSpan('GET', { kind: api.SpanKind.SERVER }, parent)
    const spans = [span]
    if (tracer === 'double') {
      spans.push(tr.startSpan('GET', { kind: api.SpanKind.SERVER }, parent))
    }
    res.on('finish', () => {
      for (const s of spans) s.end()
    })
    return api.context.with(api.trace.setSpan(parent, span), handler, undefined, req, res)
  }
}

// `tracehop-nometrics`: tracehop without the duration metric, to show what recording it costs;
// `tracehop-start`: the same, on startTracing() (which registers no MeterProvider here);
// `tracehop-start-metrics`: startTracing() with its own MeterProvider, the metric on.
const ours = tracer === 'tracehop' || tracer.startsWith('tracehop-')
const oursOptions =
  tracer === 'tracehop-nometrics' || tracer === 'tracehop-start' ? { metrics: false } : {}

const listen = () =>
  require('./lib/servers.cjs').listen({
    framework,
    tracer: ours ? 'tracehop' : tracer,
    layers,
    api: sdk?.api,
    probe,
    options: oursOptions,
    wrap: ['noop', 'orphan', 'double', 'leak'].includes(tracer) ? brokenHandler : undefined,
  })

// Main-thread GC pauses, summed, so a run can say how much of its CPU went to collection.
const { PerformanceObserver } = require('node:perf_hooks')
const gc = { ms: 0 }
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gc.ms += entry.duration
}).observe({ entryTypes: ['gc'] })

let window

async function onMessage(message) {
  if (message.type === 'start') {
    window = {
      cpu: process.cpuUsage(),
      gcMs: gc.ms,
      time: process.hrtime.bigint(),
      requests: probe.requests,
      contextChecked: probe.contextChecked,
      contextMismatch: probe.contextMismatch,
      spans: sdk?.counters(),
    }
    process.send({ type: 'started' })
  } else if (message.type === 'stop') {
    const cpu = process.cpuUsage(window.cpu)
    const seconds = Number(process.hrtime.bigint() - window.time) / 1e9
    const spans = sdk?.counters()
    const result = {
      seconds,
      cpuMicros: cpu.user + cpu.system,
      cpuSystemMicros: cpu.system,
      gcMicros: (gc.ms - window.gcMs) * 1000,
      requests: probe.requests - window.requests,
      requestsTotal: probe.requests,
      contextChecked: probe.contextChecked - window.contextChecked,
      contextMismatch: probe.contextMismatch - window.contextMismatch,
      rss: process.memoryUsage.rss(),
    }
    if (sdk) {
      result.started = spans.started - window.spans.started
      result.serverEnded = spans.serverEnded - window.spans.serverEnded
      result.totals = await sdk.snapshot()
    }
    process.send({ type: 'stopped', result })
  } else if (message.type === 'sample') {
    // For the soak: memory after a full collection, and every span counter after a flush.
    if (message.gc && typeof globalThis.gc === 'function') globalThis.gc()
    const memory = process.memoryUsage()
    process.send({
      type: 'sampled',
      result: {
        rss: memory.rss,
        heapUsed: memory.heapUsed,
        requests: probe.requests,
        aborted: probe.aborted,
        totals: sdk ? await sdk.snapshot() : undefined,
      },
    })
  } else if (message.type === 'exit') {
    process.exit(0)
  }
}

// The harness went away (interrupted): nothing left to report to.
process.on('disconnect', () => process.exit(0))
process.on('error', () => process.exit(0))

listen().then(
  (server) => {
    server.keepAliveTimeout = 30_000
    process.on('message', (message) => {
      onMessage(message).catch((error) => fail(error.stack))
    })
    process.send({ type: 'ready', port: server.address().port, pid: process.pid })
  },
  (error) => fail(error.stack),
)
