// Options and OTEL_* variables, resolved once into one readonly configuration. Options win over
// variables; a bad option is a TypeError (a programming error, found on the first run), a bad
// variable is a warning and the default (configuration must never stop the app from starting).
import { type TextMapPropagator } from '@opentelemetry/api'
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace'
import { unknownOptionMessages } from '@tracehop/core'
import type { BatchOptions, OtlpProtocol, PropagatorName, TracingOptions } from './types.js'

const PKG = '@tracehop/node'
const PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json', 'grpc']
const PROPAGATOR_NAMES: readonly PropagatorName[] = [
  'tracecontext',
  'baggage',
  'b3',
  'b3multi',
  'jaeger',
  'none',
]

/** How the environment looks to the configuration. */
export type Env = Readonly<Record<string, string | undefined>>

/** The configuration `startTracing` works from. */
export interface ResolvedConfig {
  readonly disabled: boolean
  readonly serviceName: string | undefined
  readonly serviceVersion: string | undefined
  readonly environment: string | undefined
  readonly exporters: readonly ('otlp' | 'console')[]
  readonly customExporter: SpanExporter | undefined
  readonly protocol: OtlpProtocol
  /** The OTLP traces URL requested, from the options or the variables. */
  readonly tracesUrl: string
  /** The OTLP metrics URL requested, from the options or the variables. */
  readonly metricsUrl: string
  /** Base URL when an option set it. */
  readonly endpoint: string | undefined
  /** Longest one OTLP export may take, retries included: `exportTimeoutMillis`, or less. */
  readonly exportAttemptMillis: number
  readonly headers: Readonly<Record<string, string>> | undefined
  readonly sampler: Sampler
  readonly samplerDescription: string
  /** The sampler is one of ours that drops every child of an unsampled parent. */
  readonly dropsUnsampledParents: boolean
  /**
   * How the sampler decides a new trace, when it is one of ours that decides from the trace id
   * alone and may drop it; `undefined` when every new trace is sampled or the sampler is the user's.
   */
  readonly rootSampler: Sampler | undefined
  /** Names to build the propagator from, or the user's own propagator. */
  readonly propagators: readonly string[] | TextMapPropagator
  readonly outboundFetch: boolean
  readonly outboundHttp: boolean
  readonly metricsOtlp: boolean
  readonly prometheus: { port?: number; host?: string; endpoint?: string } | undefined
  readonly metricsIntervalMillis: number
  readonly batch: Required<BatchOptions>
  readonly shutdownTimeoutMillis: number
  readonly handleSignals: boolean
}

// Every option of startTracing(), for the warning about keys nobody reads (a JavaScript typo).
const OPTION_KEYS: readonly string[] = Object.keys({
  serviceName: true,
  serviceVersion: true,
  environment: true,
  resourceAttributes: true,
  exporter: true,
  endpoint: true,
  tracesEndpoint: true,
  protocol: true,
  headers: true,
  sampleRatio: true,
  sampler: true,
  propagators: true,
  outbound: true,
  metrics: true,
  batch: true,
  waterfall: true,
  shutdownTimeoutMillis: true,
  handleSignals: true,
  disabled: true,
  instrumentations: true,
  spanProcessors: true,
  onWarning: true,
} satisfies Record<keyof TracingOptions, true>)

/** Renders a received value for an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  if (Array.isArray(value)) return `[${value.map(describeValue).join(', ')}]`
  if (value !== null && typeof value === 'object') return 'an object'
  return String(value)
}

function fail(option: string, expected: string, received: unknown): never {
  throw new TypeError(
    `${PKG}: option "${option}" must be ${expected}; received ${describeValue(received)}`,
  )
}

function optionalString(options: TracingOptions, key: keyof TracingOptions): string | undefined {
  const value = options[key]
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.trim() === '') fail(key, 'a non-empty string', value)
  return value
}

function optionalBoolean(options: TracingOptions, key: keyof TracingOptions): boolean | undefined {
  const value = options[key]
  if (value === undefined || typeof value === 'boolean') return value
  fail(key, 'a boolean', value)
}

function optionalUrl(
  options: TracingOptions,
  key: 'endpoint' | 'tracesEndpoint',
): string | undefined {
  const value = options[key]
  if (value === undefined) return undefined
  if (typeof value !== 'string' || !/^https?:\/\//i.test(value) || !URL.canParse(value)) {
    fail(key, 'an http:// or https:// URL', value)
  }
  return value
}

function positive(value: unknown, option: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    fail(option, 'a positive number', value)
  }
  return value
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** Collects warnings about variables while resolving. */
type Warn = (message: string) => void

