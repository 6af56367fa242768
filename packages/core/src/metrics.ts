import {
  createNoopMeter,
  metrics,
  type Attributes,
  type Context,
  type Histogram,
  type MeterProvider,
  type UpDownCounter,
} from '@opentelemetry/api'
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_URL_SCHEME,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
} from '@opentelemetry/semantic-conventions'
import {
  DURATION_SINK_KEY,
  INSTRUMENTATION_SCOPE,
  METRIC_HTTP_SERVER_ACTIVE_REQUESTS,
} from './constants.js'
import type { DurationRecorder } from './types.js'
import { VERSION } from './version.js'

/** Bucket boundaries the HTTP semantic conventions advise for `http.server.request.duration`. */
export const DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]

/** Description of `http.server.request.duration`, on both recording paths. */
export const DURATION_DESCRIPTION = 'Duration of HTTP server requests.'

/** The attributes of a duration measurement, in the order the lifecycle has always set them. */
export function durationAttributes(
  method: string,
  scheme: string,
  route: string | undefined,
  statusCode: number | undefined,
  errorType: string | undefined,
  protocolVersion: string | undefined,
): Attributes {
  // a literal, then plain stores: spreading here costs V8 over a microsecond per request
  const attributes: Attributes = {
    [ATTR_HTTP_REQUEST_METHOD]: method,
    [ATTR_URL_SCHEME]: scheme,
  }
  if (route !== undefined) attributes[ATTR_HTTP_ROUTE] = route
  if (statusCode !== undefined) attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = statusCode
  if (errorType !== undefined) attributes[ATTR_ERROR_TYPE] = errorType
  if (protocolVersion !== undefined) attributes[ATTR_NETWORK_PROTOCOL_VERSION] = protocolVersion
  return attributes
}

/** The duration through the metrics API: an attribute object per request, hashed by the SDK. */
class ApiDurationRecorder implements DurationRecorder {
  constructor(private readonly histogram: Histogram) {}

  record(
    seconds: number,
    method: string,
    scheme: string,
    route: string | undefined,
    statusCode: number | undefined,
    errorType: string | undefined,
    protocolVersion: string | undefined,
    ctx: Context,
  ): void {
    const attributes = durationAttributes(
      method,
      scheme,
      route,
      statusCode,
      errorType,
      protocolVersion,
    )
    this.histogram.record(seconds, attributes, ctx)
  }
}

/** A recorder that stands in for the duration histogram of one meter provider. */
interface DurationSink {
  readonly meterProvider: MeterProvider
  readonly recorder: DurationRecorder
}

type SinkHolder = { [DURATION_SINK_KEY]?: DurationSink }

/**
 * Records `http.server.request.duration` of every adapter that meters through `meterProvider`
 * as the global provider (no `meterProvider` option) into `recorder` instead of a histogram of
 * the metrics API. For `@tracehop/node`, which owns that provider and hands the recorder's points
 * to its readers. Returns the function that removes the registration.
 *
 * @see https://github.com/tracehop/tracehop/blob/main/docs/metrics.md
 */
export function setDurationSink(
  meterProvider: MeterProvider,
  recorder: DurationRecorder,
): () => void {
  const sink: DurationSink = { meterProvider, recorder }
  const holder = globalThis as SinkHolder
  holder[DURATION_SINK_KEY] = sink
  return () => {
    if (holder[DURATION_SINK_KEY] === sink) delete holder[DURATION_SINK_KEY]
  }
}

function durationSink(): DurationSink | undefined {
  return (globalThis as SinkHolder)[DURATION_SINK_KEY]
}

/** The HTTP server instruments of one lifecycle; each is `undefined` when not recorded. */
export interface ServerInstruments {
  readonly duration: DurationRecorder | undefined
  readonly active: UpDownCounter | undefined
}

/** Which instruments a lifecycle records. */
export interface InstrumentChoice {
  readonly duration: boolean
  readonly activeRequests: boolean
}

// Before any MeterProvider is registered the API's meters are no-ops that hand out one shared
// instrument of each kind. A lifecycle given one of those has nothing to record, and leaves the
// instrument out: no attributes are built per request, and an unsampled request needs no
// listener (see the lifecycle's passive traces).
const NOOP_METER = createNoopMeter()
const NOOP_HISTOGRAM = NOOP_METER.createHistogram(METRIC_HTTP_SERVER_REQUEST_DURATION)
const NOOP_UP_DOWN_COUNTER = NOOP_METER.createUpDownCounter(METRIC_HTTP_SERVER_ACTIVE_REQUESTS)

function createInstruments(
  provider: MeterProvider,
  sink: DurationSink | undefined,
  choice: InstrumentChoice,
): ServerInstruments {
  const meter = provider.getMeter(INSTRUMENTATION_SCOPE, VERSION)
  let duration: DurationRecorder | undefined
  if (choice.duration) {
    if (sink?.meterProvider === provider) {
      duration = sink.recorder
    } else {
      const histogram = meter.createHistogram(METRIC_HTTP_SERVER_REQUEST_DURATION, {
        description: DURATION_DESCRIPTION,
        unit: 's',
        advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
      })
      if (histogram !== NOOP_HISTOGRAM) duration = new ApiDurationRecorder(histogram)
    }
  }
  let active: UpDownCounter | undefined
  if (choice.activeRequests) {
    active = meter.createUpDownCounter(METRIC_HTTP_SERVER_ACTIVE_REQUESTS, {
      description: 'Number of active HTTP server requests.',
      unit: '{request}',
    })
    if (active === NOOP_UP_DOWN_COUNTER) active = undefined
  }
  return { duration, active }
}

/**
 * Holds the instruments of one lifecycle. With a configured provider they are made once; with
 * the global one they are remade only when a different global provider (or duration sink) is
 * registered, because the API hands out no-op meters (not proxies) before registration.
 */
export class InstrumentCache {
  private provider: MeterProvider | undefined
  private sink: DurationSink | undefined
  private instruments: ServerInstruments | undefined

  constructor(
    private readonly configured: MeterProvider | undefined,
    private readonly choice: InstrumentChoice,
  ) {}

  get(): ServerInstruments {
    const provider = this.configured ?? metrics.getMeterProvider()
    // a provider of the adapter's own is never the one a sink stands for
    const sink = this.configured === undefined ? durationSink() : undefined
    if (provider !== this.provider || sink !== this.sink || this.instruments === undefined) {
      this.provider = provider
      this.sink = sink
      this.instruments = createInstruments(provider, sink, this.choice)
    }
    return this.instruments
  }
}
