// Type tests of the public surface; `npx tsc -b` checks them, Jest only runs them.
import type { Context, Span } from '@opentelemetry/api'
import { expectTypeOf } from 'expect-type'
import fastify, {
  type FastifyContextConfig,
  type FastifyPluginCallback,
  type FastifyRequest,
} from 'fastify'
import {
  tracingPlugin,
  type RequestTracing,
  type RouteTracingConfig,
  type TracingPluginOptions,
} from '@tracehop/fastify'

describe('types', () => {
  it('exports a Fastify plugin taking TracingPluginOptions', () => {
    expectTypeOf(tracingPlugin).toMatchTypeOf<FastifyPluginCallback<TracingPluginOptions>>()
    expectTypeOf<TracingPluginOptions['logCorrelation']>().toEqualTypeOf<boolean | undefined>()
    // every core option passes through
    expectTypeOf<TracingPluginOptions>().toHaveProperty('ignore')
    expectTypeOf<TracingPluginOptions>().toHaveProperty('trust')
    expectTypeOf<TracingPluginOptions>().toHaveProperty('tracerProvider')
  })

  it('merges request.tracing into FastifyRequest', () => {
    expectTypeOf<FastifyRequest['tracing']>().toEqualTypeOf<RequestTracing>()
    // never null: an untraced object before the plugin's hook and for requests not traced
    expectTypeOf<FastifyRequest['tracing']>().not.toBeNullable()
    expectTypeOf<RequestTracing['traced']>().toEqualTypeOf<boolean>()
    const readOnly = (request: FastifyRequest): void => {
      // @ts-expect-error request.tracing is set by the plugin alone
      request.tracing = undefined
    }
    expectTypeOf(readOnly).toBeFunction()
    expectTypeOf<RequestTracing['span']>().toEqualTypeOf<Span>()
    expectTypeOf<RequestTracing['context']>().toEqualTypeOf<Context>()
    expectTypeOf<RequestTracing['traceId']>().toEqualTypeOf<string>()
    expectTypeOf<RequestTracing['inject']>().returns.toMatchTypeOf<Record<string, string>>()
  })

  it('merges tracing into the route config', () => {
    expectTypeOf<FastifyContextConfig['tracing']>().toEqualTypeOf<RouteTracingConfig | undefined>()
    expectTypeOf<RouteTracingConfig>().toEqualTypeOf<false | TracingPluginOptions>()
    // @ts-expect-error tracing is false or an options object
    const bad: FastifyContextConfig = { tracing: true }
    expectTypeOf(bad).toEqualTypeOf<FastifyContextConfig>()
  })

  it('type-checks registration, route config and handlers', () => {
    const app = fastify()
    // only compiled: registering would start loading the plugin
    const register = (): unknown =>
      app.register(tracingPlugin, {
        ignore: ['/healthz', /^\/internal/],
        trust: 'link',
        logCorrelation: false,
      })
    expectTypeOf(register).returns.toBeUnknown()
    const badOption = (): unknown =>
      // @ts-expect-error logCorrelation is a boolean
      app.register(tracingPlugin, { logCorrelation: 'yes' })
    expectTypeOf(badOption).toBeFunction()
    const routes = (): void => {
      app.get('/off', { config: { tracing: false } }, async () => 'off')
      app.get(
        '/named',
        { config: { tracing: { spanName: ({ method }) => `${method} named` } } },
        async (request) => {
          expectTypeOf(request.tracing.inject({ accept: 'text/plain' })).toMatchTypeOf<{
            accept: string
          }>()
          return request.tracing.traceId
        },
      )
    }
    expectTypeOf(routes).toBeFunction()
    void app.close()
  })
})