function envString(env: Env, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
}

function envList(env: Env, name: string): string[] | undefined {
  const value = envString(env, name)
  if (value === undefined) return undefined
  return value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '')
}

function envNumber(env: Env, name: string, fallback: number, warn: Warn): number {
  const raw = envString(env, name)
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0) {
    warn(`${name}=${JSON.stringify(raw)} is not a positive number; using ${fallback}`)
    return fallback
  }
  return value
}

function envBoolean(env: Env, name: string): boolean {
  return envString(env, name)?.toLowerCase() === 'true'
}

interface SamplerChoice {
  sampler: Sampler
  description: string
  /** Parent-based with the default not-sampled branches: a child of an unsampled parent is dropped. */
  dropsUnsampledParents: boolean
  /** What decides a new trace from its trace id, when some are dropped (see ResolvedConfig). */
  rootSampler: Sampler | undefined
}

/** A parent-based sampler; `drops` when its root sampler drops some new traces. */
function parentBased(root: Sampler, description: string, drops: boolean): SamplerChoice {
  return {
    sampler: new ParentBasedSampler({ root }),
    description,
    dropsUnsampledParents: true,
    rootSampler: drops ? root : undefined,
  }
}

function samplerFromEnv(env: Env, warn: Warn): SamplerChoice {
  const name = envString(env, 'OTEL_TRACES_SAMPLER')?.toLowerCase() ?? 'parentbased_always_on'
  const ratio = (): number => {
    const raw = envString(env, 'OTEL_TRACES_SAMPLER_ARG')
    if (raw === undefined) return 1
    const value = Number(raw)
    if (!Number.isFinite(value) || value < 0 || value > 1) {
      warn(`OTEL_TRACES_SAMPLER_ARG=${JSON.stringify(raw)} is not a number from 0 to 1; using 1`)
      return 1
    }
    return value
  }
  switch (name) {
    case 'always_on':
      return {
        sampler: new AlwaysOnSampler(),
        description: 'always_on',
        dropsUnsampledParents: false,
        rootSampler: undefined,
      }
    case 'always_off': {
      // drops everything, unsampled parents too
      const sampler = new AlwaysOffSampler()
      return {
        sampler,
        description: 'always_off',
        dropsUnsampledParents: true,
        rootSampler: sampler,
      }
    }
    case 'traceidratio': {
      // a child of an unsampled parent may be sampled, but a new trace is decided on its id
      const r = ratio()
      const sampler = new TraceIdRatioBasedSampler(r)
      return {
        sampler,
        description: `traceidratio ${r}`,
        dropsUnsampledParents: false,
        rootSampler: r < 1 ? sampler : undefined, // a ratio of 1 keeps every trace
      }
    }
    case 'parentbased_always_on':
      return parentBased(new AlwaysOnSampler(), 'parentbased_always_on', false)
    case 'parentbased_always_off':
      return parentBased(new AlwaysOffSampler(), 'parentbased_always_off', true)
    case 'parentbased_traceidratio': {
      const r = ratio()
      return parentBased(new TraceIdRatioBasedSampler(r), `parentbased_traceidratio ${r}`, r < 1)
    }
    default:
      warn(
        `OTEL_TRACES_SAMPLER=${JSON.stringify(name)} is not supported; using parentbased_always_on`,
      )
      return parentBased(new AlwaysOnSampler(), 'parentbased_always_on', false)
  }
}

function resolveExporters(
  options: TracingOptions,
  env: Env,
  endpointConfigured: boolean,
  warn: Warn,
): { exporters: ('otlp' | 'console')[]; custom: SpanExporter | undefined } {
  const choice = options.exporter
  if (choice !== undefined) {
    if (choice === 'otlp' || choice === 'console') return { exporters: [choice], custom: undefined }
    if (choice === 'none') return { exporters: [], custom: undefined }
    if (isObject(choice) && typeof choice.export === 'function') {
      return { exporters: [], custom: choice }
    }
    fail('exporter', "'otlp', 'console', 'none' or a SpanExporter", choice)
  }
  const names = envList(env, 'OTEL_TRACES_EXPORTER')
  if (names !== undefined && names.length > 0) {
    if (names.includes('none')) return { exporters: [], custom: undefined }
    const exporters: ('otlp' | 'console')[] = []
    for (const name of names) {
      if (name === 'otlp' || name === 'console') {
        if (!exporters.includes(name)) exporters.push(name)
      } else {
        warn(
          `OTEL_TRACES_EXPORTER value ${JSON.stringify(name)} is not supported (otlp, console, none)`,
        )
      }
    }
    if (exporters.length > 0) return { exporters, custom: undefined }
  }
  if (endpointConfigured) return { exporters: ['otlp'], custom: undefined }
  return {
    exporters: [env.NODE_ENV === 'production' ? 'otlp' : 'console'],
    custom: undefined,
  }
}

