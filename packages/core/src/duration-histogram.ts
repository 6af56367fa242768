import type { Attributes } from '@opentelemetry/api'
import { METRIC_HTTP_SERVER_REQUEST_DURATION } from '@opentelemetry/semantic-conventions'
import { INSTRUMENTATION_SCOPE } from './constants.js'
import { DURATION_BUCKETS, DURATION_DESCRIPTION, durationAttributes } from './metrics.js'
import type { DurationPoint, DurationRecorder, DurationTemporality } from './types.js'
import { VERSION } from './version.js'

/** Attribute sets a {@link DurationHistogram} keeps apart by default, as the OpenTelemetry SDK does. */
export const DURATION_CARDINALITY_LIMIT = 2000

/** The attribute set the measurements of every attribute set past the limit are recorded under. */
const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ 'otel.metric.overflow': true })

/** count, sum, min, max and bucket counts of the measurements of one attribute set. */
class Tally {
  count = 0
  sum = 0
  min = Infinity
  max = -Infinity
  /** Epoch milliseconds of the first measurement. */
  startTime = 0
  readonly counts: number[] = new Array<number>(DURATION_BUCKETS.length + 1).fill(0)

  add(other: Tally): void {
    if (this.count === 0) this.startTime = other.startTime
    this.count += other.count
    this.sum += other.sum
    if (other.min < this.min) this.min = other.min
    if (other.max > this.max) this.max = other.max
    for (let i = 0; i < this.counts.length; i++) this.counts[i]! += other.counts[i]!
  }

  reset(): void {
    this.count = 0
    this.sum = 0
    this.min = Infinity
    this.max = -Infinity
    this.counts.fill(0)
  }
}

/** One attribute set: its attributes, built once, and what was recorded since the last sweep. */
interface Series {
  readonly attributes: Attributes
  readonly recent: Tally
}

/** The values a series was admitted for, to tell a repeat of them without building its key. */
interface KeyedSeries extends Series {
  readonly method: string
  readonly scheme: string
  readonly statusCode: number | undefined
  readonly errorType: string | undefined
  readonly protocolVersion: string | undefined
}

/** The series of one route: by key, and the one its last request went to. */
interface RouteSeries {
  readonly byKey: Map<string, KeyedSeries>
  last: KeyedSeries | undefined
}

