import { context, propagation, trace } from '@opentelemetry/api'
import { ExportResultCode, type ExportResult } from '@opentelemetry/core'
import { type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base'
import { startTracing, type TracingOptions } from '../src/index.js'

afterEach(() => {
  trace.disable()
  context.disable()
  propagation.disable()
})

class RecordingExporter implements SpanExporter {
  readonly names: string[] = []
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.names.push(...spans.map((s) => s.name))
    done({ code: ExportResultCode.SUCCESS })
  }
  shutdown(): Promise<void> {
    return Promise.resolve()
  }
}

describe('forceFlush() with a custom exporter', () => {
  it('exports what is pending', async () => {
    const exporter = new RecordingExporter()
    const tracing = startTracing({ serviceName: 'a', exporter, handleSignals: false, onWarning: () => {} })
    const tracer = tracing.tracerProvider.getTracer('t')
    for (const name of ['a', 'b', 'c']) tracer.startSpan(name).end()
    expect(tracing.stats().queued).toBe(3)
    await tracing.forceFlush()
    expect(tracing.stats()).toEqual({ queued: 0, exported: 3, dropped: 0, failed: 0 })
    expect(exporter.names).toEqual(['a', 'b', 'c'])
    await tracing.shutdown()
  })
})