function resolvePropagators(
  options: TracingOptions,
  env: Env,
  warn: Warn,
): readonly string[] | TextMapPropagator {
  const value = options.propagators
  if (value !== undefined) {
    if (Array.isArray(value)) {
      for (const name of value) {
        if (!PROPAGATOR_NAMES.includes(name as PropagatorName)) {
          fail(
            'propagators',
            `names from ${PROPAGATOR_NAMES.join(', ')} or a TextMapPropagator`,
            value,
          )
        }
      }
      return value as readonly string[]
    }
    if (
      isObject(value) &&
      typeof value.inject === 'function' &&
      typeof value.extract === 'function'
    ) {
      return value as unknown as TextMapPropagator
    }
    fail('propagators', `names from ${PROPAGATOR_NAMES.join(', ')} or a TextMapPropagator`, value)
  }
  const names = envList(env, 'OTEL_PROPAGATORS')
  if (names === undefined) return ['tracecontext', 'baggage']
  const known = names.filter((n) => PROPAGATOR_NAMES.includes(n as PropagatorName))
  for (const name of names) {
    if (!known.includes(name)) {
      warn(
        `OTEL_PROPAGATORS value ${JSON.stringify(name)} is not supported (${PROPAGATOR_NAMES.join(', ')}); ignored`,
      )
    }
  }
  return known.length > 0 ? known : ['tracecontext', 'baggage']
}

function resolveMetrics(
  options: TracingOptions,
  env: Env,
  warn: Warn,
): Pick<ResolvedConfig, 'metricsOtlp' | 'prometheus' | 'metricsIntervalMillis'> {
  const value = options.metrics
  let otlp = false
  let prometheus: ResolvedConfig['prometheus']
  let interval = envNumber(env, 'OTEL_METRIC_EXPORT_INTERVAL', 60_000, warn)
  if (value === undefined) {
    for (const name of envList(env, 'OTEL_METRICS_EXPORTER') ?? []) {
      if (name === 'otlp') otlp = true
      else if (name === 'prometheus') prometheus = {}
      else if (name !== 'none') {
        warn(
          `OTEL_METRICS_EXPORTER value ${JSON.stringify(name)} is not supported (otlp, prometheus, none)`,
        )
      }
    }
  } else if (value === true) {
    otlp = true
  } else if (value === false) {
    // off
  } else if (isObject(value)) {
    if (value.otlp !== undefined && typeof value.otlp !== 'boolean') {
      fail('metrics.otlp', 'a boolean', value.otlp)
    }
    otlp = value.otlp === true
    const p = value.prometheus
    if (p === true) prometheus = {}
    else if (isObject(p)) {
      const port = p.port
      if (
        port !== undefined &&
        !(Number.isInteger(port) && Number(port) >= 0 && Number(port) <= 65535)
      ) {
        fail('metrics.prometheus.port', 'a port number', port)
      }
      prometheus = { ...(p as { port?: number; host?: string; endpoint?: string }) }
    } else if (p !== undefined && p !== false) {
      fail('metrics.prometheus', 'a boolean or { port, host, endpoint }', p)
    }
    if (value.exportIntervalMillis !== undefined) {
      interval = positive(value.exportIntervalMillis, 'metrics.exportIntervalMillis')
    }
  } else {
    fail('metrics', 'a boolean or { otlp, prometheus, exportIntervalMillis }', value)
  }
  return { metricsOtlp: otlp, prometheus, metricsIntervalMillis: interval }
}

