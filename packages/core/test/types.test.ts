import type { Span } from '@opentelemetry/api'
import { expectTypeOf } from 'expect-type'
import type { IncomingMessage, ServerResponse } from 'node:http'
import * as types from '../src/types.js'
import {
  DEFAULT_REDACTED_QUERY_PARAMS,
  createRequestLifecycle,
  getRequestTrace,
  logFields,
  sanitizeUrl,
  traceHandler,
  tryGetRequestTrace,
  withSpan,
  type LogFields,
  type MetricsOptions,
  type RequestLifecycle,
  type RequestTrace,
  type StatusClassifier,
  type StatusInfo,
  type TraceOptions,
} from '../src/index.js'

describe('public types', () => {
  it('types.ts carries no runtime code', () => {
    expect(Object.keys(types)).toEqual([])
  })

  it('takes metrics as a boolean or a choice of instruments', () => {
    expectTypeOf<TraceOptions['metrics']>().toEqualTypeOf<boolean | MetricsOptions | undefined>()
    expectTypeOf<{ activeRequests: true }>().toMatchTypeOf<MetricsOptions>()
    expectTypeOf<{ duration: 'yes' }>().not.toMatchTypeOf<MetricsOptions>()
  })

  it('exposes the signatures adapters code against', () => {
    expectTypeOf(createRequestLifecycle).parameters.toEqualTypeOf<
      [TraceOptions | undefined, string, (readonly string[] | undefined)?]
    >()
    expectTypeOf(createRequestLifecycle).returns.toEqualTypeOf<RequestLifecycle>()
    expectTypeOf<RequestLifecycle['start']>().returns.toEqualTypeOf<RequestTrace | undefined>()
    expectTypeOf(getRequestTrace).returns.toEqualTypeOf<RequestTrace>()
    expectTypeOf(tryGetRequestTrace).returns.toEqualTypeOf<RequestTrace | undefined>()
    expectTypeOf(sanitizeUrl).toEqualTypeOf<(url: string) => string>()
    expectTypeOf(traceHandler<IncomingMessage, ServerResponse>)
      .parameter(1)
      .toEqualTypeOf<TraceOptions | undefined>()
    expectTypeOf(withSpan('x', () => 1)).toEqualTypeOf<number>()
    expectTypeOf(withSpan('x', {}, async (span: Span) => span)).toEqualTypeOf<Promise<Span>>()
    expectTypeOf(logFields()).toExtend<Partial<LogFields>>()
    expectTypeOf<TraceOptions['trust']>().toEqualTypeOf<
      | 'continue'
      | 'link'
      | 'ignore'
      | ((request: IncomingMessage) => 'continue' | 'link' | 'ignore')
      | undefined
    >()
  })

  it('takes query parameter names to add and a list to replace the default one', () => {
    expectTypeOf<TraceOptions['redactQueryParams']>().toEqualTypeOf<readonly string[] | undefined>()
    expectTypeOf<TraceOptions['sensitiveQueryParams']>().toEqualTypeOf<
      readonly string[] | undefined
    >()
    expectTypeOf(DEFAULT_REDACTED_QUERY_PARAMS).toExtend<readonly string[]>()
  })

  it('tells isError whether the response was aborted, and still takes two-argument classifiers', () => {
    expectTypeOf<Parameters<StatusClassifier>[2]>().toEqualTypeOf<StatusInfo>()
    expectTypeOf<StatusInfo['aborted']>().toEqualTypeOf<boolean>()
    expectTypeOf((status: number | undefined) => status === 500).toExtend<StatusClassifier>()
    expectTypeOf<TraceOptions['isError']>().toEqualTypeOf<StatusClassifier | undefined>()
  })
})
