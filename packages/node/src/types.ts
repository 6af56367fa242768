import type {
  Attributes,
  MeterProvider,
  TextMapPropagator,
  TracerProvider,
} from '@opentelemetry/api'
import type { Sampler, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace'
import type { WaterfallExporterOptions } from './waterfall.js'

/** Where spans go: OTLP to a collector, the console waterfall, nowhere, or your own exporter. */
export type TraceExporterChoice = 'otlp' | 'console' | 'none' | SpanExporter

/** OTLP transport, as in `OTEL_EXPORTER_OTLP_PROTOCOL`. */
export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc'

/** A propagator name, as in `OTEL_PROPAGATORS`. */
export type PropagatorName = 'tracecontext' | 'baggage' | 'b3' | 'b3multi' | 'jaeger' | 'none'

/** Batching of exported spans (the `OTEL_BSP_*` variables). */
export interface BatchOptions {
  /** Spans kept while waiting for export; past it, the oldest are dropped and counted. Default 2048. */
  maxQueueSize?: number
  /** Spans per export request. Default 512. */
  maxExportBatchSize?: number
  /** Delay between two exports. Default 5000 ms. */
  scheduledDelayMillis?: number
  /** One export attempt taking longer than this is ended and counts as failed. Default 5000 ms. */
  exportTimeoutMillis?: number
}

/** Metric export for the HTTP server metrics the tracehop adapters record. */
export interface MetricsOptions {
  /** Push metrics over OTLP (same endpoint, protocol and headers as traces). Default `false`. */
  otlp?: boolean
  /** Serve a Prometheus scrape endpoint. `true` uses port 9464 on all interfaces. Default `false`. */
  prometheus?: boolean | { port?: number; host?: string; endpoint?: string }
  /** OTLP push interval. Default 60000 ms (`OTEL_METRIC_EXPORT_INTERVAL`). */
  exportIntervalMillis?: number
}

/** Outgoing-call tracing: CLIENT spans and context propagation. `true` turns both on. */
export interface OutboundOptions {
  /** `fetch()` and undici, through undici's diagnostics channels. Default `true`. */
  fetch?: boolean
  /** `http.request`/`http.get` and `https`, through `@opentelemetry/instrumentation-http`. Default `true`. */
  http?: boolean
}

/** Options of `startTracing`. Every option wins over the matching `OTEL_*` variable. */
export interface TracingOptions {
  /** `service.name`. Default `OTEL_SERVICE_NAME`, then the nearest package.json `name` (with a warning). */
  serviceName?: string
  /** `service.version`. Default: `OTEL_RESOURCE_ATTRIBUTES`, then the nearest package.json `version`. */
  serviceVersion?: string
  /** `deployment.environment.name`. Default: `OTEL_RESOURCE_ATTRIBUTES`, then `NODE_ENV` when set. */
  environment?: string
  /** More resource attributes, over `OTEL_RESOURCE_ATTRIBUTES`. */
  resourceAttributes?: Attributes
  /**
   * Where spans go. Default `OTEL_TRACES_EXPORTER`; else `'otlp'` when an endpoint is configured;
   * else `'console'` (the waterfall) unless `NODE_ENV` is `production`, where it is `'otlp'`.
   */
  exporter?: TraceExporterChoice
  /** OTLP base URL; `/v1/traces` and `/v1/metrics` are appended. Default `OTEL_EXPORTER_OTLP_ENDPOINT`, then `http://localhost:4318` (4317 for gRPC). */
  endpoint?: string
  /** Full OTLP traces URL, used as is. Default `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`. */
  tracesEndpoint?: string
  /** Default `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, `OTEL_EXPORTER_OTLP_PROTOCOL`, then `'http/protobuf'`. */
  protocol?: OtlpProtocol
  /** Headers sent with every export (auth tokens). Merged over `OTEL_EXPORTER_OTLP_HEADERS`. */
  headers?: Record<string, string>
  /**
   * Fraction of new traces to record, 0 to 1; children follow their parent's decision
   * (parent-based ratio sampling). Default `OTEL_TRACES_SAMPLER`/`_ARG`, then 1 (all).
   */
  sampleRatio?: number
  /** A sampler of your own; wins over `sampleRatio`. */
  sampler?: Sampler
  /**
   * Propagators by name, or one of your own. Default `OTEL_PROPAGATORS`, then
   * `['tracecontext', 'baggage']`. `tracecontext` is tracehop's strict W3C Level 2 propagator.
   */
  propagators?: readonly PropagatorName[] | TextMapPropagator
  /** Trace outgoing `fetch` and `http.request` calls. Default `true` (both). */
  outbound?: boolean | OutboundOptions
  /** Metric export. Default: `OTEL_METRICS_EXPORTER` (`otlp`, `prometheus`, `none`), else off. */
  metrics?: boolean | MetricsOptions
  /** Batching of exported spans. Defaults from `OTEL_BSP_*`. */
  batch?: BatchOptions
  /** How the console waterfall prints. */
  waterfall?: Omit<WaterfallExporterOptions, 'quietMillis' | 'orphanMillis'> & {
    quietMillis?: number
  }
  /** Longest `shutdown()` (and the flush on SIGTERM/SIGINT) may take. Default 5000 ms. */
  shutdownTimeoutMillis?: number
  /** Flush on SIGTERM/SIGINT (then let the signal do what it would have done). Default `true`. */
  handleSignals?: boolean
  /** Turn everything off (no-op handle). Default `OTEL_SDK_DISABLED`. */
  disabled?: boolean
  /** More instrumentations to register. */
  instrumentations?: InstrumentationLike[]
  /** More span processors, after the exporting one. */
  spanProcessors?: SpanProcessor[]
  /** Receives warnings (setup problems, export failures at most once a minute). Default `console.warn`. */
  onWarning?: (message: string) => void
}

/**
 * What `startTracing` needs of an instrumentation: the shape of `@opentelemetry/instrumentation`'s
 * `Instrumentation`, so any OpenTelemetry instrumentation fits without that package as a dependency.
 */
export interface InstrumentationLike {
  readonly instrumentationName: string
  enable(): void
  disable(): void
  setTracerProvider(tracerProvider: TracerProvider): void
  setMeterProvider?(meterProvider: MeterProvider): void
  getConfig?(): { enabled?: boolean }
}

/** Counters of the span export pipeline. */
export interface ExportStats {
  /** Spans waiting for export. */
  queued: number
  /** Spans sent successfully. */
  exported: number
  /** Spans dropped because the queue was full. */
  dropped: number
  /** Spans lost in exports that failed. */
  failed: number
}

/** What `startTracing` returns. */
export interface TracingHandle {
  /** `false` for the no-op handle (disabled, or setup failed). */
  readonly enabled: boolean
  /** The `service.name` in use. */
  readonly serviceName: string
  /** Which exporter was chosen. */
  readonly exporter: 'otlp' | 'console' | 'none' | 'custom'
  /** The tracer provider registered globally. */
  readonly tracerProvider: TracerProvider
  /** The meter provider registered globally, when metrics are on. */
  readonly meterProvider: MeterProvider | undefined
  /**
   * A tracer provider for another service hosted in this process: same pipeline, its own
   * `service.name`. Outgoing calls made inside its spans are attributed to it as well.
   */
  forService(serviceName: string, attributes?: Attributes): TracerProvider
  /** Counters of the export pipeline. */
  stats(): ExportStats
  /** Exports everything pending. Never rejects; gives up after `shutdownTimeoutMillis`. */
  forceFlush(): Promise<void>
  /** Flushes, stops everything and unregisters the globals it set. Never rejects, safe to call twice. */
  shutdown(): Promise<void>
}
