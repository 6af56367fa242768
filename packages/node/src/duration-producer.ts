// Hands the points of the duration histogram core aggregates (DurationHistogram) to one SDK metric
// reader, as a MetricProducer: the reader merges them with the SDK's own under its resource.
import type { DurationHistogram, DurationReader } from '@tracehop/core'
import { ValueType } from '@opentelemetry/api'
import { millisToHrTime } from '@opentelemetry/core'
import type { Resource } from '@opentelemetry/resources'
import {
  AggregationTemporality,
  DataPointType,
  InstrumentType,
  type CollectionResult,
  type HistogramMetricData,
  type MetricProducer,
  type MetricReader,
} from '@opentelemetry/sdk-metrics'

/**
 * The `http.server.request.duration` points of one reader. The SDK asks a producer for its points
 * without saying which reader asks, so each reader gets its own, told its reader once the reader
 * exists, and follows that reader's temporality for histograms (chosen at its first collection
 * and kept, as the SDK does for its own instruments).
 */
export class DurationMetricProducer implements MetricProducer {
  private readonly view: DurationReader
  private reader: MetricReader | undefined
  private temporality: AggregationTemporality | undefined

  constructor(
    private readonly histogram: DurationHistogram,
    /** The meter provider's resource; the reader keeps its own and takes only the scopes. */
    private readonly resource: Resource,
  ) {
    // opened now, so that it sees what is recorded before its reader first collects
    this.view = histogram.openReader()
  }

  /** The reader this producer serves, whose temporality it follows. */
  attach(reader: MetricReader): void {
    this.reader = reader
  }

  async collect(): Promise<CollectionResult> {
    // The resource's detected attributes (host id) settle asynchronously, and the SDK flags them
    // as settled only once someone waits. The periodic OTLP reader waits before exporting; the
    // Prometheus exporter does not, and its first scrape would log an error. The reader collects
    // its producers before it serializes, so waiting here settles them for it.
    await this.resource.waitForAsyncAttributes?.()
    this.temporality ??=
      this.reader?.selectAggregationTemporality(InstrumentType.HISTOGRAM) ??
      AggregationTemporality.CUMULATIVE
    const temporality = this.temporality
    const points = this.view.collect(
      temporality === AggregationTemporality.DELTA ? 'delta' : 'cumulative',
    )
    const { descriptor, scope } = this.histogram
    const metric: HistogramMetricData = {
      descriptor: { ...descriptor, valueType: ValueType.DOUBLE },
      aggregationTemporality: temporality,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints: points.map((point) => ({
        attributes: point.attributes,
        startTime: millisToHrTime(point.startTime),
        endTime: millisToHrTime(point.endTime),
        value: {
          buckets: { boundaries: point.boundaries, counts: point.counts },
          count: point.count,
          sum: point.sum,
          min: point.min,
          max: point.max,
        },
      })),
    }
    return {
      resourceMetrics: {
        resource: this.resource,
        scopeMetrics: points.length === 0 ? [] : [{ scope, metrics: [metric] }],
      },
      errors: [],
    }
  }
}
