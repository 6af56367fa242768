import { type TracerProvider } from '@opentelemetry/api'
import type { InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace'
import { expectTypeOf } from 'expect-type'
import {
  renderWaterfall,
  startTracing,
  WaterfallSpanExporter,
  type ExportStats,
  type TracingHandle,
  type TracingOptions,
} from '../src/index.js'

// The public surface, checked by the type checker (and run, so the file is not dead weight).
describe('types', () => {
  it('startTracing takes optional options and returns the handle', () => {
    expectTypeOf(startTracing).parameter(0).toEqualTypeOf<TracingOptions | undefined>()
    expectTypeOf(startTracing).returns.toEqualTypeOf<TracingHandle>()
    expectTypeOf<TracingHandle['forceFlush']>().returns.toEqualTypeOf<Promise<void>>()
    expectTypeOf<TracingHandle['shutdown']>().returns.toEqualTypeOf<Promise<void>>()
    expectTypeOf<TracingHandle['stats']>().returns.toEqualTypeOf<ExportStats>()
    expectTypeOf<TracingHandle['forService']>().returns.toEqualTypeOf<TracerProvider>()
    expectTypeOf<TracingHandle['exporter']>().toEqualTypeOf<
      'otlp' | 'console' | 'none' | 'custom'
    >()
  })

  it('accepts the documented option shapes and refuses others', () => {
    expectTypeOf<{ exporter: InMemorySpanExporter }>().toMatchTypeOf<TracingOptions>()
    expectTypeOf<{ exporter: 'console'; protocol: 'grpc' }>().toMatchTypeOf<TracingOptions>()
    expectTypeOf<{ propagators: ['tracecontext', 'b3multi'] }>().toMatchTypeOf<TracingOptions>()
    expectTypeOf<{ outbound: { http: false } }>().toMatchTypeOf<TracingOptions>()
    expectTypeOf<{ metrics: { prometheus: { port: 9464 } } }>().toMatchTypeOf<TracingOptions>()
    expectTypeOf<{ exporter: 'jaeger' }>().not.toMatchTypeOf<TracingOptions>()
    expectTypeOf<{ propagators: ['xray'] }>().not.toMatchTypeOf<TracingOptions>()
    expectTypeOf<{ protocol: 'http' }>().not.toMatchTypeOf<TracingOptions>()
  })

  it('exports the waterfall pieces', () => {
    expectTypeOf(renderWaterfall).parameter(0).toEqualTypeOf<readonly ReadableSpan[]>()
    expectTypeOf(renderWaterfall).returns.toBeString()
    expect(new WaterfallSpanExporter()).toBeInstanceOf(WaterfallSpanExporter)
  })
})
