import { startOtlpReceiver, type OtlpReceiver } from '../../../test-utils/otlp-receiver.js'
import { runApp } from './helpers/app.js'

// OTEL_TRACES_SAMPLER / _ARG, in a real process exporting to a real receiver.
let receiver: OtlpReceiver
beforeEach(async () => {
  receiver = await startOtlpReceiver()
})
afterEach(() => receiver.close())

const flags = (traceparent: string | undefined): number => parseInt(traceparent!.slice(-2), 16)

describe('OTEL_TRACES_SAMPLER', () => {
  it('parentbased_traceidratio with ratio 0 records nothing, and says so downstream', async () => {
    const { report } = await runApp({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0',
    })
    expect(report.body).toBe('done')
    expect(report.received).toHaveLength(2)
    for (const headers of report.received) expect(flags(headers.traceparent) & 1).toBe(0)
    expect(receiver.spans).toEqual([])
  })

  it('parentbased_traceidratio with ratio 1 records every span', async () => {
    const { report } = await runApp({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '1',
    })
    for (const headers of report.received) expect(flags(headers.traceparent) & 1).toBe(1)
    expect(receiver.spans).toHaveLength(6)
  })

  it('always_off records nothing', async () => {
    await runApp({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_SAMPLER: 'always_off' })
    expect(receiver.spans).toEqual([])
  })

  it('an argument out of range warns and samples everything', async () => {
    const { report } = await runApp({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 's',
      OTEL_TRACES_SAMPLER: 'traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '7',
    })
    expect(report.warnings).toEqual([
      '@tracehop/node: OTEL_TRACES_SAMPLER_ARG="7" is not a number from 0 to 1; using 1',
    ])
    expect(receiver.spans).toHaveLength(6)
  })

  it('loses to the sampleRatio option', async () => {
    await runApp(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '1',
      },
      { sampleRatio: 0 },
    )
    expect(receiver.spans).toEqual([])
  })
})
