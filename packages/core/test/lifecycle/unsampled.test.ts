import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type HistogramMetricData,
} from '@opentelemetry/sdk-metrics'
import { isValidTraceId, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import http from 'node:http'
import {
  AlwaysOnSampler,
  InMemorySpanExporter,
  ParentBasedSampler,
  RandomIdGenerator,
  SamplingDecision,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type IdGenerator,
  type Sampler,
} from '@opentelemetry/sdk-trace'
import {
  declareDropsUnsampledParents,
  declareRootSampler,
  getRequestTrace,
  injectHeaders,
  randomSpanId,
  randomTraceId,
  traceHandler,
  type RequestTrace,
  type TraceOptions,
} from '../../src/index.js'
import { listen, request, setupTracing, waitForSpans } from '../support/tracing.js'

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'

/** The duration histogram as `reader` exports it now. */
async function durationMetric(
  reader: PeriodicExportingMetricReader,
  exporter: InMemoryMetricExporter,
): Promise<HistogramMetricData> {
  await reader.forceFlush()
  return exporter
    .getMetrics()
    .flatMap((rm) => rm.scopeMetrics)
    .flatMap((sm) => sm.metrics)
    .find((m) => m.descriptor.name === 'http.server.request.duration') as HistogramMetricData
}

function traceparent(flags: '00' | '01'): string {
  return `00-${TRACE_ID}-00f067aa0ba902b7-${flags}`
}

// A request whose parent was not sampled gets a span that records nothing: what would only be
// written to it is skipped, and the duration metric is still recorded and labelled.
describe('unsampled requests', () => {
  let tracing: ReturnType<typeof setupTracing>
  beforeEach(() => {
    tracing = setupTracing()
  })
  afterEach(async () => {
    await tracing.teardown()
  })

  it('skip responseHook and the exception, and still record the duration with error.type', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
    const meterProvider = new MeterProvider({ readers: [reader] })
    const hooked: boolean[] = []
    const recording: boolean[] = []
    const app = await listen(
      traceHandler(
        (req, res) => {
          const requestTrace = getRequestTrace(req)
          recording.push(requestTrace.span.isRecording())
          requestTrace.setRoute('/orders/:id')
          requestTrace.recordError(new TypeError('bad order'))
          res.end('ok')
        },
        {
          tracerProvider: tracing.provider,
          meterProvider,
          responseHook: (span) => hooked.push(span.isRecording()),
        },
      ),
    )
    try {
      const unsampled = await request(`${app.url}/orders/1`, {
        headers: { traceparent: traceparent('00') },
      })
      expect(unsampled.status).toBe(200)
      // a sampled request after it: its span is exported, so the unsampled one has ended too
      await request(`${app.url}/orders/2`, { headers: { traceparent: traceparent('01') } })
      const spans = await waitForSpans(tracing.exporter, 1)
      expect(recording).toEqual([false, true])
      expect(spans).toHaveLength(1)
      expect(spans[0]?.attributes['url.path']).toBe('/orders/2')
      expect(spans[0]?.events.map((event) => event.name)).toEqual(['exception'])
      expect(hooked).toEqual([true])

      const duration = await durationMetric(reader, exporter)
      const point = duration.dataPoints.find((p) => p.attributes['http.route'] === '/orders/:id')
      // both requests, the unsampled one included, classified by the recorded error
      expect(point?.value.count).toBe(2)
      expect(point?.attributes['error.type']).toBe('TypeError')
    } finally {
      await app.close()
      await meterProvider.shutdown()
    }
  })

  // An unsampled request that no instrument measures has nothing to do at its end: its trace
  // puts no listener on the response, and reads from the response whether it has ended.
  describe('without a metric (passive traces)', () => {
    interface Seen {
      recording: boolean
      finish: number
      close: number
      endedInHandler: boolean
      trace: RequestTrace
      closed: Promise<void>
    }

    /** A server whose handler reports what the trace put on the response, and its trace. */
    async function serve(options: TraceOptions, respond = true) {
      const seen: Seen[] = []
      const app = await listen(
        traceHandler(
          (req, res) => {
            const requestTrace = getRequestTrace(req)
            seen.push({
              recording: requestTrace.span.isRecording(),
              finish: res.listenerCount('finish'),
              close: res.listenerCount('close'),
              endedInHandler: requestTrace.ended,
              trace: requestTrace,
              closed: new Promise((resolve) => res.once('close', () => resolve())),
            })
            if (respond) res.end('ok')
            else res.write('partial')
          },
          { tracerProvider: tracing.provider, ...options },
        ),
      )
      return { app, seen }
    }

    it('put no listener on the response without metrics, and read its end from it', async () => {
      // no meter provider anywhere: the API's no-op meter, as in a traces-only setup
      for (const options of [{}, { metrics: false as const }]) {
        const { app, seen } = await serve(options)
        try {
          await request(app.url, { headers: { traceparent: traceparent('01') } })
          await request(app.url, { headers: { traceparent: traceparent('00') } })
          await waitForSpans(tracing.exporter, 1)
        } finally {
          await app.close()
        }
        const [sampled, unsampled] = seen as [Seen, Seen]
        expect([sampled.recording, unsampled.recording]).toEqual([true, false])
        // the sampled trace has its two listeners on top of what node:http itself puts there
        expect(sampled.finish - unsampled.finish).toBe(1)
        expect(sampled.close - unsampled.close).toBe(1)
        expect([sampled.endedInHandler, unsampled.endedInHandler]).toEqual([false, false])
        expect([sampled.trace.ended, unsampled.trace.ended]).toEqual([true, true])
        tracing.exporter.reset()
      }
    })

    it('read an abort from the response too', async () => {
      const { app, seen } = await serve({}, false)
      try {
        await new Promise<void>((resolve, reject) => {
          const req = http.request(
            app.url,
            { headers: { traceparent: traceparent('00') } },
            (res) => {
              res.once('data', () => {
                expect(seen[0]?.trace.ended).toBe(false)
                req.destroy()
                resolve()
              })
            },
          )
          req.on('error', () => undefined)
          req.once('error', reject)
          req.end()
        })
        await seen[0]?.closed
        expect(seen[0]?.trace.ended).toBe(true)
        expect(seen[0]?.recording).toBe(false)
      } finally {
        await app.close()
      }
    })

    it('are not made while an instrument measures the request, nor for a sampled one', async () => {
      const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
      const reader = new PeriodicExportingMetricReader({
        exporter,
        exportIntervalMillis: 3_600_000,
      })
      const meterProvider = new MeterProvider({ readers: [reader] })
      const { app, seen } = await serve({
        meterProvider,
        metrics: { duration: false, activeRequests: true },
      })
      try {
        await request(app.url, { headers: { traceparent: traceparent('00') } })
        await request(app.url, { headers: { traceparent: traceparent('01') } })
        await waitForSpans(tracing.exporter, 1)
      } finally {
        await app.close()
        await meterProvider.shutdown()
      }
      const [unsampled, sampled] = seen as [Seen, Seen]
      expect(unsampled.recording).toBe(false)
      expect([unsampled.finish, unsampled.close]).toEqual([sampled.finish, sampled.close])
    })
  })
})

