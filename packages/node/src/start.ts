import {
  context,
  diag,
  DiagLogLevel,
  metrics,
  propagation,
  trace,
  type Attributes,
  type Context,
  type MeterProvider,
  type TextMapPropagator,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources'
import {
  MeterProvider as SdkMeterProvider,
  type MetricProducer,
  type MetricReader,
} from '@opentelemetry/sdk-metrics'
import {
  NoopSpanProcessor,
  SimpleSpanProcessor,
  TracerProvider as SdkTracerProvider,
  type ReadableSpan,
  type Span,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace'
import {
  createPropagator,
  declareDropsUnsampledParents,
  declareRootSampler,
  DurationHistogram,
  setDurationSink,
} from '@tracehop/core'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { format } from 'node:util'
import { resolveConfig, type ResolvedConfig } from './config.js'
import { DurationMetricProducer } from './duration-producer.js'
import { endExportsWithin, ExportQueueSpanProcessor } from './export-queue.js'
import { otlpMetricReader, otlpTraceExporter, prometheusReader } from './exporters.js'
import { loadOrderWarning } from './load-order.js'
import { traceFetch } from './outbound-fetch.js'
import type { HttpInstrumentationConfig } from '@opentelemetry/instrumentation-http'
import { HTTP_CHANNELS, httpInstrumentationConfig, traceHttpRequests } from './outbound-http.js'
import { loadOptionalPeers, sdkLineProblem } from './peers.js'
import { whereSpansGo } from './startup-note.js'
import { warnOnUnpatchedHttp } from './unpatched-http.js'
import { buildResource } from './resource.js'
import { DecidedTraceIds } from './root-sampling.js'
import { flushOnSignals } from './signals.js'
import type { ExportStats, InstrumentationLike, TracingHandle, TracingOptions } from './types.js'
import { VERSION } from './version.js'
import { Warnings } from './warnings.js'
import { WaterfallSpanExporter } from './waterfall.js'

const SCOPE = '@tracehop/node'
let running: TracingHandle | undefined

function defaultSink(message: string): void {
  console.warn(message)
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** Resolves when `promise` settles or after `ms`, whichever is first; `false` on timeout or failure. */
function settleWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms)
    promise.then(
      () => {
        clearTimeout(timer)
        resolve(true)
      },
      () => {
        clearTimeout(timer)
        resolve(false)
      },
    )
  })
}

/** Passes a shared processor's work through without letting one provider shut it down. */
class SharedProcessor implements SpanProcessor {
  constructor(private readonly inner: SpanProcessor) {}
  onStart(span: Span, parentContext: Context): void {
    this.inner.onStart(span, parentContext)
  }
  onEnd(span: ReadableSpan): void {
    this.inner.onEnd(span)
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush()
  }
  shutdown(): Promise<void> {
    return Promise.resolve()
  }
}

/** Makes a metric reader whose own producer hands it `duration`'s points, in its temporality. */
function withDurationPoints<T extends { reader: MetricReader }>(
  duration: DurationHistogram,
  resource: Resource,
  make: (producers: MetricProducer[]) => T,
): T {
  const producer = new DurationMetricProducer(duration, resource)
  const made = make([producer])
  producer.attach(made.reader)
  return made
}

const EMPTY_STATS: ExportStats = { queued: 0, exported: 0, dropped: 0, failed: 0 }

function noopHandle(serviceName: string): TracingHandle {
  return {
    enabled: false,
    serviceName,
    exporter: 'none',
    tracerProvider: trace.getTracerProvider(),
    meterProvider: undefined,
    forService: () => trace.getTracerProvider(),
    stats: () => ({ ...EMPTY_STATS }),
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  }
}

function buildPropagator(config: ResolvedConfig): TextMapPropagator {
  if (!Array.isArray(config.propagators)) return config.propagators as TextMapPropagator
  // The SDK's id generator is random, so locally started traces may claim the Level 2 random flag.
  return createPropagator(config.propagators as string[], { randomTraceIds: true })
}

/** instrumentation-http for outgoing `http.request` (an optional peer), incoming requests left alone. */
function httpInstrumentation(): InstrumentationLike {
  const [{ HttpInstrumentation }] = loadOptionalPeers<
    [
      { HttpInstrumentation: new (config: HttpInstrumentationConfig) => InstrumentationLike },
      unknown,
    ]
  >(
    ['@opentelemetry/instrumentation-http', '@opentelemetry/instrumentation'],
    'Tracing outgoing http.request on this Node version (outbound.http)',
  )
  return new HttpInstrumentation(httpInstrumentationConfig())
}

