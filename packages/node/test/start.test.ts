import { context, diag, propagation, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api'
import { type Instrumentation } from '@opentelemetry/instrumentation'
import {
  TracerProvider as BasicTracerProvider,
  InMemorySpanExporter,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace'
import { getRequestTrace, traceHandler } from '@tracehop/core'
import http from 'node:http'
import net from 'node:net'
import { listen } from '../../../test-utils/tracing.js'
import { startTracing, type TracingHandle, type TracingOptions } from '../src/index.js'

// In-process behaviour of startTracing that needs neither an OTLP exporter nor fetch tracing
// (both run in child processes: Jest's sandbox refuses the exporters' dynamic import and does not
// see undici's diagnostics channels): option validation, setup failures, the handle.
const quiet = { onWarning: () => {}, handleSignals: false } satisfies TracingOptions

afterEach(() => {
  trace.disable()
  context.disable()
  propagation.disable()
})

describe('bad options', () => {
  it.each([
    [{ serviceName: '' }, 'option "serviceName" must be a non-empty string; received ""'],
    [{ serviceName: 42 }, 'option "serviceName" must be a non-empty string; received 42'],
    [
      { exporter: 'jaeger' },
      `option "exporter" must be 'otlp', 'console', 'none' or a SpanExporter; received "jaeger"`,
    ],
    [
      { endpoint: 'localhost:4318' },
      'option "endpoint" must be an http:// or https:// URL; received "localhost:4318"',
    ],
    [
      { protocol: 'http' },
      `option "protocol" must be 'http/protobuf', 'http/json' or 'grpc'; received "http"`,
    ],
    [{ sampleRatio: 1.5 }, 'option "sampleRatio" must be a number from 0 to 1; received 1.5'],
    [
      { sampleRatio: Number.NaN },
      'option "sampleRatio" must be a number from 0 to 1; received NaN',
    ],
    [
      { propagators: ['w3c'] },
      'option "propagators" must be names from tracecontext, baggage, b3, b3multi, jaeger, none or a TextMapPropagator; received ["w3c"]',
    ],
    [{ outbound: 'yes' }, 'option "outbound" must be a boolean or { fetch, http }; received "yes"'],
    [{ outbound: { fetch: 1 } }, 'option "outbound.fetch" must be a boolean; received 1'],
    [{ headers: { a: 1 } }, 'option "headers" must be an object of strings; received an object'],
    [
      { shutdownTimeoutMillis: 0 },
      'option "shutdownTimeoutMillis" must be a positive number; received 0',
    ],
    [
      { batch: { maxQueueSize: -1 } },
      'option "batch.maxQueueSize" must be a positive number; received -1',
    ],
    [
      { metrics: { prometheus: { port: 70000 } } },
      'option "metrics.prometheus.port" must be a port number; received 70000',
    ],
    [{ handleSignals: 'no' }, 'option "handleSignals" must be a boolean; received "no"'],
    [{ onWarning: 'console' }, 'option "onWarning" must be a function; received "console"'],
  ])('%j throws a TypeError naming the option', (options, message) => {
    expect(() => startTracing(options as TracingOptions)).toThrow(
      new TypeError(`@tracehop/node: ${message}`),
    )
  })
})

describe('setup failures', () => {
  it('leaves an SDK that is already registered in charge: one warning, a no-op handle', async () => {
    const theirs = new BasicTracerProvider()
    trace.setGlobalTracerProvider(theirs)
    const warnings: string[] = []
    let handle: TracingHandle | undefined
    expect(() => {
      handle = startTracing({ ...quiet, serviceName: 'a', onWarning: (m) => warnings.push(m) })
    }).not.toThrow()
    expect(handle!.enabled).toBe(false)
    expect(warnings).toEqual([
      '@tracehop/node: setting up tracing failed (another OpenTelemetry tracer provider is already registered globally); tracing is off',
    ])
    await expect(handle!.forceFlush()).resolves.toBeUndefined()
    await expect(handle!.shutdown()).resolves.toBeUndefined()
    expect(handle!.stats()).toEqual({ queued: 0, exported: 0, dropped: 0, failed: 0 })
  })

  it('survives an instrumentation that throws, and undoes what it had set up', () => {
    const broken = {
      instrumentationName: 'broken',
      instrumentationVersion: '1.0.0',
      enable() {
        throw new Error('cannot enable')
      },
      disable() {},
      setConfig() {},
      getConfig: () => ({}),
      setTracerProvider() {},
      setMeterProvider() {},
    } as unknown as Instrumentation
    const warnings: string[] = []
    const handle = startTracing({
      ...quiet,
      serviceName: 'a',
      instrumentations: [broken],
      onWarning: (m) => warnings.push(m),
    })
    expect(handle.enabled).toBe(false)
    expect(warnings).toEqual([
      '@tracehop/node: setting up tracing failed (cannot enable); tracing is off',
    ])
    // the globals it had registered are gone: a fresh start works
    const again = startTracing({ ...quiet, serviceName: 'b', exporter: 'none' })
    expect(again.enabled).toBe(true)
    return again.shutdown()
  })

  it('gives a no-op handle when disabled', () => {
    const handle = startTracing({ ...quiet, disabled: true })
    expect(handle.enabled).toBe(false)
    expect(handle.exporter).toBe('none')
  })
})

describe('handle', () => {
  it('returns the running handle when called twice, with a warning', async () => {
    const warnings: string[] = []
    const first = startTracing({ ...quiet, serviceName: 'a', exporter: 'none' })
    const second = startTracing({ ...quiet, serviceName: 'b', onWarning: (m) => warnings.push(m) })
    expect(second).toBe(first)
    expect(warnings).toEqual([
      '@tracehop/node: startTracing() was called again; the running setup is kept',
    ])
    await first.shutdown()
    await first.shutdown() // twice is fine
    const third = startTracing({ ...quiet, serviceName: 'c', exporter: 'none' })
    expect(third).not.toBe(first)
    await third.shutdown()
  })
})

describe('diag', () => {
  it('passes warnings and errors reported through diag to onWarning, until shutdown', async () => {
    const warnings: string[] = []
    const tracing = startTracing({
      ...quiet,
      serviceName: 'a',
      exporter: 'none',
      onWarning: (m) => warnings.push(m),
    })
    diag.warn('@tracehop/express: layer %s lost its context', '"auth"')
    diag.error('@tracehop/core: "requestHook" threw; the request goes on', new Error('boom'))
    diag.info('not a warning')
    await tracing.shutdown()
    diag.warn('after shutdown')
    expect(warnings).toHaveLength(2)
    expect(warnings[0]).toBe('@tracehop/express: layer "auth" lost its context')
    expect(warnings[1]).toMatch(
      /^@tracehop\/core: "requestHook" threw; the request goes on Error: boom\n\s+at /,
    )
  })
})

describe('unsampled parents', () => {
  const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
  const UNSAMPLED = `00-${TRACE_ID}-00f067aa0ba902b7-00`
  // the declarations core reads, shared by every installed copy of it
  const declared = (provider: unknown): boolean =>
    (globalThis as { [key: symbol]: WeakSet<object> | undefined })[
      Symbol.for('tracehop.drops-unsampled-parents.v1')
    ]?.has(provider as object) === true

  /** One `-00` request through core's traceHandler; whether its span records. */
  async function unsampledRequest(): Promise<boolean> {
    let recording: boolean | undefined
    const app = await listen(
      traceHandler((req, res) => {
        recording = getRequestTrace(req).span.isRecording()
        res.end('ok')
      }),
    )
    try {
      await new Promise<void>((resolve, reject) => {
        http
          .get(app.url, { agent: false, headers: { traceparent: UNSAMPLED } }, (res) =>
            res.resume().on('end', resolve),
          )
          .on('error', reject)
      })
    } finally {
      await app.close()
    }
    if (recording === undefined) throw new Error('the handler did not run')
    return recording
  }

  it('are left to the adapters when the sampler is ours, for every service provider too', async () => {
    const tracing = startTracing({ ...quiet, serviceName: 'a', exporter: 'none' })
    const other = tracing.forService('b')
    expect(declared(tracing.tracerProvider)).toBe(true)
    expect(declared(other)).toBe(true)
    expect(await unsampledRequest()).toBe(false)
    await tracing.shutdown()
    expect(declared(tracing.tracerProvider)).toBe(false)
    expect(declared(other)).toBe(false)
  })

  it("still go to a sampler of the user's own, which may sample them", async () => {
    const asked: string[] = []
    const sampler: Sampler = {
      shouldSample: (_ctx, traceId) => {
        asked.push(traceId)
        return { decision: SamplingDecision.RECORD_AND_SAMPLED }
      },
      toString: () => 'mine',
    }
    const tracing = startTracing({ ...quiet, serviceName: 'a', exporter: 'none', sampler })
    try {
      expect(declared(tracing.tracerProvider)).toBe(false)
      expect(await unsampledRequest()).toBe(true)
      expect(asked).toContain(TRACE_ID)
    } finally {
      await tracing.shutdown()
    }
  })
})

describe('new traces', () => {
  // the root samplers core reads, shared by every installed copy of it
  const declared = (provider: unknown): boolean =>
    (globalThis as { [key: symbol]: WeakMap<object, unknown> | undefined })[
      Symbol.for('tracehop.root-samplers.v1')
    ]?.has(provider as object) === true

  /** `count` requests without a traceparent through core's traceHandler; what each span was. */
  async function newTraces(count: number): Promise<{ traceId: string; recording: boolean }[]> {
    const seen: { traceId: string; recording: boolean }[] = []
    const app = await listen(
      traceHandler((req, res) => {
        const span = getRequestTrace(req).span
        seen.push({ traceId: span.spanContext().traceId, recording: span.isRecording() })
        res.end('ok')
      }),
    )
    try {
      // over a plain socket: a traced client would start the trace itself (Node >= 22 traces
      // outgoing node:http calls through diagnostics channels)
      const { port } = new URL(app.url)
      for (let i = 0; i < count; i++) {
        await new Promise<void>((resolve, reject) => {
          const socket = net.connect(Number(port), '127.0.0.1', () => {
            socket.end(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`)
          })
          socket.on('error', reject).resume().on('end', resolve)
        })
      }
    } finally {
      await app.close()
    }
    return seen
  }

  it('are decided ahead of the SDK under sampleRatio, as its sampler decides them', async () => {
    const exporter = new InMemorySpanExporter()
    const tracing = startTracing({ ...quiet, serviceName: 'a', exporter, sampleRatio: 0.5 })
    const other = tracing.forService('b')
    try {
      expect(declared(tracing.tracerProvider)).toBe(true)
      expect(declared(other)).toBe(true)
      const seen = await newTraces(40)
      const ratio = new TraceIdRatioBasedSampler(0.5)
      for (const { traceId, recording } of seen) {
        const { decision } = ratio.shouldSample(ROOT_CONTEXT, traceId)
        expect(recording).toBe(decision === SamplingDecision.RECORD_AND_SAMPLED)
      }
      const kept = seen.filter((s) => s.recording).map((s) => s.traceId)
      // 40 random trace ids at 0.5: both outcomes occur (a miss is ~1e-12)
      expect(kept.length).toBeGreaterThan(0)
      expect(kept.length).toBeLessThan(40)
      await tracing.forceFlush()
      // the SDK started each kept span with the trace id decided on
      const exported = exporter
        .getFinishedSpans()
        .filter((span) => span.kind === SpanKind.SERVER)
        .map((span) => span.spanContext().traceId)
      expect(exported.sort()).toEqual(kept.sort())
    } finally {
      await tracing.shutdown()
    }
    expect(declared(tracing.tracerProvider)).toBe(false)
    expect(declared(other)).toBe(false)
  })

  it.each([
    ['always_off', true, 'always_off', ''],
    ['traceidratio 0.3', true, 'traceidratio', '0.3'],
    ['parentbased_always_off', true, 'parentbased_always_off', ''],
    ['parentbased_always_on (the default)', false, '', ''],
    ['always_on', false, 'always_on', ''],
    ['parentbased_traceidratio 1 (keeps them all)', false, 'parentbased_traceidratio', '1'],
  ])('under %s, are decided ahead of the SDK: %s', async (_name, expected, sampler, arg) => {
    const saved = { s: process.env.OTEL_TRACES_SAMPLER, a: process.env.OTEL_TRACES_SAMPLER_ARG }
    process.env.OTEL_TRACES_SAMPLER = sampler
    process.env.OTEL_TRACES_SAMPLER_ARG = arg
    try {
      const tracing = startTracing({ ...quiet, serviceName: 'a', exporter: 'none' })
      expect(declared(tracing.tracerProvider)).toBe(expected)
      if (expected && sampler.endsWith('always_off')) {
        expect((await newTraces(3)).map((s) => s.recording)).toEqual([false, false, false])
      }
      await tracing.shutdown()
    } finally {
      for (const [name, value] of [
        ['OTEL_TRACES_SAMPLER', saved.s],
        ['OTEL_TRACES_SAMPLER_ARG', saved.a],
      ] as const) {
        if (value === undefined) delete process.env[name]
        else process.env[name] = value
      }
    }
  })

  it("go to a sampler of the user's own", async () => {
    const sampler: Sampler = {
      shouldSample: () => ({ decision: SamplingDecision.NOT_RECORD }),
      toString: () => 'mine',
    }
    const tracing = startTracing({ ...quiet, serviceName: 'a', exporter: 'none', sampler })
    try {
      expect(declared(tracing.tracerProvider)).toBe(false)
    } finally {
      await tracing.shutdown()
    }
  })
})
