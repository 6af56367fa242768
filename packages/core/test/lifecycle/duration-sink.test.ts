import { metrics } from '@opentelemetry/api'
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import { DurationHistogram, setDurationSink, traceHandler } from '../../src/index.js'
import { listen, request, setupTracing, waitForSpans } from '../support/tracing.js'

// Which path an adapter records http.server.request.duration through: the sink @tracehop/node
// registers for the global provider it owns, or a histogram of the metrics API.

function sdkMeter() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
  const provider = new MeterProvider({ readers: [reader] })
  return {
    provider,
    /** Requests counted by the SDK's own duration histogram. */
    async apiCount(): Promise<number> {
      exporter.reset()
      await reader.forceFlush()
      let count = 0
      for (const rm of exporter.getMetrics())
        for (const sm of rm.scopeMetrics)
          for (const metric of sm.metrics)
            if (metric.descriptor.name === 'http.server.request.duration')
              for (const point of metric.dataPoints)
                count += (point.value as { count: number }).count
      return count
    },
  }
}

describe('duration sink', () => {
  let tracing: ReturnType<typeof setupTracing>
  const undo: (() => unknown)[] = []
  beforeEach(() => {
    tracing = setupTracing()
  })
  afterEach(async () => {
    for (const step of undo.splice(0).reverse()) await step()
    metrics.disable()
    await tracing.teardown()
  })

  async function serve(
    options: Parameters<typeof traceHandler>[1],
    requests: number,
  ): Promise<void> {
    const app = await listen(
      traceHandler((_req, res) => res.end('ok'), { tracerProvider: tracing.provider, ...options }),
    )
    try {
      for (let i = 0; i < requests; i++) await request(`${app.url}/x`)
      await waitForSpans(tracing.exporter, requests)
    } finally {
      await app.close()
    }
  }

  function setup() {
    const sdk = sdkMeter()
    undo.push(() => sdk.provider.shutdown())
    const histogram = new DurationHistogram()
    const reader = histogram.openReader()
    const count = (): number =>
      reader.collect('cumulative').reduce((n, point) => n + point.count, 0)
    return { sdk, histogram, count }
  }

  it('records into the sink when its provider is the global one and the adapter has none', async () => {
    const { sdk, histogram, count } = setup()
    metrics.setGlobalMeterProvider(sdk.provider)
    undo.push(setDurationSink(sdk.provider, histogram))
    await serve({}, 2)
    expect(count()).toBe(2)
    expect(await sdk.apiCount()).toBe(0)
  })

  it('keeps the API path for an adapter given a meterProvider, even the sink’s own', async () => {
    const { sdk, histogram, count } = setup()
    metrics.setGlobalMeterProvider(sdk.provider)
    undo.push(setDurationSink(sdk.provider, histogram))
    await serve({ meterProvider: sdk.provider }, 2)
    expect(count()).toBe(0)
    expect(await sdk.apiCount()).toBe(2)
  })

  it('keeps the API path when the global provider is another one', async () => {
    const { sdk, histogram, count } = setup()
    const users = sdkMeter()
    undo.push(() => users.provider.shutdown())
    metrics.setGlobalMeterProvider(users.provider)
    undo.push(setDurationSink(sdk.provider, histogram))
    await serve({}, 1)
    expect(count()).toBe(0)
    expect(await users.apiCount()).toBe(1)
  })

  it('goes back to the API path once the sink is removed', async () => {
    const { sdk, histogram, count } = setup()
    metrics.setGlobalMeterProvider(sdk.provider)
    const unset = setDurationSink(sdk.provider, histogram)
    await serve({}, 1)
    unset()
    await serve({}, 1)
    expect(count()).toBe(1)
    expect(await sdk.apiCount()).toBe(1)
  })

  it('records nothing into the sink with metrics: false', async () => {
    const { sdk, histogram, count } = setup()
    metrics.setGlobalMeterProvider(sdk.provider)
    undo.push(setDurationSink(sdk.provider, histogram))
    await serve({ metrics: false }, 1)
    expect(count()).toBe(0)
  })
})