/** Points the instrumentations at our providers and enables them; returns the undo. */
function enableInstrumentations(
  instrumentations: readonly InstrumentationLike[],
  tracerProvider: TracerProvider,
  meterProvider: MeterProvider | undefined,
): () => void {
  for (const instrumentation of instrumentations) {
    instrumentation.setTracerProvider(tracerProvider)
    if (meterProvider) instrumentation.setMeterProvider?.(meterProvider)
    // One constructed with `enabled: true` (the default) enabled itself already; enabling it
    // again would patch twice.
    if (instrumentation.getConfig?.().enabled !== true) instrumentation.enable()
  }
  return () => {
    for (const instrumentation of instrumentations) instrumentation.disable()
  }
}

/**
 * Sets up tracing for the process in one call: resource, sampler, propagators, exporter (OTLP or
 * the console waterfall), outgoing fetch/http tracing, optional metrics, and a flush on
 * SIGTERM/SIGINT. Options win over the `OTEL_*` variables. A bad option throws a `TypeError`;
 * anything that fails while setting up is reported as a warning and yields a no-op handle.
 * Calling it again returns the running handle.
 *
 * @example
 * import { startTracing } from '@tracehop/node'
 * const tracing = startTracing({ serviceName: 'orders' })
 * // ... on the way out
 * await tracing.shutdown()
 */
export function startTracing(options: TracingOptions = {}): TracingHandle {
  const warnings = new Warnings(
    typeof options?.onWarning === 'function' ? options.onWarning : defaultSink,
  )
  const config = resolveConfig(options, process.env, (m) => warnings.once(m))
  if (running) {
    warnings.once('startTracing() was called again; the running setup is kept')
    return running
  }
  if (config.disabled) return noopHandle(config.serviceName ?? 'unknown_service')
  const lineProblem = sdkLineProblem()
  if (lineProblem !== undefined) {
    warnings.once(lineProblem)
    return noopHandle(config.serviceName ?? 'unknown_service')
  }
  const teardown: Teardown = { hooks: [], sdk: undefined, globals: [] }
  try {
    running = setup(config, options, warnings, teardown)
    return running
  } catch (error) {
    const quietly = (step: () => unknown): void => {
      try {
        void Promise.resolve(step()).catch(() => {})
      } catch {
        // best effort: the app must start regardless
      }
    }
    teardown.hooks.reverse().forEach(quietly)
    if (teardown.sdk) quietly(teardown.sdk)
    teardown.globals.forEach(quietly)
    warnings.once(`setting up tracing failed (${errorMessage(error)}); tracing is off`)
    return noopHandle(config.serviceName ?? 'unknown_service')
  }
}

/** What to undo: listeners and patches, then the SDK, then the globals it registered. */
interface Teardown {
  hooks: (() => void)[]
  sdk: (() => Promise<unknown>) | undefined
  globals: (() => void)[]
}

