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

/** Loads one export of a built tracehop package, with a message that says what is missing. */
function tracehop(pkg, name) {
  let mod
  try {
    mod = require(pkg)
  } catch (error) {
    fail(`${pkg} cannot be loaded (${error.message}); run \`pnpm -r build\``)
  }
  if (typeof mod[name] !== 'function' && typeof mod[name] !== 'object') {
    fail(`${pkg} has no \`${name}\` export yet; is the package built (\`pnpm -r build\`)?`)
  }
  return mod[name]
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

const http = require('node:http')
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

/**
 * The floor: no span, no propagation, only what any AsyncLocalStorage-based tracer must do, i.e.
 * run the rest of the request inside a context of its own (which turns on Node's async hooks for
 * every promise and async resource from then on).
 */
function floorContext(req) {
  return sdk.api.ROOT_CONTEXT.setValue(kFloor, req)
}
const kFloor = Symbol('bench.floor')

/**
 * The SDK floor: the least any tracer on the OpenTelemetry SDK does per request. One W3C extract,
 * one SERVER span with the stable HTTP attributes, the handler inside `context.with`, and on
 * `finish` the route, the status code, an error status for 5xx and `end()`. Nothing else.
 * `route()` reads the matched route template at the end.
 */
function sdkFloorContext(req, res, route) {
  const api = sdk.api
  const parent = api.propagation.extract(api.ROOT_CONTEXT, req.headers)
  const socket = req.socket
  const url = req.url
  const q = url.indexOf('?')
  const span = sdkFloorTracer.startSpan(
    req.method,
    {
      kind: api.SpanKind.SERVER,
      attributes: {
        'http.request.method': req.method,
        'url.path': q === -1 ? url : url.slice(0, q),
        'url.scheme': 'http',
        'server.address': '127.0.0.1',
        'server.port': socket.localPort,
        'client.address': socket.remoteAddress,
        'network.protocol.version': req.httpVersion,
      },
    },
    parent,
  )
  res.once('finish', () => {
    const template = route()
    if (template !== undefined) {
      span.setAttribute('http.route', template)
      span.updateName(`${req.method} ${template}`)
    }
    span.setAttribute('http.response.status_code', res.statusCode)
    if (res.statusCode >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR })
    span.end()
  })
  return api.trace.setSpan(parent, span)
}
const sdkFloorTracer = sdk?.api.trace.getTracer('bench-sdk-floor')
const kRoute = Symbol('bench.route')

// `tracehop-nometrics`: tracehop without the duration metric, to show what recording it costs;
// `tracehop-start`: the same, on startTracing() (which registers no MeterProvider here);
// `tracehop-start-metrics`: startTracing() with its own MeterProvider, the metric on.
const ours = tracer === 'tracehop' || tracer.startsWith('tracehop-')
const oursOptions =
  tracer === 'tracehop-nometrics' || tracer === 'tracehop-start' ? { metrics: false } : {}

async function listen() {
  if (framework === 'express') {
    const first = ours
      ? [tracehop('@tracehop/express', 'traceMiddleware')(oursOptions)]
      : tracer === 'floor'
        ? [(req, res, next) => sdk.api.context.with(floorContext(req), next)]
        : tracer === 'sdk-floor'
          ? [
              (req, res, next) =>
                sdk.api.context.with(
                  sdkFloorContext(req, res, () => req.route?.path),
                  next,
                ),
            ]
          : []
    const app = require('./apps/express.cjs').createApp({ probe, layers, first })
    const server = http.createServer(app)
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
    return server
  }
  if (framework === 'fastify') {
    const first = ours
      ? [[tracehop('@tracehop/fastify', 'tracingPlugin'), oursOptions]]
      : tracer === 'floor'
        ? [[floorPlugin, {}]]
        : tracer === 'sdk-floor'
          ? [[sdkFloorPlugin, {}]]
          : []
    const app = await require('./apps/fastify.cjs').createApp({ probe, layers, first })
    await app.listen({ port: 0, host: '127.0.0.1' })
    return app.server
  }
  if (framework === 'http') {
    const { createHandler } = require('./apps/node-http.cjs')
    let handler
    if (tracer === 'floor') {
      const inner = createHandler({ probe })
      handler = (req, res) => sdk.api.context.with(floorContext(req), inner, undefined, req, res)
    } else if (tracer === 'sdk-floor') {
      const inner = createHandler({ probe, onRoute: (req, route) => (req[kRoute] = route) })
      handler = (req, res) =>
        sdk.api.context.with(
          sdkFloorContext(req, res, () => req[kRoute]),
          inner,
          undefined,
          req,
          res,
        )
    } else if (ours) {
      const traceHandler = tracehop('@tracehop/core', 'traceHandler')
      const tryGetRequestTrace = tracehop('@tracehop/core', 'tryGetRequestTrace')
      const onRoute = (req, route) => tryGetRequestTrace(req)?.setRoute(route)
      handler = traceHandler(createHandler({ probe, onRoute }), oursOptions)
    } else if (['noop', 'orphan', 'double', 'leak'].includes(tracer)) {
      handler = brokenHandler(createHandler({ probe }))
    } else {
      handler = createHandler({ probe })
    }
    const server = http.createServer(handler)
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
    return server
  }
  return fail(`unknown framework ${framework}`)
}

/** The Fastify floor: the first onRequest hook runs the rest of the request in its own context. */
function floorPlugin(app, options, done) {
  app.addHook('onRequest', (request, reply, next) =>
    sdk.api.context.with(floorContext(request.raw), next),
  )
  done()
}
floorPlugin[Symbol.for('skip-override')] = true

/** The Fastify SDK floor: the first onRequest hook opens the span and runs the rest inside it. */
function sdkFloorPlugin(app, options, done) {
  app.addHook('onRequest', (request, reply, next) =>
    sdk.api.context.with(
      sdkFloorContext(request.raw, reply.raw, () => request.routeOptions.url),
      next,
    ),
  )
  done()
}
sdkFloorPlugin[Symbol.for('skip-override')] = true

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
