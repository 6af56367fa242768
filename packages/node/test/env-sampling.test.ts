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

  it('parentbased_traceidratio with ratio 0 drops a new trace and sends it on unsampled', async () => {
    const { report } = await runApp({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0',
      FRONT_TRACEPARENT: 'none', // the front request starts the trace
    })
    expect(report.body).toBe('done')
    expect(report.received).toHaveLength(2)
    const [first, second] = report.received.map((headers) => headers.traceparent!.split('-'))
    // one trace, started at the front
    expect(first?.[1]).toMatch(/^[0-9a-f]{32}$/)
    expect(first?.[1]).not.toBe('0'.repeat(32))
    expect(second?.[1]).toBe(first?.[1])
    // not sampled; the random flag says the trace id is ours and random (W3C level 2)
    expect([first?.[3], second?.[3]]).toEqual(['02', '02'])
    expect(receiver.spans).toEqual([])
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

  describe('a caller that did not sample (-00)', () => {
    const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
    const PARENT = '00f067aa0ba902b7'
    const FRONT_TRACEPARENT = `00-${TRACE_ID}-${PARENT}-00`

    it('is not recorded by the default sampler, and its trace goes on downstream unsampled', async () => {
      const { report } = await runApp({
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        FRONT_TRACEPARENT,
      })
      expect(report.body).toBe('done')
      expect(report.received).toHaveLength(2)
      for (const headers of report.received) {
        const [version, traceId, spanId, flags] = headers.traceparent!.split('-')
        expect([version, traceId, flags]).toEqual(['00', TRACE_ID, '00'])
        expect(spanId).toMatch(/^[0-9a-f]{16}$/)
        expect(spanId).not.toBe(PARENT)
      }
      expect(receiver.spans).toEqual([])
    })

    it('is recorded by always_on, which samples whatever the parent says', async () => {
      const { report } = await runApp({
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_TRACES_SAMPLER: 'always_on',
        FRONT_TRACEPARENT,
      })
      expect(report.body).toBe('done')
      // the front and downstream SERVER spans and two CLIENT spans (the caller's socket is untraced)
      expect(receiver.spans).toHaveLength(5)
      const front = receiver.spans.find((span) => span.parentSpanId === PARENT)
      expect(front?.traceId).toBe(TRACE_ID)
    })
  })
})