function setup(
  config: ResolvedConfig,
  options: TracingOptions,
  warnings: Warnings,
  teardown: Teardown,
): TracingHandle {
  const warn = (m: string): void => warnings.once(m)
  const { resource, serviceName } = buildResource(config, options.resourceAttributes, warn)

  // Span pipeline.
  const processors: SpanProcessor[] = []
  let queue: ExportQueueSpanProcessor | undefined
  let waterfall: WaterfallSpanExporter | undefined
  let exporterKind: TracingHandle['exporter'] = 'none'
  if (config.customExporter) {
    queue = new ExportQueueSpanProcessor(
      config.customExporter,
      config.batch,
      warnings,
      'the exporter',
    )
    processors.push(queue)
    exporterKind = 'custom'
  }
  if (config.exporters.includes('otlp')) {
    const { exporter, link } = otlpTraceExporter(config)
    queue = new ExportQueueSpanProcessor(exporter, config.batch, warnings, config.tracesUrl, link)
    processors.push(queue)
    exporterKind = 'otlp'
  }
  if (config.exporters.includes('console')) {
    waterfall = new WaterfallSpanExporter(options.waterfall)
    processors.push(new SimpleSpanProcessor({ exporter: waterfall }))
    if (exporterKind === 'none') exporterKind = 'console'
  }
  processors.push(...(options.spanProcessors ?? []))
  if (processors.length === 0) processors.push(new NoopSpanProcessor())

  // Metrics. The adapters' duration histogram is aggregated in core (DurationHistogram) for the
  // meter provider made here, and every reader gets its points through a producer of its own.
  const duration = new DurationHistogram()
  const metricReaders: MetricReader[] = []
  let metricsLink: ReturnType<typeof otlpMetricReader> | undefined
  if (config.metricsOtlp) {
    metricsLink = withDurationPoints(duration, resource, (producers) =>
      otlpMetricReader(config, producers),
    )
    metricReaders.push(metricsLink.reader)
  }
  if (config.prometheus) {
    const prometheus = config.prometheus
    const { reader } = withDurationPoints(duration, resource, (producers) => ({
      reader: prometheusReader(
        prometheus,
        (error) => warn(`the Prometheus endpoint could not start (${errorMessage(error)})`),
        producers,
      ),
    }))
    metricReaders.push(reader)
  }

  // The SDK, composed from its packages and registered globally. Each global refuses a second
  // registration; that is reported as an error rather than tracing into someone else's setup.
  // Our own samplers drop every child of an unsampled parent, and decide a new trace from its id
  // alone: the adapters need not ask them about the requests they drop.
  const makeTracerProvider = (
    providerResource: Resource,
    spanProcessors: SpanProcessor[],
  ): SdkTracerProvider => {
    const rootSampler = config.rootSampler
    const ids = rootSampler === undefined ? undefined : new DecidedTraceIds(rootSampler)
    const provider = new SdkTracerProvider({
      resource: providerResource,
      sampler: config.sampler,
      spanProcessors,
      idGenerator: ids,
    })
    if (config.dropsUnsampledParents) teardown.globals.push(declareDropsUnsampledParents(provider))
    if (ids !== undefined) teardown.globals.push(declareRootSampler(provider, ids.decide))
    return provider
  }
  const tracerProvider = makeTracerProvider(resource, processors)
  teardown.sdk = () => tracerProvider.shutdown()
  if (!trace.setGlobalTracerProvider(tracerProvider)) {
    throw new Error('another OpenTelemetry tracer provider is already registered globally')
  }
  teardown.globals.push(() => trace.disable())
  const contextManager = new AsyncLocalStorageContextManager().enable()
  if (!context.setGlobalContextManager(contextManager)) {
    contextManager.disable()
    throw new Error('another OpenTelemetry context manager is already registered globally')
  }
  teardown.globals.push(() => context.disable())
  propagation.setGlobalPropagator(buildPropagator(config))
  teardown.globals.push(() => propagation.disable())
  let meterProvider: SdkMeterProvider | undefined
  if (metricReaders.length > 0) {
    meterProvider = new SdkMeterProvider({ resource, readers: metricReaders })
    const provider = meterProvider
    teardown.sdk = () => Promise.all([tracerProvider.shutdown(), provider.shutdown()])
    // Adapters record the duration into `duration` only while this provider is the global one
    // and they have no meter provider of their own; a global registered before stays theirs.
    if (metrics.setGlobalMeterProvider(meterProvider)) {
      teardown.globals.push(setDurationSink(meterProvider, duration))
    }
    teardown.globals.push(() => metrics.disable())
  }

  // Other services hosted in this process, and the tracer for outgoing calls by service.
  // By resource object: spans hold their provider's resource, and reading its attributes before
  // the async ones (host id) settle makes the SDK complain.
  const tracers = new WeakMap<Resource, Tracer>()
  const mainTracer = tracerProvider.getTracer(SCOPE, VERSION)
  const services = new Map<string, SdkTracerProvider>()
  const forService = (name: string, attributes?: Attributes): TracerProvider => {
    if (name === serviceName && attributes === undefined) return tracerProvider
    const existing = services.get(name)
    if (existing) return existing
    const serviceResource = resource.merge(
      resourceFromAttributes({ ...attributes, 'service.name': name }),
    )
    const provider = makeTracerProvider(
      serviceResource,
      processors.map((p) => new SharedProcessor(p)),
    )
    services.set(name, provider)
    tracers.set(serviceResource, provider.getTracer(SCOPE, VERSION))
    return provider
  }
  const tracerFor = (parent: Context): Tracer => {
    const owner = (trace.getSpan(parent) as { resource?: Resource } | undefined)?.resource
    return (owner !== undefined && tracers.get(owner)) || mainTracer
  }

  // Outgoing calls, and the user's instrumentations.
  if (config.outboundFetch) teardown.hooks.push(traceFetch(tracerFor))
  if (config.outboundHttp && HTTP_CHANNELS) teardown.hooks.push(traceHttpRequests(tracerFor))
  const patchHttp = config.outboundHttp && !HTTP_CHANNELS // Node 20
  if (patchHttp) teardown.hooks.push(warnOnUnpatchedHttp(warn))
  const instrumentations: InstrumentationLike[] = []
  if (patchHttp) instrumentations.push(httpInstrumentation())
  instrumentations.push(...(options.instrumentations ?? []))
  const loadOrder = loadOrderWarning(instrumentations)
  if (loadOrder !== undefined) warn(loadOrder)
  if (instrumentations.length > 0) {
    teardown.hooks.push(enableInstrumentations(instrumentations, tracerProvider, meterProvider))
    if (patchHttp) {
      // The http instrumentation patches through a require hook; requiring the modules once
      // here applies it to the shared module objects, which ESM imports of node:http also see.
      const load = createRequire(join(process.cwd(), 'tracehop.cjs'))
      load('node:http')
      load('node:https')
    }
  }

  // Warnings and errors reported through `diag` (a user hook that threw, a lost context) reach
  // onWarning, unless OTEL_LOG_LEVEL asked the SDK for its own console logger. Set up last, so a
  // failed setup above does not leave our logger behind.
  if (process.env.OTEL_LOG_LEVEL === undefined || process.env.OTEL_LOG_LEVEL.trim() === '') {
    const pass = (message: string, ...args: unknown[]): void =>
      warnings.passOn(format(message, ...args))
    const noop = (): void => {}
    diag.setLogger(
      { error: pass, warn: pass, info: noop, debug: noop, verbose: noop },
      { logLevel: DiagLogLevel.WARN },
    )
    teardown.globals.push(() => diag.disable())
  }

  // Flush: on demand, on SIGTERM/SIGINT, and when the event loop runs dry with work pending.
  const pending = (): boolean => (queue?.stats().queued ?? 0) > 0 || waterfall?.hasPending === true
  type Flushable = { forceFlush?: () => Promise<void> }
  const flushAll = async (): Promise<void> => {
    await Promise.all([
      (tracerProvider as Flushable).forceFlush?.(),
      (meterProvider as Flushable | undefined)?.forceFlush?.(),
    ])
  }
  let shutdownPromise: Promise<void> | undefined
  const forceFlush = async (): Promise<void> => {
    if (shutdownPromise) return
    if (!(await settleWithin(flushAll(), config.shutdownTimeoutMillis))) {
      warnings.repeating(
        'flush',
        `flushing spans did not finish within ${config.shutdownTimeoutMillis} ms`,
      )
    }
  }
  if (config.handleSignals) {
    teardown.hooks.push(flushOnSignals(forceFlush, config.shutdownTimeoutMillis))
  }
  // Metrics since the last export are pending too; flushed once per quiet spell, or the flush
  // itself (which keeps the loop busy) would bring beforeExit back forever.
  let metricsFlushed = false
  const onBeforeExit = (): void => {
    const metricsPending = meterProvider !== undefined && !metricsFlushed
    if (!pending() && !metricsPending) return
    metricsFlushed = true
    void forceFlush()
  }
  process.on('beforeExit', onBeforeExit)
  teardown.hooks.push(() => process.removeListener('beforeExit', onBeforeExit))

  const shutdown = (): Promise<void> => {
    shutdownPromise ??= (async () => {
      const cut = endExportsWithin(config.shutdownTimeoutMillis, queue, metricsLink?.link)
      for (const step of teardown.hooks.splice(0).reverse()) step()
      // Flush first: a simple processor's shutdown does not wait for exports still waiting on
      // the resource's async attributes.
      const done = await settleWithin(
        flushAll().then(() =>
          Promise.all([
            tracerProvider.shutdown(),
            meterProvider?.shutdown(),
            ...[...services.values()].map((p) => p.shutdown()),
          ]),
        ),
        config.shutdownTimeoutMillis,
      )
      if (!done || cut() !== '') {
        warnings.once(`shutdown did not finish within ${config.shutdownTimeoutMillis} ms${cut()}`)
      }
      for (const step of teardown.globals.splice(0)) step()
      if (running === handle) running = undefined
    })()
    return shutdownPromise
  }

  const note = whereSpansGo(config, process.env)
  if (note !== undefined) warnings.once(note)

  const handle: TracingHandle = {
    enabled: true,
    serviceName,
    exporter: exporterKind,
    tracerProvider,
    meterProvider,
    forService,
    stats: () => queue?.stats() ?? { ...EMPTY_STATS },
    forceFlush,
    shutdown,
  }
  return handle
}
