import {
  startOtlpReceiver,
  type OtlpReceiver,
  type ReceivedMetric,
} from '../../../test-utils/otlp-receiver.js'
import { runFixture } from './helpers/fixtures.js'
import { freePort } from './helpers/ports.js'

// http.server.request.duration as startTracing() aggregates it (in core, handed to its readers by
// a MetricProducer), against the metrics API path on the same provider, for the same requests.
const APP = 'packages/node/test/fixtures/duration-app.ts'

let receiver: OtlpReceiver
beforeEach(async () => {
  receiver = await startOtlpReceiver()
})
afterEach(() => receiver.close())

async function run(
  mode: string,
  options: object,
): Promise<{ prometheus: string[]; ownCount?: number }> {
  const result = await runFixture(APP, {
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 'app',
      OTEL_TRACES_EXPORTER: 'none',
      TRACEHOP_OPTIONS: JSON.stringify(options),
    },
    args: [mode],
  })
  if (result.code !== 0) throw new Error(`app exited ${result.code}\n${result.stderr}`)
  const line = result.stdout.split('\n').find((l) => l.startsWith('report '))!
  return JSON.parse(line.slice('report '.length)) as { prometheus: string[]; ownCount?: number }
}

/** The points of one duration metric, comparable whatever the exact durations were. */
function shape(metric: ReceivedMetric) {
  return {
    name: metric.name,
    unit: metric.unit,
    type: metric.type,
    scope: metric.scope,
    resource: metric.resource['service.name'],
    points: metric.dataPoints
      .map((p) => ({
        attributes: p.attributes,
        count: p.count,
        explicitBounds: p.explicitBounds,
        buckets: p.bucketCounts?.length,
        bucketTotal: p.bucketCounts?.reduce((a, b) => a + b, 0),
      }))
      .sort((a, b) => JSON.stringify(a.attributes).localeCompare(JSON.stringify(b.attributes))),
  }
}

function durations(): ReceivedMetric[] {
  return receiver.metrics.filter((m) => m.name === 'http.server.request.duration')
}

/** The two duration metrics (API path and startTracing's) of the last, cumulative, export. */
function lastExport(): ReceivedMetric[] {
  const all = durations()
  expect(all.length % 2).toBe(0)
  return all.slice(-2)
}

describe('http.server.request.duration under startTracing()', () => {
  it('exports over OTLP, at shutdown, the same points as the metrics API path', async () => {
    await run('compare', { metrics: { otlp: true } })
    const [first, second] = lastExport()
    expect(shape(second!)).toEqual(shape(first!))
    expect(shape(first!)).toMatchObject({
      unit: 's',
      type: 'histogram',
      scope: { name: '@tracehop/core' },
      resource: 'app',
    })
    const points = shape(first!).points
    expect(points.map((p) => p.count)).toEqual([1, 1, 1, 3])
    expect(points.find((p) => p.count === 3)?.attributes).toEqual({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'http.route': '/items/:id',
      'http.response.status_code': 200,
      'network.protocol.version': '1.1',
    })
    expect(points.every((p) => p.bucketTotal === p.count && p.buckets === 15)).toBe(true)
  })

  it('gives the points to both the OTLP and the Prometheus reader', async () => {
    const port = await freePort()
    const report = await run('compare', {
      metrics: { otlp: true, prometheus: { port, host: '127.0.0.1' } },
    })
    // each service served six requests; both paths reach the scrape, summed over label sets
    const counts = report.prometheus.map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)))
    expect(counts.reduce((a, b) => a + b, 0)).toBe(12)
    const pushed = lastExport().flatMap((m) => m.dataPoints)
    expect(pushed.reduce((n, p) => n + p.count!, 0)).toBe(12)
  })

  it('leaves the duration to the app’s own global MeterProvider', async () => {
    const report = await run('own-global', { metrics: { otlp: true } })
    expect(report.ownCount).toBe(6)
    expect(durations()).toEqual([])
  })
})
