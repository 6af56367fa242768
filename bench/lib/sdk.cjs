'use strict'
// The one OpenTelemetry SDK setup every traced variant gets: W3C trace context + baggage,
// AsyncLocalStorage context, parent-based sampling, a BatchSpanProcessor into an exporter that
// only counts, and a MeterProvider whose exporter only counts. A second processor counts spans
// started and ended, so the soak can prove every span that started also ended and was exported.

const api = require('@opentelemetry/api')
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks')
const {
  CompositePropagator,
  ExportResultCode,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} = require('@opentelemetry/core')
const {
  TracerProvider: BasicTracerProvider,
  BatchSpanProcessor,
} = require('@opentelemetry/sdk-trace')
const { MeterProvider, PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics')

const DURATION_METRICS = new Set(['http.server.request.duration', 'http.server.duration'])

/** Counts what reaches the exporter and checks every SERVER span against the client's traceparent. */
class CountingSpanExporter {
  constructor(expected) {
    this.expected = expected
    this.exported = 0
    this.server = 0
    this.serverMismatch = 0
    this.serverWithErrorType = 0
    this.sample = undefined
  }

  export(spans, done) {
    this.exported += spans.length
    for (let i = 0; i < spans.length; i++) {
      const span = spans[i]
      if (span.kind !== api.SpanKind.SERVER) continue
      this.server++
      const { traceId } = span.spanContext()
      const parentSpanId = span.parentSpanContext?.spanId
      // The soak varies the low half of the trace id per request, so it passes only the prefix.
      if (
        !traceId.startsWith(this.expected.traceId) ||
        parentSpanId !== this.expected.parentSpanId
      ) {
        this.serverMismatch++
      }
      if (span.attributes['error.type'] !== undefined) this.serverWithErrorType++
      if (this.sample === undefined) {
        this.sample = {
          name: span.name,
          traceId,
          parentSpanId,
          attributes: Object.keys(span.attributes),
        }
      }
    }
    done({ code: ExportResultCode.SUCCESS })
  }

  forceFlush() {
    return Promise.resolve()
  }

  shutdown() {
    return Promise.resolve()
  }
}

/** Counts spans started and ended (only sampled spans reach a processor). */
class CountingSpanProcessor {
  constructor() {
    this.started = 0
    this.ended = 0
    this.serverEnded = 0
  }

  onStart() {
    this.started++
  }

  onEnd(span) {
    this.ended++
    if (span.kind === api.SpanKind.SERVER) this.serverEnded++
  }

  forceFlush() {
    return Promise.resolve()
  }

  shutdown() {
    return Promise.resolve()
  }
}

/** Counts metric points; keeps the running request count of the HTTP server duration histogram. */
class CountingMetricExporter {
  constructor() {
    this.exports = 0
    this.durationMetric = undefined
    this.durationCount = 0
  }

  export(resourceMetrics, done) {
    this.exports++
    let count = 0
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        if (!DURATION_METRICS.has(metric.descriptor.name)) continue
        this.durationMetric = metric.descriptor.name
        for (const point of metric.dataPoints) count += point.value.count ?? 0
      }
    }
    // Cumulative temporality: the latest export holds the total since start.
    if (count > 0) this.durationCount = count
    done({ code: ExportResultCode.SUCCESS })
  }

  forceFlush() {
    return Promise.resolve()
  }

  shutdown() {
    return Promise.resolve()
  }
}

/** Sends the SDK's diagnostics to stderr, counting the spans the BatchSpanProcessor drops. */
function captureDiagnostics() {
  const dropped = { logged: 0 }
  api.diag.setLogger(
    {
      error: (...args) => console.error('[otel]', ...args),
      warn: (message, ...args) => {
        // The BatchSpanProcessor reports dropped spans only as this message.
        const m = /^Dropped (\d+) spans/.exec(String(message))
        if (m) dropped.logged += Number(m[1])
        else console.error('[otel]', message, ...args)
      },
      info: () => {},
      debug: () => {},
      verbose: () => {},
    },
    api.DiagLogLevel.WARN,
  )
  return dropped
}