function resolveBatch(options: TracingOptions, env: Env, warn: Warn): Required<BatchOptions> {
  const batch = options.batch
  if (batch !== undefined && !isObject(batch)) fail('batch', 'an object', batch)
  const pick = (key: keyof BatchOptions, variable: string, fallback: number): number => {
    const value = batch?.[key]
    if (value !== undefined) return positive(value, `batch.${key}`)
    return envNumber(env, variable, fallback, warn)
  }
  const maxQueueSize = Math.floor(pick('maxQueueSize', 'OTEL_BSP_MAX_QUEUE_SIZE', 2048))
  return {
    maxQueueSize,
    maxExportBatchSize: Math.min(
      maxQueueSize,
      Math.floor(pick('maxExportBatchSize', 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512)),
    ),
    scheduledDelayMillis: pick('scheduledDelayMillis', 'OTEL_BSP_SCHEDULE_DELAY', 5000),
    // Not the specification's 30 s: a collector that accepts and never answers would stall
    // the whole pipeline that long per attempt.
    exportTimeoutMillis: pick('exportTimeoutMillis', 'OTEL_BSP_EXPORT_TIMEOUT', 5000),
  }
}

const SIGNAL_PATHS = ['/v1/traces', '/v1/metrics'] as const

/**
 * The URLs requested for each signal. A base endpoint gets `/v1/traces` and `/v1/metrics`
 * appended (OTLP/HTTP); one that already ends in either path is taken as meant for that signal:
 * its base is used, with a note, instead of requesting `/v1/traces/v1/traces`.
 */
