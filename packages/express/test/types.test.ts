import type { Context, Span } from '@opentelemetry/api'
import {
  getRequestContext,
  getRequestSpan,
  logFields,
  traceErrors,
  traceMiddleware,
  tryGetRequestContext,
  tryGetRequestSpan,
  type LogFields,
  type TraceErrorMiddleware,
  type TraceMiddleware,
  type TraceMiddlewareOptions,
} from '@tracehop/express'
import { expectTypeOf } from 'expect-type'
import type { ErrorRequestHandler, Request, RequestHandler } from 'express'
import express4 from 'express4'
import express5 from 'express5'

// Type tests: checked by `tsc -b` (the test files are part of the typecheck project).
describe('public types', () => {
  it('fits app.use() of Express 4 and 5 without casts', () => {
    expectTypeOf(traceMiddleware()).toEqualTypeOf<TraceMiddleware>()
    expectTypeOf(traceErrors()).toEqualTypeOf<TraceErrorMiddleware>()
    expectTypeOf(traceMiddleware()).toExtend<RequestHandler>()
    expectTypeOf(traceErrors()).toExtend<ErrorRequestHandler>()
    const app4 = express4()
    const app5 = express5()
    app4.use(traceMiddleware())
    app4.use(traceErrors())
    app5.use(traceMiddleware({ ignore: ['/healthz'] }))
    app5.use(traceErrors())
    expect(app4).toBeDefined()
  })

  it('gives typed access to the span, context and log fields of an Express request', () => {
    expectTypeOf(getRequestSpan).parameter(0).toExtend<object>()
    expectTypeOf<Request>().toExtend<Parameters<typeof getRequestSpan>[0]>()
    expectTypeOf(getRequestSpan).returns.toEqualTypeOf<Span>()
    expectTypeOf(tryGetRequestSpan).returns.toEqualTypeOf<Span | undefined>()
    expectTypeOf(getRequestContext).returns.toEqualTypeOf<Context>()
    expectTypeOf(tryGetRequestContext).returns.toEqualTypeOf<Context | undefined>()
    expectTypeOf(logFields).returns.toEqualTypeOf<LogFields | Record<string, never>>()
    expectTypeOf<LogFields>().toEqualTypeOf<{
      trace_id: string
      span_id: string
      trace_flags: string
    }>()
  })

  it('accepts every engine option and rejects bad ones', () => {
    expectTypeOf<TraceMiddlewareOptions>().toHaveProperty('trust')
    expectTypeOf<TraceMiddlewareOptions>().toHaveProperty('lostContextDiagnostics')
    expectTypeOf<TraceMiddlewareOptions['lostContextDiagnostics']>().toEqualTypeOf<
      boolean | undefined
    >()
    // @ts-expect-error 'yes' is not a trust policy
    const bad: TraceMiddlewareOptions = { trust: 'yes' }
    expect(bad).toBeDefined()
  })
})
