import { metrics, type Histogram, type MeterProvider, type UpDownCounter } from '@opentelemetry/api'
import { METRIC_HTTP_SERVER_REQUEST_DURATION } from '@opentelemetry/semantic-conventions'
import { INSTRUMENTATION_SCOPE, METRIC_HTTP_SERVER_ACTIVE_REQUESTS } from './constants.js'
import { VERSION } from './version.js'

/** Bucket boundaries the HTTP semantic conventions advise for `http.server.request.duration`. */
export const DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]

/** The HTTP server instruments of one lifecycle; each is `undefined` when not recorded. */
export interface ServerInstruments {
  readonly duration: Histogram | undefined
  readonly active: UpDownCounter | undefined
}

/** Which instruments a lifecycle records. */
export interface InstrumentChoice {
  readonly duration: boolean
  readonly activeRequests: boolean
}

function createInstruments(provider: MeterProvider, choice: InstrumentChoice): ServerInstruments {
  const meter = provider.getMeter(INSTRUMENTATION_SCOPE, VERSION)
  return {
    duration: choice.duration
      ? meter.createHistogram(METRIC_HTTP_SERVER_REQUEST_DURATION, {
          description: 'Duration of HTTP server requests.',
          unit: 's',
          advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
        })
      : undefined,
    active: choice.activeRequests
      ? meter.createUpDownCounter(METRIC_HTTP_SERVER_ACTIVE_REQUESTS, {
          description: 'Number of active HTTP server requests.',
          unit: '{request}',
        })
      : undefined,
  }
}

/**
 * Holds the instruments of one lifecycle. With a configured provider they are made once; with
 * the global one they are remade only when a different global provider is registered, because
 * the API hands out no-op meters (not proxies) before registration.
 */
export class InstrumentCache {
  private provider: MeterProvider | undefined
  private instruments: ServerInstruments | undefined

  constructor(
    private readonly configured: MeterProvider | undefined,
    private readonly choice: InstrumentChoice,
  ) {}

  get(): ServerInstruments {
    const provider = this.configured ?? metrics.getMeterProvider()
    if (provider !== this.provider || this.instruments === undefined) {
      this.provider = provider
      this.instruments = createInstruments(provider, this.choice)
    }
    return this.instruments
  }
}