/** What every setup reports: the counters above, read after a flush. */
function readCounters(counter, exporter, metricExporter, dropped) {
  return {
    started: counter.started,
    ended: counter.ended,
    serverEnded: counter.serverEnded,
    exported: exporter.exported,
    serverExported: exporter.server,
    serverMismatch: exporter.serverMismatch,
    serverWithErrorType: exporter.serverWithErrorType,
    sample: exporter.sample,
    dropped,
    durationMetric: metricExporter?.durationMetric,
    durationCount: metricExporter?.durationCount ?? 0,
  }
}

/**
 * Installs the SDK globally. Call before loading any framework or instrumentation.
 * @param {{ traceId: string, parentSpanId: string }} expected what the client sends
 */
function setupTracing(expected) {
  const dropped = captureDiagnostics()

  const contextManager = new AsyncLocalStorageContextManager().enable()
  api.context.setGlobalContextManager(contextManager)
  api.propagation.setGlobalPropagator(
    new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  )

  const exporter = new CountingSpanExporter(expected)
  const counter = new CountingSpanProcessor()
  const batch = new BatchSpanProcessor({ exporter })
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [counter, batch] })
  api.trace.setGlobalTracerProvider(tracerProvider)

  const metricExporter = new CountingMetricExporter()
  const meterProvider = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 5000 }),
    ],
  })
  api.metrics.setGlobalMeterProvider(meterProvider)

  return {
    api,
    /** Exports everything queued, then reads the counters. */
    async snapshot() {
      await tracerProvider.forceFlush()
      await meterProvider.forceFlush()
      // Spans dropped since the last warning are still only in the processor's private count.
      const lost = dropped.logged + (batch._droppedSpansCount ?? 0)
      return readCounters(counter, exporter, metricExporter, lost)
    },
    /** The cheap counters, without flushing (for the start of a measured window). */
    counters() {
      return { started: counter.started, ended: counter.ended, serverEnded: counter.serverEnded }
    },
  }
}

/** Sums the request counts of the duration histogram in a Prometheus text exposition. */
async function scrapeDurationCount(port) {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`)
  const text = await response.text()
  let count = 0
  for (const line of text.split('\n')) {
    // SDK 2's exporter writes the name as is; later releases may append the unit
    if (/^http_server_request_duration(_seconds)?_count[{ ]/.test(line)) {
      count += Number(line.slice(line.lastIndexOf(' ') + 1))
    }
  }
  return count
}

/**
 * The same counters on `@tracehop/node`'s `startTracing()`, as a user sets it up: its own
 * provider, context manager, propagators, export queue and outgoing-call tracing; the counting
 * exporter in place of OTLP. Without `metrics`, no MeterProvider (the plain setup's is never read
 * by a `metrics: false` adapter, so the two compare like for like); with it, startTracing()'s
 * own MeterProvider with a Prometheus reader, scraped only at the end so the window pays for
 * recording alone, as the plain setup's 5 s export interval almost does.
 */
function startTracing(expected, { metrics = false, sampleRatio } = {}) {
  const prometheusPort = 20000 + (process.pid % 20000)
  // startTracing() installs its own diagnostics logger; it counts what its queue drops.
  const dropped = { logged: 0 }
  const exporter = new CountingSpanExporter(expected)
  const counter = new CountingSpanProcessor()
  const handle = require('@tracehop/node').startTracing({
    serviceName: 'bench',
    exporter,
    spanProcessors: [counter],
    // one variant runs at a time: a port from the pid stays clear of the last one's
    metrics: metrics ? { prometheus: { port: prometheusPort, host: '127.0.0.1' } } : false,
    sampleRatio,
    handleSignals: false,
    onWarning: (message) => console.error('[tracehop]', message),
  })
  if (!handle.enabled) throw new Error('startTracing() stayed off (see the warning above)')
  const durationMetric = { durationMetric: undefined, durationCount: 0 }
  return {
    api,
    async snapshot() {
      await handle.forceFlush()
      if (metrics) {
        durationMetric.durationCount = await scrapeDurationCount(prometheusPort)
        if (durationMetric.durationCount > 0) {
          durationMetric.durationMetric = 'http.server.request.duration'
        }
      }
      const lost = dropped.logged + handle.stats().dropped
      return readCounters(counter, exporter, metrics ? durationMetric : undefined, lost)
    },
    counters() {
      return { started: counter.started, ended: counter.ended, serverEnded: counter.serverEnded }
    },
  }
}

module.exports = { setupTracing, startTracing }
