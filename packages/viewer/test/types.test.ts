import { expectTypeOf } from 'expect-type'
import {
  API_PATHS,
  startViewer,
  type OtlpTracesData,
  type ServerEvents,
  type TraceListResponse,
  type TraceSummary,
  type Viewer,
  type ViewerOptions,
} from '../src/index.js'

describe('the public types', () => {
  it('types startViewer and its options', () => {
    expectTypeOf(startViewer).parameter(0).toEqualTypeOf<ViewerOptions | undefined>()
    expectTypeOf(startViewer).returns.resolves.toMatchTypeOf<Viewer>()
    expectTypeOf<Viewer['close']>().returns.toEqualTypeOf<Promise<void>>()
    expectTypeOf<ViewerOptions['port']>().toEqualTypeOf<number | undefined>()
    expectTypeOf<ViewerOptions['allowedOrigins']>().toEqualTypeOf<readonly string[] | undefined>()
    // @ts-expect-error a port is a number
    void (() => startViewer({ port: '4318' }))
  })

  it('types the API responses the page reads', () => {
    expectTypeOf<TraceListResponse['traces']>().toEqualTypeOf<TraceSummary[]>()
    expectTypeOf<ServerEvents['trace']>().toEqualTypeOf<TraceSummary>()
    expectTypeOf<OtlpTracesData['resourceSpans'][number]['scopeSpans']>().not.toBeAny()
    expectTypeOf(API_PATHS.traces).toEqualTypeOf<'/api/traces'>()
    expect(API_PATHS.otlpTraces).toBe('/v1/traces')
  })
})
