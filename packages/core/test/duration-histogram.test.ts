import { context } from '@opentelemetry/api'
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type HistogramMetricData,
} from '@opentelemetry/sdk-metrics'
import fc from 'fast-check'
import {
  DURATION_BUCKETS,
  DURATION_CARDINALITY_LIMIT,
  DurationHistogram,
  type DurationPoint,
  type DurationTemporality,
} from '../src/index.js'
import { durationAttributes } from '../src/metrics.js'

// The aggregator is held to the SDK's own histogram: the same measurements, recorded into both,
// must come out as the same points.

type Measurement = Parameters<DurationHistogram['record']>

interface Comparable {
  attributes: Record<string, unknown>
  count: number
  sum: number | undefined
  min: number | undefined
  max: number | undefined
  counts: number[]
}

function sdkHistogram(temporality: AggregationTemporality, cardinality?: number) {
  const exporter = new InMemoryMetricExporter(temporality)
  const reader = new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: 3_600_000,
    ...(cardinality === undefined ? {} : { cardinalityLimits: { histogram: cardinality } }),
  })
  const provider = new MeterProvider({ readers: [reader] })
  const histogram = provider.getMeter('test').createHistogram('http.server.request.duration', {
    unit: 's',
    advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
  })
  return {
    record(m: Measurement) {
      histogram.record(
        m[0],
        durationAttributes(m[1], m[2], m[3], m[4], m[5], m[6]),
        context.active(),
      )
    },
    async collect(): Promise<Comparable[]> {
      exporter.reset()
      await reader.forceFlush()
      const metric = exporter.getMetrics()[0]?.scopeMetrics[0]?.metrics[0] as
        HistogramMetricData | undefined
      return sorted(
        (metric?.dataPoints ?? []).map((p) => ({
          attributes: p.attributes,
          count: p.value.count,
          sum: p.value.sum,
          min: p.value.min,
          max: p.value.max,
          counts: p.value.buckets.counts,
        })),
      )
    },
    shutdown: () => provider.shutdown(),
  }
}

function comparable(points: DurationPoint[]): Comparable[] {
  return sorted(
    points.map((p) => ({
      attributes: p.attributes,
      count: p.count,
      sum: p.sum,
      min: p.min,
      max: p.max,
      counts: p.counts,
    })),
  )
}

function sorted(points: Comparable[]): Comparable[] {
  return points.sort((a, b) =>
    JSON.stringify(a.attributes).localeCompare(JSON.stringify(b.attributes)),
  )
}

function measurement(
  seconds: number,
  route: string | undefined = '/items/:id',
  statusCode: number | undefined = 200,
  errorType?: string,
): Measurement {
  return [seconds, 'GET', 'http', route, statusCode, errorType, '1.1']
}

const attributeSets = fc.record({
  method: fc.constantFrom('GET', 'POST', '_OTHER'),
  scheme: fc.constantFrom('http', 'https'),
  route: fc.constantFrom(undefined, '/', '/items/:id', 'a b', ''),
  statusCode: fc.constantFrom(undefined, 200, 404, 500),
  errorType: fc.constantFrom(undefined, '500', 'TypeError', 'with space', ''),
  version: fc.constantFrom(undefined, '1.1', '2'),
})
const seconds = fc.oneof(
  fc.constantFrom(0, ...DURATION_BUCKETS),
  fc.double({ min: 0, max: 12, noNaN: true }),
)
const measurements = fc.array(
  fc
    .tuple(attributeSets, seconds)
    .map(([a, s]): Measurement => [
      s,
      a.method,
      a.scheme,
      a.route,
      a.statusCode,
      a.errorType,
      a.version,
    ]),
  { maxLength: 40 },
)