function resolveUrls(
  protocol: OtlpProtocol,
  endpointOption: string | undefined,
  tracesOption: string | undefined,
  env: Env,
  warn: Warn,
): { tracesUrl: string; metricsUrl: string } {
  const fromEnv = (name: string): string | undefined => {
    const value = envString(env, name)
    if (value === undefined || (/^https?:\/\//i.test(value) && URL.canParse(value))) return value
    warn(`${name}=${JSON.stringify(value)} is not an http:// or https:// URL; ignored`)
    return undefined
  }
  const source =
    endpointOption === undefined ? 'OTEL_EXPORTER_OTLP_ENDPOINT' : 'the "endpoint" option'
  const endpoint = endpointOption ?? fromEnv('OTEL_EXPORTER_OTLP_ENDPOINT')
  const traces = tracesOption ?? fromEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')
  const metrics = fromEnv('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT')
  if (protocol === 'grpc') {
    const base = endpoint ?? 'http://localhost:4317'
    return { tracesUrl: traces ?? base, metricsUrl: metrics ?? base }
  }
  let base = (endpoint ?? 'http://localhost:4318').replace(/\/+$/, '')
  const suffix = SIGNAL_PATHS.find((path) => base.endsWith(path))
  if (suffix !== undefined && endpoint !== undefined) {
    base = base.slice(0, -suffix.length)
    const signal = suffix === '/v1/traces' ? 'spans' : 'metrics'
    warn(
      `${source} (${endpoint}) already ends in ${suffix}; ${signal} go to ${base}${suffix}, ` +
        `not ${base}${suffix}${suffix} (the endpoint is the base URL: ${base})`,
    )
  }
  return {
    tracesUrl: traces ?? `${base}/v1/traces`,
    metricsUrl: metrics ?? `${base}/v1/metrics`,
  }
}

/**
 * Resolves options over variables. Throws a `TypeError` for a bad option; reports a bad
 * variable through `warn` and uses the default.
 */
export function resolveConfig(options: TracingOptions, env: Env, warn: Warn): ResolvedConfig {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    fail('options', 'an object', options)
  }
  for (const message of unknownOptionMessages(options, OPTION_KEYS)) warn(message)
  const disabled = optionalBoolean(options, 'disabled') ?? envBoolean(env, 'OTEL_SDK_DISABLED')
  const serviceName = optionalString(options, 'serviceName') ?? envString(env, 'OTEL_SERVICE_NAME')
  const serviceVersion = optionalString(options, 'serviceVersion')
  const environment = optionalString(options, 'environment')
  if (options.resourceAttributes !== undefined && !isObject(options.resourceAttributes)) {
    fail('resourceAttributes', 'an object', options.resourceAttributes)
  }

  const endpoint = optionalUrl(options, 'endpoint')
  const tracesEndpoint = optionalUrl(options, 'tracesEndpoint')
  const endpointConfigured =
    endpoint !== undefined ||
    tracesEndpoint !== undefined ||
    envString(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') !== undefined ||
    envString(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') !== undefined
  const { exporters, custom } = resolveExporters(options, env, endpointConfigured, warn)

  let protocol: OtlpProtocol
  if (options.protocol !== undefined) {
    if (!PROTOCOLS.includes(options.protocol)) {
      fail('protocol', "'http/protobuf', 'http/json' or 'grpc'", options.protocol)
    }
    protocol = options.protocol
  } else {
    const raw =
      envString(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ??
      envString(env, 'OTEL_EXPORTER_OTLP_PROTOCOL')
    if (raw === undefined) protocol = 'http/protobuf'
    else if (PROTOCOLS.includes(raw as OtlpProtocol)) protocol = raw as OtlpProtocol
    else {
      warn(
        `OTEL_EXPORTER_OTLP_PROTOCOL=${JSON.stringify(raw)} is not supported; using http/protobuf`,
      )
      protocol = 'http/protobuf'
    }
  }
  const urls = resolveUrls(protocol, endpoint, tracesEndpoint, env, warn)

  const headers = options.headers as Record<string, string> | undefined
  if (headers !== undefined) {
    if (!isObject(headers) || Object.values(headers).some((v) => typeof v !== 'string')) {
      fail('headers', 'an object of strings', headers)
    }
  }

  let samplerChoice: SamplerChoice
  if (options.sampler !== undefined) {
    if (typeof (options.sampler as Partial<Sampler> | null)?.shouldSample !== 'function') {
      fail('sampler', 'a Sampler', options.sampler)
    }
    // a sampler of the user's own decides every span, unsampled parents included
    samplerChoice = {
      sampler: options.sampler,
      description: options.sampler.toString(),
      dropsUnsampledParents: false,
      rootSampler: undefined,
    }
  } else if (options.sampleRatio !== undefined) {
    const ratio = options.sampleRatio
    if (typeof ratio !== 'number' || !(ratio >= 0 && ratio <= 1)) {
      fail('sampleRatio', 'a number from 0 to 1', ratio)
    }
    samplerChoice = parentBased(
      new TraceIdRatioBasedSampler(ratio),
      `parentbased_traceidratio ${ratio}`,
      ratio < 1,
    )
  } else {
    samplerChoice = samplerFromEnv(env, warn)
  }

  const outbound = options.outbound ?? true
  let outboundFetch: boolean
  let outboundHttp: boolean
  if (typeof outbound === 'boolean') {
    outboundFetch = outboundHttp = outbound
  } else if (isObject(outbound)) {
    const { fetch, http } = outbound as { fetch?: unknown; http?: unknown }
    if (fetch !== undefined && typeof fetch !== 'boolean')
      fail('outbound.fetch', 'a boolean', fetch)
    if (http !== undefined && typeof http !== 'boolean') fail('outbound.http', 'a boolean', http)
    outboundFetch = fetch ?? true
    outboundHttp = http ?? true
  } else {
    fail('outbound', 'a boolean or { fetch, http }', outbound)
  }

  if (options.onWarning !== undefined && typeof options.onWarning !== 'function') {
    fail('onWarning', 'a function', options.onWarning)
  }
  for (const key of ['instrumentations', 'spanProcessors'] as const) {
    if (options[key] !== undefined && !Array.isArray(options[key]))
      fail(key, 'an array', options[key])
  }
  if (options.waterfall !== undefined && !isObject(options.waterfall)) {
    fail('waterfall', 'an object', options.waterfall)
  }

  const batch = resolveBatch(options, env, warn)
  return {
    disabled,
    serviceName,
    serviceVersion,
    environment,
    exporters,
    customExporter: custom,
    protocol,
    ...urls,
    endpoint,
    headers,
    sampler: samplerChoice.sampler,
    samplerDescription: samplerChoice.description,
    dropsUnsampledParents: samplerChoice.dropsUnsampledParents,
    rootSampler: samplerChoice.rootSampler,
    propagators: resolvePropagators(options, env, warn),
    outboundFetch,
    outboundHttp,
    ...resolveMetrics(options, env, warn),
    batch,
    exportAttemptMillis: Math.min(
      batch.exportTimeoutMillis,
      envNumber(
        env,
        'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT',
        envNumber(env, 'OTEL_EXPORTER_OTLP_TIMEOUT', batch.exportTimeoutMillis, warn),
        warn,
      ),
    ),
    shutdownTimeoutMillis:
      options.shutdownTimeoutMillis === undefined
        ? 5000
        : positive(options.shutdownTimeoutMillis, 'shutdownTimeoutMillis'),
    handleSignals: optionalBoolean(options, 'handleSignals') ?? true,
  }
}
