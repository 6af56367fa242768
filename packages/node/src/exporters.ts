// The exporters @tracehop/node builds from the configuration, each with the export link that
// bounds it (see export-transport.ts). OTLP/HTTP protobuf, the default, is a required peer; the
// other transports and Prometheus are optional peers, loaded on demand.
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import {
  PeriodicExportingMetricReader,
  type MetricProducer,
  type MetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics'
import type { SpanExporter } from '@opentelemetry/sdk-trace'
import type { ResolvedConfig } from './config.js'
import { ExportTransport } from './export-transport.js'
import { loadOptionalPeers } from './peers.js'

type ExporterClass<T> = new (options: Record<string, unknown>) => T
type ExporterModule<K extends string, T> = { [key in K]: ExporterClass<T> }

interface GrpcModule {
  Metadata: new () => { set(key: string, value: string): void }
}

/** gRPC carries headers as metadata; the exporter merges OTEL_EXPORTER_OTLP_HEADERS under it. */
function grpcOptions(config: ResolvedConfig, purpose: string): Record<string, unknown> {
  if (config.headers === undefined) return {}
  const [{ Metadata }] = loadOptionalPeers<[GrpcModule]>(['@grpc/grpc-js'], purpose)
  const metadata = new Metadata()
  for (const [key, value] of Object.entries(config.headers)) metadata.set(key, value)
  return { metadata }
}

function httpOptions(
  config: ResolvedConfig,
  url: string,
  link: ExportTransport,
): Record<string, unknown> {
  return {
    url,
    httpAgentOptions: link.agentFactory,
    ...(config.headers === undefined ? {} : { headers: { ...config.headers } }),
  }
}

/** The OTLP span exporter for the configured protocol, bounded by `exportAttemptMillis`. */
export function otlpTraceExporter(config: ResolvedConfig): {
  exporter: SpanExporter
  link: ExportTransport
} {
  const link = new ExportTransport()
  const timeoutMillis = config.exportAttemptMillis
  let exporter: SpanExporter
  if (config.protocol === 'http/protobuf') {
    exporter = new ProtoTraceExporter({
      ...httpOptions(config, config.tracesUrl, link),
      timeoutMillis,
    })
  } else if (config.protocol === 'http/json') {
    const [{ OTLPTraceExporter }] = loadOptionalPeers<
      [ExporterModule<'OTLPTraceExporter', SpanExporter>]
    >(['@opentelemetry/exporter-trace-otlp-http'], 'OTLP over HTTP/JSON')
    exporter = new OTLPTraceExporter({
      ...httpOptions(config, config.tracesUrl, link),
      timeoutMillis,
    })
  } else {
    const purpose = 'OTLP over gRPC'
    const [{ OTLPTraceExporter }] = loadOptionalPeers<
      [ExporterModule<'OTLPTraceExporter', SpanExporter>, unknown]
    >(['@opentelemetry/exporter-trace-otlp-grpc', '@grpc/grpc-js'], purpose)
    exporter = new OTLPTraceExporter({
      url: config.tracesUrl,
      timeoutMillis,
      ...grpcOptions(config, purpose),
    })
  }
  link.adopt(exporter)
  return { exporter, link }
}

const METRIC_EXPORTER_PACKAGES: Record<ResolvedConfig['protocol'], string> = {
  'http/protobuf': '@opentelemetry/exporter-metrics-otlp-proto',
  'http/json': '@opentelemetry/exporter-metrics-otlp-http',
  grpc: '@opentelemetry/exporter-metrics-otlp-grpc',
}

/**
 * The periodic OTLP metric reader (its exporter an optional peer); ended by its link too.
 * `metricProducers` add points the SDK's meters did not record.
 */
export function otlpMetricReader(
  config: ResolvedConfig,
  metricProducers: MetricProducer[] = [],
): {
  reader: MetricReader
  link: ExportTransport
} {
  const link = new ExportTransport(true)
  const url = config.metricsUrl
  const purpose = `OTLP metrics over ${config.protocol}`
  const packages: [string, ...string[]] = [METRIC_EXPORTER_PACKAGES[config.protocol]]
  if (config.protocol === 'grpc') packages.push('@grpc/grpc-js')
  const [{ OTLPMetricExporter }] = loadOptionalPeers<
    [ExporterModule<'OTLPMetricExporter', PushMetricExporter>, ...unknown[]]
  >(packages, purpose)
  const exporter =
    config.protocol === 'grpc'
      ? new OTLPMetricExporter({ url, ...grpcOptions(config, purpose) })
      : new OTLPMetricExporter(httpOptions(config, url, link))
  link.adopt(exporter)
  const reader = new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: config.metricsIntervalMillis,
    exportTimeoutMillis: Math.min(30_000, config.metricsIntervalMillis),
    metricProducers,
  })
  return { reader, link }
}

/** The Prometheus scrape endpoint (a metric reader), with points from `metricProducers` too. */
export function prometheusReader(
  options: NonNullable<ResolvedConfig['prometheus']>,
  onError: (error: unknown) => void,
  metricProducers: MetricProducer[] = [],
): MetricReader {
  const [{ PrometheusExporter }] = loadOptionalPeers<
    [
      {
        PrometheusExporter: new (
          options: Record<string, unknown>,
          callback: (error?: unknown) => void,
        ) => MetricReader
      },
    ]
  >(['@opentelemetry/exporter-prometheus'], 'The Prometheus endpoint')
  return new PrometheusExporter({ ...options, metricProducers }, (error) => {
    if (error) onError(error)
  })
}