describe('DurationHistogram', () => {
  describe.each<[DurationTemporality, AggregationTemporality]>([
    ['cumulative', AggregationTemporality.CUMULATIVE],
    ['delta', AggregationTemporality.DELTA],
  ])('%s', (temporality, sdkTemporality) => {
    it('exports the points the SDK histogram exports for the same measurements', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(measurements, { minLength: 1, maxLength: 3 }), async (rounds) => {
          const sdk = sdkHistogram(sdkTemporality)
          const ours = new DurationHistogram()
          const reader = ours.openReader()
          try {
            for (const round of rounds) {
              for (const m of round) {
                sdk.record(m)
                ours.record(...m)
              }
              expect(comparable(reader.collect(temporality))).toEqual(await sdk.collect())
            }
          } finally {
            await sdk.shutdown()
          }
        }),
        { numRuns: 60 },
      )
    })
  })

  describe('attribute sets', () => {
    it('keeps apart sets a joined key could confuse', () => {
      const histogram = new DurationHistogram()
      const reader = histogram.openReader()
      histogram.record(...measurement(0.1, '/a', 500, 'x y'))
      histogram.record(...measurement(0.1, '/a', 500, 'x'))
      histogram.record(...measurement(0.1, '/a', 500, undefined))
      histogram.record(...measurement(0.1, undefined, 500, undefined))
      histogram.record(...measurement(0.1, '', 500, undefined))
      histogram.record(...measurement(0.1, '', undefined, undefined))
      expect(reader.collect('cumulative').map((p) => p.count)).toEqual([1, 1, 1, 1, 1, 1])
    })

    it("tells every value apart from the route's last request, one field changed at a time", () => {
      const histogram = new DurationHistogram()
      const reader = histogram.openReader()
      const base: Measurement = [0.1, 'GET', 'http', '/a', 200, undefined, '1.1']
      const changed: Measurement[] = [
        [0.1, 'POST', 'http', '/a', 200, undefined, '1.1'],
        [0.1, 'GET', 'https', '/a', 200, undefined, '1.1'],
        [0.1, 'GET', 'http', '/a', 404, undefined, '1.1'],
        [0.1, 'GET', 'http', '/a', undefined, undefined, '1.1'],
        [0.1, 'GET', 'http', '/a', 200, 'TypeError', '1.1'],
        [0.1, 'GET', 'http', '/a', 200, undefined, '2'],
        [0.1, 'GET', 'http', '/a', 200, undefined, undefined],
      ]
      // each changed set twice in a row, then the base set again
      histogram.record(...base)
      for (const m of changed) {
        histogram.record(...m)
        histogram.record(...m)
        histogram.record(...base)
      }
      const key = (m: Measurement) =>
        JSON.stringify(durationAttributes(m[1], m[2], m[3], m[4], m[5], m[6]))
      const counts = new Map(
        reader.collect('cumulative').map((p) => [JSON.stringify(p.attributes), p.count]),
      )
      expect(counts).toEqual(
        new Map([[key(base), changed.length + 1], ...changed.map((m) => [key(m), 2] as const)]),
      )
    })

    it('drops negative and NaN durations, as the SDK does', () => {
      const histogram = new DurationHistogram()
      const reader = histogram.openReader()
      histogram.record(...measurement(-1))
      histogram.record(...measurement(Number.NaN))
      expect(reader.collect('cumulative')).toEqual([])
    })
  })

  describe('cardinality limit', () => {
    it('defaults to the SDK default of 2000', () => {
      expect(DURATION_CARDINALITY_LIMIT).toBe(2000)
    })

    it('records sets past the limit under otel.metric.overflow, as the SDK does', async () => {
      const sdk = sdkHistogram(AggregationTemporality.CUMULATIVE, 4)
      const ours = new DurationHistogram(4)
      const reader = ours.openReader()
      try {
        for (let i = 0; i < 10; i++) {
          const m = measurement(i / 100, `/route/${i % 6}`)
          sdk.record(m)
          ours.record(...m)
        }
        const points = comparable(reader.collect('cumulative'))
        expect(points).toEqual(await sdk.collect())
        expect(points).toHaveLength(4)
        const overflow = points.find((p) => p.attributes['otel.metric.overflow'] === true)
        expect(overflow).toMatchObject({ attributes: { 'otel.metric.overflow': true }, count: 4 })
      } finally {
        await sdk.shutdown()
      }
    })

    it('keeps the sets admitted first once the limit is reached', () => {
      const histogram = new DurationHistogram(3)
      const reader = histogram.openReader()
      for (const route of ['/a', '/b', '/c', '/d', '/a'])
        histogram.record(...measurement(0.1, route))
      expect(
        reader.collect('cumulative').map((p) => [p.attributes['http.route'], p.count]),
      ).toEqual([
        ['/a', 2],
        ['/b', 1],
        [undefined, 2],
      ])
    })
  })

  describe('readers', () => {
    it('gives every open reader every measurement, whichever collects first', () => {
      const histogram = new DurationHistogram()
      const cumulative = histogram.openReader()
      const delta = histogram.openReader()
      histogram.record(...measurement(0.1))
      expect(delta.collect('delta').map((p) => p.count)).toEqual([1])
      histogram.record(...measurement(0.2))
      expect(cumulative.collect('cumulative').map((p) => p.count)).toEqual([2])
      expect(delta.collect('delta').map((p) => p.count)).toEqual([1])
      expect(delta.collect('delta')).toEqual([])
    })

    it('starts a cumulative point at its first measurement and a delta point at the last collection', () => {
      const histogram = new DurationHistogram()
      const cumulative = histogram.openReader()
      const delta = histogram.openReader()
      const before = Date.now()
      histogram.record(...measurement(0.1))
      const [first] = delta.collect('delta')
      expect(first!.startTime).toBeGreaterThanOrEqual(before)
      histogram.record(...measurement(0.1))
      const [second] = delta.collect('delta')
      expect(second!.startTime).toBe(first!.endTime)
      const [total] = cumulative.collect('cumulative')
      expect(total!.startTime).toBe(first!.startTime)
      expect(total!.count).toBe(2)
    })

    it('takes nothing once closed', () => {
      const histogram = new DurationHistogram()
      const reader = histogram.openReader()
      reader.close()
      histogram.record(...measurement(0.1))
      expect(reader.collect('cumulative')).toEqual([])
    })
  })
})