// A provider declared to drop children of unsampled parents is not asked about them: the request
// gets what its sampler would have returned, without the SDK's work or ours.
describe('unsampled parents on a provider declared to drop them', () => {
  const PARENT_SPAN_ID = '00f067aa0ba902b7'
  let tracing: ReturnType<typeof setupTracing>
  let asked: number
  let provider: TracerProvider
  let exporter: InMemorySpanExporter

  beforeEach(() => {
    tracing = setupTracing()
    asked = 0
    const sampler = new ParentBasedSampler({ root: new AlwaysOnSampler() })
    const counting: Sampler = {
      shouldSample: (...args) => {
        asked++
        return sampler.shouldSample(...args)
      },
      toString: () => 'counting',
    }
    exporter = new InMemorySpanExporter()
    provider = new TracerProvider({
      sampler: counting,
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
    })
  })
  afterEach(async () => {
    await provider.shutdown()
    await tracing.teardown()
  })

  /** One request through traceHandler; what the handler saw and would send downstream. */
  async function send(
    headers: Record<string, string>,
    options: TraceOptions = { tracerProvider: provider },
  ): Promise<{ recording: boolean; downstream: Record<string, string>; spanId: string }> {
    let seen: { recording: boolean; downstream: Record<string, string>; spanId: string } | undefined
    const app = await listen(
      traceHandler((req, res) => {
        const span = getRequestTrace(req).span
        seen = {
          recording: span.isRecording(),
          downstream: injectHeaders(),
          spanId: span.spanContext().spanId,
        }
        res.end('ok')
      }, options),
    )
    try {
      const reply = await request(`${app.url}/orders/1?token=abc`, { headers })
      expect(reply.status).toBe(200)
      expect(reply.body).toBe('ok')
    } finally {
      await app.close()
    }
    if (seen === undefined) throw new Error('the handler did not run')
    return seen
  }

  const unsampledHeaders = { traceparent: traceparent('00'), tracestate: 'vendor=opaque,other=1' }

  it('skip the sampler and propagate the caller trace, unsampled, with a fresh span id', async () => {
    const stopDeclaring = declareDropsUnsampledParents(provider)
    try {
      const fast = await send(unsampledHeaders)
      expect(asked).toBe(0)
      expect(fast.recording).toBe(false)
      expect(fast.spanId).toMatch(/^[0-9a-f]{16}$/)
      expect(fast.spanId).not.toBe(PARENT_SPAN_ID)
      expect(fast.downstream).toEqual({
        traceparent: `00-${TRACE_ID}-${fast.spanId}-00`,
        tracestate: 'vendor=opaque,other=1',
      })

      // the same request without the declaration: the sampler decides, with the same outcome
      stopDeclaring()
      const asSampled = await send(unsampledHeaders)
      expect(asked).toBe(1)
      expect(asSampled.recording).toBe(false)
      expect(asSampled.downstream).toEqual({
        traceparent: `00-${TRACE_ID}-${asSampled.spanId}-00`,
        tracestate: 'vendor=opaque,other=1',
      })
      expect(exporter.getFinishedSpans()).toHaveLength(0)
    } finally {
      stopDeclaring()
    }
  })

  it('still ask the sampler for sampled parents, parents the trust policy drops, and other providers', async () => {
    const stopDeclaring = declareDropsUnsampledParents(provider)
    try {
      const sampled = await send({ traceparent: traceparent('01') })
      expect(asked).toBe(1)
      expect(sampled.recording).toBe(true)

      // `link` starts a new root: the root sampler decides, and the span links the caller
      const linked = await send(unsampledHeaders, { tracerProvider: provider, trust: 'link' })
      expect(asked).toBe(2)
      expect(linked.recording).toBe(true)
      const spans = await waitForSpans(exporter, 2)
      const root = spans.find((span) => span.links.length === 1)
      expect(root?.links[0]?.context.spanId).toBe(PARENT_SPAN_ID)
      expect(root?.attributes['tracehop.remote_parent.policy']).toBe('link')

      // a provider nobody declared keeps its sampler
      const undeclared = tracing.provider
      const other = await send(unsampledHeaders, { tracerProvider: undeclared })
      expect(other.recording).toBe(false)
      expect(tracing.exporter.getFinishedSpans()).toHaveLength(0)
    } finally {
      stopDeclaring()
    }
  })

  it('follow the global provider through the API proxy, and still record the duration', async () => {
    const exporterOfMetrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
    const reader = new PeriodicExportingMetricReader({
      exporter: exporterOfMetrics,
      exportIntervalMillis: 3_600_000,
    })
    const meterProvider = new MeterProvider({ readers: [reader] })
    trace.setGlobalTracerProvider(provider)
    const stopDeclaring = declareDropsUnsampledParents(provider)
    try {
      const fast = await send(unsampledHeaders, { meterProvider })
      expect(asked).toBe(0)
      expect(fast.recording).toBe(false)
      const duration = await durationMetric(reader, exporterOfMetrics)
      expect(duration.dataPoints).toHaveLength(1)
      expect(duration.dataPoints[0]?.value.count).toBe(1)
      expect(duration.dataPoints[0]?.attributes['http.response.status_code']).toBe(200)
    } finally {
      stopDeclaring()
      await meterProvider.shutdown()
    }
  })

  it('declared through the global proxy, reach the provider behind it', async () => {
    trace.setGlobalTracerProvider(provider)
    // what a NodeSDK user has: the API's proxy, not the SDK's provider
    const stopDeclaring = declareDropsUnsampledParents(trace.getTracerProvider())
    try {
      expect((await send(unsampledHeaders, {})).recording).toBe(false)
      expect((await send(unsampledHeaders)).recording).toBe(false)
      expect(asked).toBe(0)
    } finally {
      stopDeclaring()
    }
    expect((await send(unsampledHeaders)).recording).toBe(false)
    expect(asked).toBe(1)
  })

  it('refuse the global proxy before an SDK registered a provider, and what is no provider', () => {
    trace.disable()
    expect(() => declareDropsUnsampledParents(trace.getTracerProvider())).toThrow(
      /before any SDK registered one, so it would declare nothing; call it after sdk\.start\(\)/,
    )
    expect(() => declareRootSampler(trace.getTracerProvider(), () => undefined)).toThrow(
      /declareRootSampler\(\) was given the global tracer provider before any SDK/,
    )
    expect(() => declareDropsUnsampledParents(undefined as unknown as TracerProvider)).toThrow(
      'declareDropsUnsampledParents() needs a TracerProvider; received undefined',
    )
    expect(() => declareRootSampler(provider, 'ratio' as unknown as () => undefined)).toThrow(
      'declareRootSampler() needs a function that decides a new trace; received string',
    )
  })
})

