import { context, propagation, trace } from '@opentelemetry/api'
import { ExportResultCode, type ExportResult } from '@opentelemetry/core'
import { type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace'
import { startTracing } from '../src/index.js'

// The export queue through startTracing() with an exporter of the test's own (in process: no
// OTLP). The exporter can hang: it takes the batch and never answers until released.
afterEach(() => {
  trace.disable()
  context.disable()
  propagation.disable()
})

class HangingExporter implements SpanExporter {
  hanging = true
  readonly exported: string[] = []
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    if (this.hanging) return // never answers
    this.exported.push(...spans.map((s) => s.name))
    done({ code: ExportResultCode.SUCCESS })
  }
  shutdown(): Promise<void> {
    return Promise.resolve()
  }
}

describe('a full queue', () => {
  it('drops the oldest spans, keeps the newest, and warns apart from the failure', async () => {
    const exporter = new HangingExporter()
    const warnings: string[] = []
    const tracing = startTracing({
      serviceName: 'queue',
      exporter,
      handleSignals: false,
      batch: {
        maxQueueSize: 5,
        maxExportBatchSize: 5,
        scheduledDelayMillis: 60_000,
        exportTimeoutMillis: 200,
      },
      onWarning: (m) => warnings.push(m),
    })
    const tracer = tracing.tracerProvider.getTracer('t')
    const end = (from: number, to: number): void => {
      for (let i = from; i < to; i++) tracer.startSpan(`s${i}`).end()
    }
    end(0, 5) // a full batch: sent at once, and the exporter hangs
    end(5, 12) // seven more into a queue of five: s5 and s6 make room for s10 and s11
    expect(tracing.stats()).toEqual({ queued: 5, exported: 0, dropped: 2, failed: 0 })

    await tracing.forceFlush() // waits for the hung attempt to time out
    expect(tracing.stats()).toEqual({ queued: 5, exported: 0, dropped: 2, failed: 5 })
    exporter.hanging = false
    await tracing.forceFlush()
    expect(exporter.exported).toEqual(['s7', 's8', 's9', 's10', 's11'])
    expect(tracing.stats()).toEqual({ queued: 0, exported: 5, dropped: 2, failed: 5 })
    expect(warnings).toEqual([
      '@tracehop/node: spans go to the exporter given in options', // NODE_ENV=test
      '@tracehop/node: span export queue is full (5 spans); dropping the oldest (1 dropped so far) while exports to the exporter do not keep up',
      '@tracehop/node: exporting spans to the exporter failed (timed out after 200 ms); 5 spans lost so far, will keep trying',
      '@tracehop/node: spans reach the exporter again; 7 spans were lost meanwhile',
    ])
    await tracing.shutdown()
  })
})

describe('forceFlush() with an exporter that buffers', () => {
  it('asks the exporter to flush, so what was pending is sent', async () => {
    const sent: string[] = []
    const held: { spans: ReadableSpan[]; done: (r: ExportResult) => void }[] = []
    const exporter: SpanExporter = {
      export: (spans, done) => void held.push({ spans, done }),
      forceFlush: async () => {
        for (const { spans, done } of held.splice(0)) {
          sent.push(...spans.map((s) => s.name))
          done({ code: ExportResultCode.SUCCESS })
        }
      },
      shutdown: () => Promise.resolve(),
    }
    const tracing = startTracing({
      serviceName: 'a',
      exporter,
      handleSignals: false,
      onWarning: () => {},
    })
    const tracer = tracing.tracerProvider.getTracer('t')
    for (const name of ['a', 'b', 'c']) tracer.startSpan(name).end()
    expect(tracing.stats().queued).toBe(3)
    await tracing.forceFlush()
    expect(tracing.stats()).toEqual({ queued: 0, exported: 3, dropped: 0, failed: 0 })
    expect(sent).toEqual(['a', 'b', 'c'])
    await tracing.shutdown()
  })
})
