// The OTLP exporters for traces and metrics, built from the resolved configuration, each with
// the export link that bounds it (see export-transport.ts).
import { Metadata } from '@grpc/grpc-js'
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc'
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http'
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto'
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc'
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { PeriodicExportingMetricReader, type MetricReader } from '@opentelemetry/sdk-metrics'
import { type SpanExporter } from '@opentelemetry/sdk-trace-base'
import { type ResolvedConfig } from './config.js'
import { ExportTransport } from './export-transport.js'

/** gRPC carries headers as metadata; the exporter merges OTEL_EXPORTER_OTLP_HEADERS under it. */
function grpcMetadata(config: ResolvedConfig): { metadata?: Metadata } {
  if (config.headers === undefined) return {}
  const metadata = new Metadata()
  for (const [key, value] of Object.entries(config.headers)) metadata.set(key, value)
  return { metadata }
}

function httpOptions(config: ResolvedConfig, url: string, link: ExportTransport): object {
  return {
    url,
    httpAgentOptions: link.agentFactory,
    ...(config.headers === undefined ? {} : { headers: { ...config.headers } }),
  }
}

/** The OTLP span exporter, bounded by `exportAttemptMillis` and ended by its link. */
export function otlpTraceExporter(config: ResolvedConfig): {
  exporter: SpanExporter
  link: ExportTransport
} {
  const link = new ExportTransport()
  const timeoutMillis = config.exportAttemptMillis
  const exporter =
    config.protocol === 'grpc'
      ? new GrpcTraceExporter({ url: config.tracesUrl, timeoutMillis, ...grpcMetadata(config) })
      : config.protocol === 'http/json'
        ? new JsonTraceExporter({ ...httpOptions(config, config.tracesUrl, link), timeoutMillis })
        : new ProtoTraceExporter({ ...httpOptions(config, config.tracesUrl, link), timeoutMillis })
  link.adopt(exporter)
  return { exporter, link }
}

/** The periodic OTLP metric reader; its exporter is ended by the link like the span exporter. */
export function otlpMetricReader(config: ResolvedConfig): {
  reader: MetricReader
  link: ExportTransport
} {
  const link = new ExportTransport(true)
  const url = config.metricsUrl
  const exporter =
    config.protocol === 'grpc'
      ? new GrpcMetricExporter({ url, ...grpcMetadata(config) })
      : config.protocol === 'http/json'
        ? new JsonMetricExporter(httpOptions(config, url, link))
        : new ProtoMetricExporter(httpOptions(config, url, link))
  link.adopt(exporter)
  const reader = new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: config.metricsIntervalMillis,
    exportTimeoutMillis: Math.min(30_000, config.metricsIntervalMillis),
  })
  return { reader, link }
}
