// The exporters @tracehop/node builds from the configuration. OTLP/HTTP protobuf, the default, is
// a required peer; the other transports and Prometheus are optional peers, loaded on demand.
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import type { MetricReader, PushMetricExporter } from '@opentelemetry/sdk-metrics'
import type { SpanExporter } from '@opentelemetry/sdk-trace'
import type { ResolvedConfig } from './config.js'
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

function httpOptions(config: ResolvedConfig, url: string | undefined): Record<string, unknown> {
  return {
    ...(url === undefined ? {} : { url }),
    ...(config.headers === undefined ? {} : { headers: { ...config.headers } }),
  }
}

/** The OTLP span exporter for the configured protocol. */
export function otlpTraceExporter(config: ResolvedConfig): SpanExporter {
  if (config.protocol === 'http/protobuf') {
    return new ProtoTraceExporter(httpOptions(config, config.tracesUrl))
  }
  if (config.protocol === 'http/json') {
    const [{ OTLPTraceExporter }] = loadOptionalPeers<
      [ExporterModule<'OTLPTraceExporter', SpanExporter>]
    >(['@opentelemetry/exporter-trace-otlp-http'], 'OTLP over HTTP/JSON')
    return new OTLPTraceExporter(httpOptions(config, config.tracesUrl))
  }
  const purpose = 'OTLP over gRPC'
  const [{ OTLPTraceExporter }] = loadOptionalPeers<
    [ExporterModule<'OTLPTraceExporter', SpanExporter>, unknown]
  >(['@opentelemetry/exporter-trace-otlp-grpc', '@grpc/grpc-js'], purpose)
  return new OTLPTraceExporter({
    ...(config.tracesUrl === undefined ? {} : { url: config.tracesUrl }),
    ...grpcOptions(config, purpose),
  })
}

const METRIC_EXPORTER_PACKAGES: Record<ResolvedConfig['protocol'], string> = {
  'http/protobuf': '@opentelemetry/exporter-metrics-otlp-proto',
  'http/json': '@opentelemetry/exporter-metrics-otlp-http',
  grpc: '@opentelemetry/exporter-metrics-otlp-grpc',
}

/** The OTLP metric exporter for the configured protocol (an optional peer in every case). */
export function otlpMetricExporter(config: ResolvedConfig): PushMetricExporter {
  const url =
    config.endpoint === undefined
      ? undefined
      : config.protocol === 'grpc'
        ? config.endpoint
        : `${config.endpoint.replace(/\/+$/, '')}/v1/metrics`
  const purpose = `OTLP metrics over ${config.protocol}`
  const packages: [string, ...string[]] = [METRIC_EXPORTER_PACKAGES[config.protocol]]
  if (config.protocol === 'grpc') packages.push('@grpc/grpc-js')
  const [{ OTLPMetricExporter }] = loadOptionalPeers<
    [ExporterModule<'OTLPMetricExporter', PushMetricExporter>, ...unknown[]]
  >(packages, purpose)
  if (config.protocol === 'grpc') {
    return new OTLPMetricExporter({
      ...(url === undefined ? {} : { url }),
      ...grpcOptions(config, purpose),
    })
  }
  return new OTLPMetricExporter(httpOptions(config, url))
}

/** The Prometheus scrape endpoint (a metric reader). */
export function prometheusReader(
  options: NonNullable<ResolvedConfig['prometheus']>,
  onError: (error: unknown) => void,
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
  return new PrometheusExporter({ ...options }, (error) => {
    if (error) onError(error)
  })
}