/** Index of the first bound `value` does not exceed; bucket `i` holds `(b[i-1], b[i]]`. */
function bucketOf(value: number): number {
  const bounds = DURATION_BUCKETS
  let lo = 0
  let hi = bounds.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (bounds[mid]! < value) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * `http.server.request.duration` aggregated without hashing an attribute object per request: the
 * series of a request is found from the few values the lifecycle records, by route, then by the
 * rest joined in a short key. At most `cardinalityLimit - 1` attribute sets are kept for the life
 * of the process; the measurements of any other go to one `otel.metric.overflow: true` series.
 *
 * Readers (see {@link DurationHistogram.openReader}) each see every measurement once, in the
 * temporality they ask for, as the SDK's own readers do.
 */
export class DurationHistogram implements DurationRecorder {
  /** The instrument's name, unit and description, the same as the API path's histogram. */
  readonly descriptor = {
    name: METRIC_HTTP_SERVER_REQUEST_DURATION,
    unit: 's',
    description: DURATION_DESCRIPTION,
  } as const
  /** The instrumentation scope the points belong to: the meter of the API path. */
  readonly scope = { name: INSTRUMENTATION_SCOPE, version: VERSION } as const
  private readonly byRoute = new Map<string | undefined, RouteSeries>()
  private readonly series: Series[] = []
  private overflow: Series | undefined
  private readonly readers = new Set<DurationReader>()

  constructor(private readonly cardinalityLimit = DURATION_CARDINALITY_LIMIT) {}

  record(
    seconds: number,
    method: string,
    scheme: string,
    route: string | undefined,
    statusCode: number | undefined,
    errorType: string | undefined,
    protocolVersion: string | undefined,
  ): void {
    // the SDK drops what a histogram cannot hold; durations are never negative
    if (!(seconds >= 0)) return
    let ofRoute = this.byRoute.get(route)
    if (ofRoute === undefined) {
      ofRoute = { byKey: new Map(), last: undefined }
      this.byRoute.set(route, ofRoute)
    }
    // most requests to a route repeat the last one's method, status and version: compare those
    // before building a key string per request
    const last = ofRoute.last
    let series: Series
    if (
      last !== undefined &&
      last.statusCode === statusCode &&
      last.method === method &&
      last.scheme === scheme &&
      last.protocolVersion === protocolVersion &&
      last.errorType === errorType
    ) {
      series = last
    } else {
      series = this.seriesOf(ofRoute, method, scheme, route, statusCode, errorType, protocolVersion)
    }
    const tally = series.recent
    if (tally.count === 0) tally.startTime = Date.now()
    tally.count++
    tally.sum += seconds
    if (seconds < tally.min) tally.min = seconds
    if (seconds > tally.max) tally.max = seconds
    tally.counts[bucketOf(seconds)]!++
  }

  /** The series of these values by their key, admitted if new, and now the route's last. */
  private seriesOf(
    ofRoute: RouteSeries,
    method: string,
    scheme: string,
    route: string | undefined,
    statusCode: number | undefined,
    errorType: string | undefined,
    protocolVersion: string | undefined,
  ): Series {
    // method, scheme, status code and version never hold a space, so the key is unambiguous;
    // error.type, free text, comes last and only when present
    const key =
      errorType === undefined
        ? `${method} ${scheme} ${statusCode} ${protocolVersion}`
        : `${method} ${scheme} ${statusCode} ${protocolVersion} ${errorType}`
    const found = ofRoute.byKey.get(key)
    if (found !== undefined) {
      ofRoute.last = found
      return found
    }
    // the limit counts the overflow series, as the SDK's does
    if (this.series.length >= this.cardinalityLimit - 1) {
      this.overflow ??= this.newSeries({ attributes: OVERFLOW_ATTRIBUTES, recent: new Tally() })
      return this.overflow
    }
    const attributes = durationAttributes(
      method,
      scheme,
      route,
      statusCode,
      errorType,
      protocolVersion,
    )
    const series = this.newSeries({
      attributes: Object.freeze(attributes),
      recent: new Tally(),
      method,
      scheme,
      statusCode,
      errorType,
      protocolVersion,
    })
    ofRoute.byKey.set(key, series)
    ofRoute.last = series
    return series
  }

  private newSeries<S extends Series>(series: S): S {
    this.series.push(series)
    return series
  }

  /**
   * A reader of the recorded points. Each reader sees every measurement recorded while it is open,
   * whichever reader collects first; close it when its pipeline ends.
   */
  openReader(): DurationReader {
    const reader = new DurationReader(this)
    this.readers.add(reader)
    return reader
  }

  /** @internal */
  closeReader(reader: DurationReader): void {
    this.readers.delete(reader)
  }

  /** Hands what was recorded since the last sweep to every open reader. @internal */
  sweep(): void {
    for (const series of this.series) {
      const recent = series.recent
      if (recent.count === 0) continue
      for (const reader of this.readers) reader.take(series, recent)
      recent.reset()
    }
  }
}

/** One reader's view of a {@link DurationHistogram}: what it has not reported yet, or its totals. */
export class DurationReader {
  private tallies = new Map<Series, Tally>()
  /** Series of the last delta report, whose next point starts at the last collection. */
  private lastReported = new Set<Series>()
  private lastCollection = 0

  constructor(private readonly histogram: DurationHistogram) {}

  /** @internal */
  take(series: Series, recent: Tally): void {
    let tally = this.tallies.get(series)
    if (tally === undefined) {
      tally = new Tally()
      this.tallies.set(series, tally)
    }
    tally.add(recent)
  }

  /**
   * The points to export now: with `cumulative`, one per attribute set ever recorded, from its
   * first measurement; with `delta`, one per attribute set recorded since the last collection.
   */
  collect(temporality: DurationTemporality): DurationPoint[] {
    this.histogram.sweep()
    const now = Date.now()
    const points: DurationPoint[] = []
    for (const [series, tally] of this.tallies) {
      // as the SDK does for delta: a series reported last time continues from that collection
      const startTime =
        temporality === 'delta' && this.lastReported.has(series)
          ? this.lastCollection
          : tally.startTime
      points.push({
        attributes: series.attributes,
        startTime,
        endTime: now,
        count: tally.count,
        sum: tally.sum,
        min: tally.min,
        max: tally.max,
        boundaries: [...DURATION_BUCKETS],
        counts: [...tally.counts],
      })
    }
    if (temporality === 'delta') {
      this.lastReported = new Set(this.tallies.keys())
      this.tallies = new Map()
    }
    this.lastCollection = now
    return points
  }

  /** Stops taking measurements. */
  close(): void {
    this.histogram.closeReader(this)
  }
}