// A provider declared with a root sampler is not asked about the new traces that sampler drops;
// the new traces it keeps start with the trace id it was asked about.
describe('new traces on a provider with a declared root sampler', () => {
  let tracing: ReturnType<typeof setupTracing>
  let asked: string[]
  let decided: string[]
  let provider: TracerProvider
  let exporter: InMemorySpanExporter
  let decide: () => string | undefined

  beforeEach(() => {
    tracing = setupTracing()
    asked = []
    decided = []
    const ratio = new TraceIdRatioBasedSampler(0.5)
    const sampler = new ParentBasedSampler({ root: ratio })
    const counting: Sampler = {
      shouldSample: (ctx, traceId, ...rest) => {
        asked.push(traceId)
        return sampler.shouldSample(ctx, traceId, ...rest)
      },
      toString: () => 'counting',
    }
    // the contract core relies on, kept in the test: a kept trace id becomes the next one
    const random = new RandomIdGenerator()
    let next: string | undefined
    const ids: IdGenerator = {
      generateTraceId: () => {
        const id = next ?? random.generateTraceId()
        next = undefined
        return id
      },
      generateSpanId: () => random.generateSpanId(),
    }
    decide = () => {
      const traceId = random.generateTraceId()
      decided.push(traceId)
      const { decision } = ratio.shouldSample(ROOT_CONTEXT, traceId)
      if (decision === SamplingDecision.NOT_RECORD) return traceId
      next = traceId
      return undefined
    }
    exporter = new InMemorySpanExporter()
    provider = new TracerProvider({
      sampler: counting,
      idGenerator: ids,
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
    })
  })
  afterEach(async () => {
    await provider.shutdown()
    await tracing.teardown()
  })

  interface Seen {
    recording: boolean
    traceId: string
    spanId: string
    downstream: Record<string, string>
  }

  /** `count` requests through traceHandler on one server; what each handler saw. */
  async function send(
    count: number,
    headers: Record<string, string> = {},
    options: TraceOptions = { tracerProvider: provider },
  ): Promise<Seen[]> {
    const seen: Seen[] = []
    const app = await listen(
      traceHandler((req, res) => {
        const span = getRequestTrace(req).span
        seen.push({
          recording: span.isRecording(),
          traceId: span.spanContext().traceId,
          spanId: span.spanContext().spanId,
          downstream: injectHeaders(),
        })
        res.end('ok')
      }, options),
    )
    try {
      for (let i = 0; i < count; i++) {
        const reply = await request(`${app.url}/orders/${i}`, { headers })
        expect(reply.status).toBe(200)
      }
    } finally {
      await app.close()
    }
    return seen
  }

  it('skip the SDK for dropped ones and start kept ones with the decided trace id', async () => {
    const stopDeclaring = declareRootSampler(provider, () => decide())
    try {
      const seen = await send(40)
      expect(decided).toHaveLength(40)
      expect(seen.map((s) => s.traceId)).toEqual(decided)
      const kept = seen.filter((s) => s.recording)
      const dropped = seen.filter((s) => !s.recording)
      // a ratio of 0.5 over 40 random ids: both outcomes occur (a miss is ~1e-12)
      expect(kept.length).toBeGreaterThan(0)
      expect(dropped.length).toBeGreaterThan(0)
      // the sampler is asked only about the kept ones, with the same trace id, and agrees
      expect(asked).toEqual(kept.map((s) => s.traceId))
      const spans = await waitForSpans(exporter, kept.length)
      expect(spans.map((span) => span.spanContext().traceId).sort()).toEqual(
        kept.map((s) => s.traceId).sort(),
      )
      for (const s of dropped) {
        expect(s.spanId).toMatch(/^[0-9a-f]{16}$/)
        expect(s.spanId).not.toBe('0000000000000000')
        expect(s.downstream).toEqual({ traceparent: `00-${s.traceId}-${s.spanId}-00` })
      }
      for (const s of kept) {
        expect(s.downstream).toEqual({ traceparent: `00-${s.traceId}-${s.spanId}-01` })
      }
    } finally {
      stopDeclaring()
    }
  })

  it('decide a parent the trust policy sets aside, and leave callers with a trace to the sampler', async () => {
    const stopDeclaring = declareRootSampler(provider, () => decide())
    try {
      await send(2, { traceparent: traceparent('01') })
      await send(2, { traceparent: traceparent('00') })
      expect(decided).toHaveLength(0)
      expect(asked).toEqual([TRACE_ID, TRACE_ID, TRACE_ID, TRACE_ID])

      const linked = await send(
        4,
        { traceparent: traceparent('01') },
        {
          tracerProvider: provider,
          trust: 'link',
        },
      )
      expect(decided).toHaveLength(4)
      expect(linked.map((s) => s.traceId)).toEqual(decided)
      expect(linked.every((s) => s.traceId !== TRACE_ID)).toBe(true)
    } finally {
      stopDeclaring()
    }
    // taken back: the SDK's sampler decides every new trace again
    const askedBefore = asked.length
    const after = await send(3)
    expect(decided).toHaveLength(4)
    expect(asked.slice(askedBefore)).toEqual(after.map((s) => s.traceId))
  })

  it('follow the global provider through the API proxy', async () => {
    trace.setGlobalTracerProvider(provider)
    const stopDeclaring = declareRootSampler(provider, () => decide())
    try {
      await send(4, {}, {})
      expect(decided).toHaveLength(4)
    } finally {
      stopDeclaring()
    }
  })
})

describe('randomSpanId', () => {
  it('gives valid, distinct span ids', () => {
    const ids = new Set<string>()
    for (let i = 0; i < 10_000; i++) {
      const id = randomSpanId()
      expect(id).toMatch(/^[0-9a-f]{16}$/)
      expect(id).not.toBe('0000000000000000')
      ids.add(id)
    }
    expect(ids.size).toBe(10_000)
  })
})

describe('randomTraceId', () => {
  it('gives valid, distinct trace ids, random in every digit', () => {
    const ids = new Set<string>()
    const seen = Array.from({ length: 32 }, () => new Set<string>())
    for (let i = 0; i < 10_000; i++) {
      const id = randomTraceId()
      expect(id).toMatch(/^[0-9a-f]{32}$/)
      expect(isValidTraceId(id)).toBe(true)
      ids.add(id)
      for (let digit = 0; digit < 32; digit++) seen[digit]!.add(id[digit]!)
    }
    expect(ids.size).toBe(10_000)
    // the W3C random flag promises randomness in the rightmost 7 bytes; every digit here varies
    for (const digits of seen) expect(digits.size).toBe(16)
  })
})
